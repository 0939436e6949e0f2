//===--- RoutePruning.h - What the pruned routing paths share -------------===//
//
// Private to _MoEKitKernels: the error margin, the cut and the row outcomes of the pruned
// paths of moekit_route_scored (RouteKernels.c: the row loop and the portable pass;
// RoutePruningAVX512.c: the AVX-512 passes, chosen at run time), and the entry points of
// the AVX-512 passes.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_ROUTE_PRUNING_H
#define MOEKIT_ROUTE_PRUNING_H

#include "MoEKitKernels.h"
#include "KernelMath.h"
#include "Selection.h"
#include "RouteWeights.h"

// The AVX-512 passes (RoutePruningAVX512.c): not under sanitizers (no dispatch there) and
// not off x86-64.
#if defined(__x86_64__) && defined(__clang__) && !defined(MOEKIT_SANITIZED)
#define MOEKIT_PRUNE_AVX512 1
#else
#define MOEKIT_PRUNE_AVX512 0
#endif

/// Rows the pruned paths route together, stage by stage, so that the long dependency chains
/// of neighbouring rows (sorting networks, divisions, ranks) overlap. The AVX-512 passes
/// keep every row's approximate keys: MOEKIT_PRUNE_BATCH E floats of scratch.
#define MOEKIT_PRUNE_BATCH 4

// MARK: - Pruned rows: approximate keys for all, exact keys for the few that can be chosen
//
// For E a multiple of 16 (at least 32) and k <= 16, a row is routed in two passes. Pass 1
// computes an approximate key a_i = approx(x_i) + b_i for every expert (KernelMath.h,
// portable: sigmoid within 1.5e-5 absolute, sqrt-softplus within 3e-5 relative; AVX-512:
// 8.1e-5 and 1.14e-3 proven, 4.3e-5 and 1.11e-3 measured over every 15th float bit pattern;
// `delta` below is at least twice the proven bounds plus the rounding of the bias addition),
// so |a_i - key_i| <= delta for every i, and keeps the largest a_i of each of the 16 lanes
// (distinct experts). The k-th largest of those 16, A, is at most the k-th largest
// approximate key, which is at most K + delta with K the exact k-th largest key.
// An expert in the exact top k has key_i >= K, so a_i >= K - delta >= A - 2 delta: every
// expert that can be chosen survives the cut a_i >= A - 2 delta. Only the survivors
// (typically k + 1 to k + 3) are scored exactly, with the same functions as the other
// paths, and ranked by (exact key, lower index first): the result is bit-identical to
// scoring and selecting the whole row. A row with more than 16 survivors (many keys
// within 2 delta of each other) takes the exact path.

/// Row outcomes of the AVX-512 pruned batches besides a survivor count (0 ... 17) or -1
/// (NaN or +-inf logit): routed, or routed to a non-finite weight.
enum { MOEKIT_ROW_RANKED = 32, MOEKIT_ROW_BAD_WEIGHT = 33 };

/// Whether `p` can take the pruned path (1; 2 for group-limited rows); stores the bias term
/// of delta (2^-22 (1 + max|b|) covers the rounding of s + b in both the approximate and the
/// exact key) and the smallest bias (0 without one).
static inline int moekit_prune_setup(const moekit_route_params *p, float *biasMargin, float *smallestBias) {
    size_t n = p->experts;
    if (n % 16 != 0 || n < 32 || p->k > 16) return 0;
    int grouped = p->groups > 0 && p->kept < p->groups;
    // Group-limited rows: sigmoid scoring, up to 8 groups of whole vectors, on the AVX-512
    // pass only.
    if (grouped && (p->scoring != MOEKIT_SCORING_SIGMOID || p->groups > 8 || (n / p->groups) % 16 != 0)) return 0;
    float largest = 0.0f;
    if (p->bias) {
        // 16 lanes (a scalar running maximum is a 4-cycle chain per expert: 0.5 µs at
        // E = 384, as much as routing a row). n is a multiple of 16 here.
        moekit_f32x16 top = 0.0f, bottom = INFINITY;
        moekit_i32x16 unusable = 0;             // NaN or huge bias: the exact path
        for (size_t i = 0; i < n; i += 16) {
            moekit_f32x16 b;
            memcpy(&b, p->bias + i, sizeof b);
            bottom = b < bottom ? b : bottom;
            b = __builtin_elementwise_abs(b);
            unusable |= ~(moekit_i32x16)(b <= 1e30f);
            top = b > top ? b : top;
        }
        if (__builtin_reduce_or(unusable)) return 0;
        largest = __builtin_reduce_max(top);
        *smallestBias = __builtin_reduce_min(bottom);
    } else {
        *smallestBias = 0.0f;
    }
    *biasMargin = 0x1p-22f * (1.0f + largest);
    return grouped ? 2 : 1;
}

/// delta of a pruned row: 2e-4 absolute for sigmoid, 2.5e-3 relative to an upper bound on
/// the row's largest score plus 1e-14 for sqrt-softplus: more than twice the proven error of
/// either approximation (portable or AVX-512), plus the rounding of the bias addition
/// (`biasMargin`).
static inline __attribute__((always_inline))
float moekit_prune_delta(float largestScore, int scoring, float biasMargin) {
    if (scoring == MOEKIT_SCORING_SIGMOID) return 2e-4f + biasMargin;      // scores in (0, 1]
    return 2.5e-3f * largestScore + 1e-14f + biasMargin * (1.0f + largestScore);
}

/// The cut a_i >= A - 2 delta of a pruned row: A is the k-th largest of the 16 lane maxima
/// of the approximate keys, the larger of `aLanes` and `bLanes` in each lane (lane maxima of
/// two disjoint sets of vectors, or the same array twice), sorted by a bitonic network.
/// (Pointers, not vectors: a vector argument's ABI differs between the clones.)
static inline __attribute__((always_inline))
float moekit_prune_cut(const float *aLanes, const float *bLanes, float largestScore, size_t k, int scoring,
                       float biasMargin) {
    moekit_f32x16 a, b;
    memcpy(&a, aLanes, sizeof a);
    memcpy(&b, bLanes, sizeof b);
    float delta = moekit_prune_delta(largestScore, scoring, biasMargin);
    moekit_f32x16 sorted = moekit_sort16(a > b ? a : b);
    float ascending[16];
    memcpy(ascending, &sorted, sizeof ascending);
    float bound = ascending[16 - k];
    return bound - (2.0f * delta + 0x1p-22f * fabsf(bound));
}

/// An upper bound on a pruned row's largest exact score from its approximate keys (lane
/// maxima `lanes`, 32): every exact score is within 1.14e-3 relative of its approximation
/// (AVX-512 pass), which is the key minus its bias, rounded.
static inline __attribute__((always_inline)) float moekit_prune_largest_score(const float *lanes, float smallestBias) {
    moekit_f32x16 a, b;
    memcpy(&a, lanes, sizeof a);
    memcpy(&b, lanes + 16, sizeof b);
    float largestKey = __builtin_reduce_max(a > b ? a : b);
    return (largestKey - smallestBias + 0x1p-22f * fabsf(largestKey)) * (1.0f + 1.5e-3f);
}


/// Exact scores of 16 logits, as moekit_sigmoid16 / moekit_sqrt_softplus16 compute them.
/// (Pointers, not vectors: a vector argument's ABI differs between the clones.)
static inline __attribute__((always_inline)) void moekit_exact_scores16(const float *x, float *scores, int scoring) {
    moekit_f32x16 v;
    memcpy(&v, x, sizeof v);
    moekit_f32x16 s = scoring == MOEKIT_SCORING_SIGMOID ? moekit_sigmoid16(v) : moekit_sqrt_softplus16(v);
    memcpy(scores, &s, sizeof s);
}

/// moekit_rank16 through pointers (see moekit_exact_scores16).
static inline __attribute__((always_inline)) void moekit_ranks16(const float *values, const int32_t *indexes, int32_t *ranks) {
    moekit_f32x16 v;
    moekit_i32x16 x;
    memcpy(&v, values, sizeof v);
    memcpy(&x, indexes, sizeof x);
    moekit_i32x16 r = moekit_rank16(v, x);
    memcpy(ranks, &r, sizeof r);
}

#if MOEKIT_PRUNE_AVX512
/// Whether this CPU (and OS) runs the AVX-512 passes.
__attribute__((visibility("hidden"))) int moekit_prune_avx512_available(void);

/// Routes `m` (1 ... MOEKIT_PRUNE_BATCH) consecutive rows of an ungrouped scored router [m, E] with the
/// AVX-512 passes: found[r] is MOEKIT_ROW_RANKED (indices and weights [m, k] written),
/// MOEKIT_ROW_BAD_WEIGHT, -1 (NaN or +-inf logit) or 17 (the exact path must serve it).
/// `approx` holds MOEKIT_PRUNE_BATCH E floats; biasMargin and smallestBias come from moekit_prune_setup.
__attribute__((visibility("hidden")))
void moekit_prune_rows_avx512(const moekit_route_params *p, const float *x, size_t m, int scoring,
                              float biasMargin, float smallestBias, float *approx, int32_t (*si)[32],
                              float (*sx)[32], int *found, int32_t *indices, float *weights);

/// moekit_prune_rows_avx512 for group-limited sigmoid rows (moekit_prune_setup returned 2).
__attribute__((visibility("hidden")))
void moekit_prune_grouped_rows_avx512(const moekit_route_params *p, const float *x, size_t m, float biasMargin,
                                      float *approx, int32_t (*si)[32], float (*sx)[32], int *found,
                                      int32_t *indices, float *weights);
#endif

#endif
