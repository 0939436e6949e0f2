//===--- RouteKernels.c - Fused routing from logits, and a scalar baseline -===//
//
// See MoEKitKernels.h. `moekit_route_scored` routes whole rows of a scored router
// (sigmoid or sqrt-softplus, optional correction bias, optional group limit, chosen-score
// weights) in one call: scores, keys and the non-finite check in one 16-lane pass, the
// exact selection of Selection.h on the keys still in L1, then the weights; or, without a
// group limit, the pruned rows below (approximate keys for every expert, exact keys only
// for the few that can be chosen). Each lane runs
// the scalar functions' operations in the same order (KernelMath.h), so the results are
// bit-identical to scoring with moekit_sigmoid / moekit_sqrt_softplus and selecting with
// moekit_topk / moekit_group_limited_topk.
//
// `moekit_route_baseline` is the comparison point the benchmarks time next to it: a plain
// scalar C router as one would first write it (libm expf, insertion top-k, no vectors).
//
//===----------------------------------------------------------------------===//
#include "MoEKitKernels.h"
#include "KernelMath.h"
#include "Selection.h"

// The pruned rows' first pass has an AVX-512 version with rcp14/rsqrt14/scalef, chosen at
// run time (moekit_route_scored checks the CPU once per call). Not under sanitizers (no
// dispatch there) and not off x86-64.
#if defined(__x86_64__) && defined(__clang__) && !defined(MOEKIT_SANITIZED)
#define MOEKIT_PRUNE_AVX512 1
#include <immintrin.h>

/// 2^u for every lane (u not NaN): u = n + f with n = floor(u) and f in [0, 1) by vreduceps,
/// 2^f by a polynomial, then times 2^n by vscalefps (which floors u itself). 2^+inf is +inf
/// and 2^-inf is 0: vreduceps gives 0 for an infinite u. Degree 3 (relative error 7.5e-5
/// with these float32 coefficients) or, with `coarse`, degree 2 (1.73e-3).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline __m512 moekit_exp2_approx_avx512(__m512 u, int coarse) {
    __m512 f = _mm512_reduce_ps(u, _MM_FROUND_TO_NEG_INF);
    __m512 p;
    if (coarse) {
        p = _mm512_fmadd_ps(f, _mm512_set1_ps(0.337184876f), _mm512_set1_ps(0.657633483f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.00172698f));
    } else {
        p = _mm512_fmadd_ps(f, _mm512_set1_ps(0.0780240297f), _mm512_set1_ps(0.226067066f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.695833981f));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.999925137f));
    }
    return _mm512_scalef_ps(p, u);
}

/// The approximate score of 16 finite logits: sigmoid within 8.1e-5 absolute, sqrt-softplus
/// within 1.14e-3 relative (see moekit_prune_pass1_avx512).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline __m512 moekit_approx_key_avx512(__m512 v, int scoring) {
    if (scoring == MOEKIT_SCORING_SIGMOID) {
        // 1 / (1 + e^-v): e^-v overflows to +inf for v below about -88, giving 0.
        __m512 e = moekit_exp2_approx_avx512(_mm512_mul_ps(v, _mm512_set1_ps(-1.44269504088896341f)), 0);
        return _mm512_rcp14_ps(_mm512_add_ps(e, _mm512_set1_ps(1.0f)));
    }
    // sqrt(max(v, 0) + log1p(e)), e = e^-|v| >= 2^-100 (so that the sum is positive for
    // its rsqrt, and vrsqrt14ps treats subnormal inputs as 0), e by the coarse 2^f, log1p(e) =
    // e q(e) by a degree-3 fit (relative error 3.9e-4).
    // min(|v|, 69.3) by one vrangeps (imm 0b1010: the smaller magnitude, sign cleared), so that
    // u = -|v| log2(e) >= -100.
    __m512 u = _mm512_mul_ps(_mm512_range_ps(v, _mm512_set1_ps(69.3f), 0xA), _mm512_set1_ps(-1.44269504088896341f));
    __m512 e = moekit_exp2_approx_avx512(u, 1);
    __m512 q = _mm512_fmadd_ps(e, _mm512_set1_ps(-0.0743423253f), _mm512_set1_ps(0.254022092f));
    q = _mm512_fmadd_ps(q, e, _mm512_set1_ps(-0.486411899f));
    q = _mm512_fmadd_ps(q, e, _mm512_set1_ps(0.999606669f));
    __m512 sp = _mm512_fmadd_ps(e, q, _mm512_max_ps(v, _mm512_setzero_ps()));
    return _mm512_mul_ps(sp, _mm512_rsqrt14_ps(sp));
}

/// Whether this CPU (and OS) runs the AVX-512 pass.
static int moekit_prune_avx512_available(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("fma");
}
#else
#define MOEKIT_PRUNE_AVX512 0
#endif

/// Whether the parameters describe a router these kernels serve; O(1).
static int moekit_route_params_valid(const moekit_route_params *p, int scoredOnly) {
    if (!p) return 0;
    size_t n = p->experts, k = p->k;
    if (n == 0 || n > (size_t)INT32_MAX || k == 0 || k > n) return 0;
    if (p->scoring != MOEKIT_SCORING_SIGMOID && p->scoring != MOEKIT_SCORING_SQRT_SOFTPLUS
        && (scoredOnly || p->scoring != MOEKIT_SCORING_SOFTMAX)) return 0;
    if (p->groups > 0) {
        if (n % p->groups != 0 || p->kept == 0 || p->kept > p->groups
            || k > p->kept * (n / p->groups) || (p->groupRule != 0 && p->groupRule != 1)) return 0;
    }
    return 1;
}

size_t moekit_route_scratch_floats(const moekit_route_params *p) {
    if (!moekit_route_params_valid(p, 0)) return 0;
    size_t n = p->experts;
    // Scores and keys [2n] (or the approximate keys of a batch of 4 pruned rows [4n]), then
    // the chosen values [k].
    size_t floats = 4 * n + p->k;
    if (p->groups > 0) floats += 3 * p->groups + p->kept * (n / p->groups);
    return floats;
}

/// Scores and keys of one row in one pass; returns nonzero when the row holds NaN or ±inf.
static inline __attribute__((always_inline))
int moekit_score_row(const float *x, const float *bias, float *scores, float *keys, size_t n, int scoring) {
    moekit_i32x16 bad16 = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        moekit_f32x16 v;
        memcpy(&v, x + i, sizeof v);
        bad16 |= moekit_nonfinite16(v);
        moekit_f32x16 s = scoring == MOEKIT_SCORING_SIGMOID ? moekit_sigmoid16(v) : moekit_sqrt_softplus16(v);
        memcpy(scores + i, &s, sizeof s);
        if (bias) {
            moekit_f32x16 b;
            memcpy(&b, bias + i, sizeof b);
            moekit_f32x16 key = s + b;
            memcpy(keys + i, &key, sizeof key);
        }
    }
    int bad = 0;
    for (size_t j = 0; j < 16; j++) bad |= bad16[j];
    for (; i < n; i++) {
        float v = x[i];
        bad |= moekit_is_nonfinite(v);
        float s = scoring == MOEKIT_SCORING_SIGMOID ? moekit_sigmoid_inline(v) : moekit_sqrt_softplus_inline(v);
        scores[i] = s;
        if (bias) keys[i] = s + bias[i];
    }
    return bad;
}

/// The chosen scores as weights: renormalised (sum plus epsilon) and scaled as the
/// parameters say; returns nonzero when a weight is not finite.
static inline __attribute__((always_inline))
int moekit_chosen_weights(const moekit_route_params *p, const float *scores, const int32_t *ix, float *w) {
    size_t k = p->k;
    float sum = 0.0f;
    for (size_t j = 0; j < k; j++) {
        float s = scores[ix[j]];
        w[j] = s;
        sum += s;
    }
    if (p->normalize) {
        float denominator = sum + p->epsilon;
        for (size_t j = 0; j < k; j++) w[j] = w[j] / denominator;
    }
    if (p->scale != 1.0f) {
        for (size_t j = 0; j < k; j++) w[j] = w[j] * p->scale;
    }
    int bad = 0;
    for (size_t j = 0; j < k; j++) bad |= moekit_is_nonfinite(w[j]);
    return bad;
}

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
static int moekit_prune_setup(const moekit_route_params *p, float *biasMargin, float *smallestBias) {
    size_t n = p->experts;
    if (n % 16 != 0 || n < 32 || p->k > 16) return 0;
    int grouped = p->groups > 0 && p->kept < p->groups;
    // Group-limited rows: up to 8 groups of whole vectors, on the AVX-512 pass only.
    if (grouped && (p->groups > 8 || (n / p->groups) % 16 != 0)) return 0;
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

/// Survivors of a pruned row (pass 1 and 2), portable: writes the survivors' indices and
/// logits in ascending index order into si[0 ..< 16] and sx[0 ..< 16] (zeros after the
/// last), with a bias their biases into sx[16 ..< 32], and returns their count; -1 when the row holds NaN or ±inf, 17 when more than 16
/// survive.
static inline __attribute__((always_inline))
int moekit_prune_survivors(const float *x, const float *bias, size_t n, size_t k, int scoring, float biasMargin,
                           float *approx, int32_t *si, float *sx) {
    moekit_f32x16 hi = -INFINITY, top = -INFINITY;
    moekit_f32x16 bad = 0.0f;                   // x * 0 is 0 for finite x, NaN otherwise
    for (size_t i = 0; i < n; i += 16) {
        moekit_f32x16 v;
        memcpy(&v, x + i, sizeof v);
        bad = bad + v * 0.0f;
        moekit_f32x16 a;
        if (scoring == MOEKIT_SCORING_SIGMOID) {
            a = moekit_sigmoid_approx16(v);
        } else {
            a = moekit_sqrt_softplus_approx16(v);
            top = v > top ? v : top;
        }
        if (bias) {
            moekit_f32x16 b;
            memcpy(&b, bias + i, sizeof b);
            a = a + b;
        }
        memcpy(approx + i, &a, sizeof a);
        hi = a > hi ? a : hi;
    }
    if (__builtin_reduce_or((moekit_i32x16)(bad != bad))) return -1;
    float lanes[16];
    memcpy(lanes, &hi, sizeof hi);
    // The largest score is at most sqrt(max(x, 0) + ln 2), x the largest logit.
    float largestLogit = __builtin_reduce_max(top);
    float largestScore = sqrtf((largestLogit > 0.0f ? largestLogit : 0.0f) + 0.6932f) * 1.0001f;
    float cut = moekit_prune_cut(lanes, lanes, largestScore, k, scoring, biasMargin);
    for (size_t j = 0; j < 16; j++) { si[j] = 0; sx[j] = 0.0f; }
    int count = 0;
    for (size_t i = 0; i < n; i += 64) {
        uint64_t word = 0;
        size_t chunks = (n - i) / 16 < 4 ? (n - i) / 16 : 4;
        for (size_t q = 0; q < chunks; q++) {
            moekit_f32x16 a;
            memcpy(&a, approx + i + 16 * q, sizeof a);
            word |= (uint64_t)moekit_bits(__builtin_convertvector(a >= cut, moekit_b16)) << (16 * q);
        }
        if (count + __builtin_popcountll(word) > 16) return 17;
        while (word) {
            size_t j = i + (size_t)__builtin_ctzll(word);
            word &= word - 1;
            si[count] = (int32_t)j;
            sx[count] = x[j];
            count++;
        }
    }
    if (bias) {
        for (size_t j = 0; j < 16; j++) sx[16 + j] = bias[si[j]];
    }
    return count;
}

#if MOEKIT_PRUNE_AVX512
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

/// The end of a pruned row on AVX-512 (moekit_rank_survivors with vector stores): exact
/// scores and keys of the `count` (k ... 16) survivors, ranked by (key, lower index first),
/// the chosen k placed by rank with a masked scatter, and the weights. Same operations in the
/// same order as moekit_chosen_weights, so the same bits. Returns 0, or 3 when a weight is
/// not finite.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline int moekit_rank_survivors_avx512(const moekit_route_params *p, const int32_t *si, const float *sx,
                                               int count, int32_t *ix, float *w, int scoring, int hasBias) {
    int k = (int)p->k;
    __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __mmask16 real = _mm512_cmplt_epi32_mask(lane, _mm512_set1_epi32(count));
    __m512i index = _mm512_mask_blend_epi32(real, _mm512_set1_epi32(INT32_MAX), _mm512_loadu_si512(si));
    float scores[16], values[16];
    int32_t indexes[16], ranks[16];
    moekit_exact_scores16(sx, scores, scoring);
    __m512 score = _mm512_loadu_ps(scores);
    __m512 value = score;
    if (hasBias) value = _mm512_add_ps(value, _mm512_loadu_ps(sx + 16));
    value = _mm512_mask_blend_ps(real, _mm512_set1_ps(-INFINITY), value);
    // Rank by key alone (the keys above each lane, over the 15 rotations of the lanes),
    // noting equal keys on the way; a tie between survivors (rare) is ranked again with the
    // lower-index rule. Padding lanes (-inf) rank at `count` or later.
    __m512i rank = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    __mmask16 equal = 0;
    for (int r = 1; r < 16; r++) {
        __m512 rotated = _mm512_permutexvar_ps(_mm512_and_si512(_mm512_add_epi32(lane, _mm512_set1_epi32(r)),
                                                                _mm512_set1_epi32(15)), value);
        rank = _mm512_mask_add_epi32(rank, _mm512_cmp_ps_mask(rotated, value, _CMP_GT_OQ), rank, one);
        equal |= _mm512_cmp_ps_mask(rotated, value, _CMP_EQ_OQ);
    }
    if (equal & real) {
        _mm512_storeu_ps(values, value);
        _mm512_storeu_si512(indexes, index);
        moekit_ranks16(values, indexes, ranks);
        rank = _mm512_loadu_si512(ranks);
    }
    __mmask16 chosen = _mm512_cmplt_epi32_mask(rank, _mm512_set1_epi32(k));
    float slotScore[16];
    int32_t slotIndex[16];
    _mm512_mask_i32scatter_ps(slotScore, chosen, rank, score, 4);
    _mm512_mask_i32scatter_epi32(slotIndex, chosen, rank, index, 4);
    __mmask16 first = (__mmask16)((1u << k) - 1u);
    float sum = 0.0f;
    for (int j = 0; j < k; j++) sum += slotScore[j];
    __m512 weight = _mm512_maskz_loadu_ps(first, slotScore);
    if (p->normalize) weight = _mm512_div_ps(weight, _mm512_set1_ps(sum + p->epsilon));
    if (p->scale != 1.0f) weight = _mm512_mul_ps(weight, _mm512_set1_ps(p->scale));
    _mm512_mask_storeu_ps(w, first, weight);
    _mm512_mask_storeu_epi32(ix, first, _mm512_maskz_loadu_epi32(first, slotIndex));
    return _mm512_mask_fpclass_ps_mask(first, weight, 0x99) ? 3 : 0;     // NaN or +-inf
}

/// Ranks every row of a batch whose survivors are in hand (k ... 16 of them), writing its
/// indices and weights [m, k] and setting found[r] to MOEKIT_ROW_RANKED, or to
/// MOEKIT_ROW_BAD_WEIGHT when a weight is not finite. Other rows are left to the caller.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline void moekit_rank_batch_avx512(const moekit_route_params *p, size_t m, int32_t (*si)[32],
                                            float (*sx)[32], int *found, int32_t *indices, float *weights,
                                            int scoring, int hasBias) {
    size_t k = p->k;
    for (size_t r = 0; r < m; r++) {
        if (found[r] > 16 || found[r] < (int)k) continue;
        int bad = moekit_rank_survivors_avx512(p, si[r], sx[r], found[r], indices + r * k, weights + r * k, scoring,
                                               hasBias);
        found[r] = bad ? MOEKIT_ROW_BAD_WEIGHT : MOEKIT_ROW_RANKED;
    }
}

/// Pass 1 of a pruned row with AVX-512 instructions: approximate keys into `approx`, and
/// into `lanes` the lane maxima of the even and of the odd vectors (32 distinct experts) and,
/// for sqrt-softplus, the lane maxima of the logits. Returns nonzero when the row holds NaN
/// or +-inf. Approximations: 2^f by a degree-3 fit (relative error 7.5e-5; sigmoid) or a
/// degree-2 fit (1.73e-3; sqrt-softplus), 1/(1 + e) and 1/sqrt by vrcp14ps / vrsqrt14ps
/// (relative error at most 2^-14), log1p(e) by a degree-3 fit (relative error 3.9e-4):
/// sigmoid within 7.5e-5/4 + 2^-14 < 8.1e-5 absolute (the error of e moves 1/(1 + e) by at
/// most s(1 - s) times it), sqrt-softplus within (1.73e-3 + 3.9e-4)/2 + 2^-14 < 1.14e-3
/// relative (an error of e moves log1p(e) relatively by at most as much; e^-|x| clamped at 2^-100, below
/// which the error is absolute, under 1e-30).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline int moekit_prune_pass1_avx512(const float *x, const float *bias, size_t n, int scoring,
                                            float *approx, float *lanes) {
    // Two accumulators of lane maxima (even and odd vectors): half the dependency chain.
    // x * 0 is 0 for finite x and NaN for NaN or +-inf.
    __m512 even = _mm512_set1_ps(-INFINITY), odd = even, check = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
        check = _mm512_fmadd_ps(v0, _mm512_setzero_ps(), check);
        check = _mm512_fmadd_ps(v1, _mm512_setzero_ps(), check);
        __m512 a0 = moekit_approx_key_avx512(v0, scoring), a1 = moekit_approx_key_avx512(v1, scoring);
        if (bias) {
            a0 = _mm512_add_ps(a0, _mm512_loadu_ps(bias + i));
            a1 = _mm512_add_ps(a1, _mm512_loadu_ps(bias + i + 16));
        }
        _mm512_storeu_ps(approx + i, a0);
        _mm512_storeu_ps(approx + i + 16, a1);
        even = _mm512_max_ps(a0, even);
        odd = _mm512_max_ps(a1, odd);
    }
    if (i < n) {                                // n is a multiple of 16
        __m512 v = _mm512_loadu_ps(x + i);
        check = _mm512_fmadd_ps(v, _mm512_setzero_ps(), check);
        __m512 a = moekit_approx_key_avx512(v, scoring);
        if (bias) a = _mm512_add_ps(a, _mm512_loadu_ps(bias + i));
        _mm512_storeu_ps(approx + i, a);
        even = _mm512_max_ps(a, even);
    }
    _mm512_storeu_ps(lanes, even);
    _mm512_storeu_ps(lanes + 16, odd);
    return _mm512_cmp_ps_mask(check, check, _CMP_UNORD_Q) != 0;
}

/// Pass 2 of a pruned row with AVX-512 instructions: the experts with approx >= cut, gathered
/// with vpcompressd, as moekit_prune_survivors leaves them (si and sx hold 32 here).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline int moekit_prune_pass2_avx512(const float *x, const float *bias, size_t n, const float *approx,
                                            float cut, int32_t *si, float *sx) {
    __m512 cutv = _mm512_set1_ps(cut);
    __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int count = 0;
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = _mm512_cmp_ps_mask(_mm512_loadu_ps(approx + i), cutv, _CMP_GE_OQ);
        int hits = __builtin_popcount((unsigned)m);
        if (count + hits > 16) return 17;
        _mm512_storeu_si512(si + count, _mm512_maskz_compress_epi32(m, index));
        count += hits;
        index = _mm512_add_epi32(index, _mm512_set1_epi32(16));
    }
    // The survivors' logits and biases in one gather each (indices after `count` are 0).
    __m512i survivors = _mm512_loadu_si512(si);
    _mm512_storeu_ps(sx, _mm512_i32gather_ps(survivors, x, 4));
    if (bias) _mm512_storeu_ps(sx + 16, _mm512_i32gather_ps(survivors, bias, 4));
    return count;
}

/// moekit_prune_survivors for `m` (1 ... 4) consecutive rows with AVX-512 instructions: every
/// row's pass 1, then every row's cut, then every row's pass 2, so that the cuts' long
/// dependency chains (sorting networks) of neighbouring rows overlap. `approx` holds m * n.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline void moekit_prune_rows_avx512_body(const moekit_route_params *p, const float *x, size_t m,
                                                 const float *bias, int scoring, float biasMargin, float smallestBias,
                                                 float *approx, int32_t (*si)[32], float (*sx)[32], int *found,
                                                 int32_t *indices, float *weights) {
    size_t n = p->experts, k = p->k;
    float lanes[4][32], cut[4];
    int bad[4];
    for (size_t r = 0; r < m; r++) bad[r] = moekit_prune_pass1_avx512(x + r * n, bias, n, scoring, approx + r * n, lanes[r]);
    for (size_t r = 0; r < m; r++) {
        cut[r] = moekit_prune_cut(lanes[r], lanes[r] + 16, moekit_prune_largest_score(lanes[r], smallestBias), k,
                                  scoring, biasMargin);
    }
    for (size_t r = 0; r < m; r++) {
        found[r] = bad[r] ? -1 : moekit_prune_pass2_avx512(x + r * n, bias, n, approx + r * n, cut[r], si[r], sx[r]);
    }
    moekit_rank_batch_avx512(p, m, si, sx, found, indices, weights, scoring, bias != NULL);
}

// MARK: Group-limited pruned rows (AVX-512)
//
// With a group limit (G <= 8 groups of whole vectors, rule 0 the sum of a group's two largest
// keys, rule 1 its largest), pass 1 also scores every group on the approximate keys. A group's
// approximate score is within 2 delta + 2^-22 (|score| + 1) of its exact score (the top-two
// sum moves by at most 2 delta when every key moves by at most delta; the rest covers the
// rounding of both sums). When the kept-th and (kept + 1)-th largest approximate scores are
// further apart than both errors, the kept groups are those of the exact scores, with no
// tie to break; otherwise the row takes the exact path. The cut is then taken over the
// kept groups' approximate keys only (lane maxima of their even and odd vectors), and only
// their experts can survive: the same argument as above, within the kept groups.

typedef float moekit_v16 __attribute__((ext_vector_type(16)));

/// Combines running (largest, second largest) pairs of lanes `pick` and `other` (shuffle
/// masks) of (f, s): the multiset top two of both.
#define MOEKIT_TOP2_COMBINE(fa, sa, fb, sb, ...) do { \
        moekit_v16 pf = __builtin_shufflevector(fa, fb, __VA_ARGS__); \
        moekit_v16 ps = __builtin_shufflevector(sa, sb, __VA_ARGS__); \
        moekit_v16 qf = __builtin_shufflevector(fa, fb, MOEKIT_TOP2_OTHER); \
        moekit_v16 qs = __builtin_shufflevector(sa, sb, MOEKIT_TOP2_OTHER); \
        moekit_v16 f_ = pf > qf ? pf : qf, lower = pf > qf ? qf : pf; \
        moekit_v16 s_ = ps > qs ? ps : qs; \
        s_ = lower > s_ ? lower : s_; \
        fa = f_; sa = s_; \
    } while (0)

/// Pass 1 of a group-limited pruned row: approximate keys into `approx`, the groups'
/// approximate scores into `groupScores` (lanes 0 ..< G; -inf after), and the check of
/// moekit_prune_pass1_avx512. Returns nonzero when the row holds NaN or +-inf.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline int moekit_prune_grouped_pass1_avx512(const float *x, const float *bias, size_t n, size_t groups,
                                                    int rule, int scoring, float *approx, moekit_v16 *groupScores) {
    size_t size = n / groups;
    __m512 check = _mm512_setzero_ps();
    moekit_v16 f[8], s[8];
    for (size_t g = 0; g < 8; g++) {
        __m512 hi = _mm512_set1_ps(-INFINITY), lo = hi;
        if (g < groups) {
            for (size_t i = g * size; i < (g + 1) * size; i += 16) {
                __m512 v = _mm512_loadu_ps(x + i);
                check = _mm512_fmadd_ps(v, _mm512_setzero_ps(), check);
                __m512 a = moekit_approx_key_avx512(v, scoring);
                if (bias) a = _mm512_add_ps(a, _mm512_loadu_ps(bias + i));
                _mm512_storeu_ps(approx + i, a);
                if (i == g * size) {            // the group's first vector
                    hi = a;
                    continue;
                }
                __m512 smaller = _mm512_min_ps(a, hi);
                hi = _mm512_max_ps(a, hi);
                lo = _mm512_max_ps(smaller, lo);
            }
        }
        f[g] = (moekit_v16)hi;
        s[g] = (moekit_v16)lo;
    }
    // A tree of lane halvings: 8 groups x 16 lanes -> 2 groups x 8 lanes each (x4) -> 4 x 4
    // (x2) -> 8 x 2 -> 8 x 1.
#define MOEKIT_TOP2_OTHER 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
    for (size_t g = 0; g < 8; g += 2) MOEKIT_TOP2_COMBINE(f[g], s[g], f[g + 1], s[g + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
#undef MOEKIT_TOP2_OTHER
#define MOEKIT_TOP2_OTHER 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31
    MOEKIT_TOP2_COMBINE(f[0], s[0], f[2], s[2], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    MOEKIT_TOP2_COMBINE(f[4], s[4], f[6], s[6], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
#undef MOEKIT_TOP2_OTHER
#define MOEKIT_TOP2_OTHER 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31
    MOEKIT_TOP2_COMBINE(f[0], s[0], f[4], s[4], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
#undef MOEKIT_TOP2_OTHER
#define MOEKIT_TOP2_OTHER 1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15
    MOEKIT_TOP2_COMBINE(f[0], s[0], f[0], s[0], 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
#undef MOEKIT_TOP2_OTHER
    moekit_v16 score = rule == 1 ? f[0] : f[0] + s[0];
    moekit_i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    *groupScores = lane < (int32_t)groups ? score : (moekit_v16)(-INFINITY);
    return _mm512_cmp_ps_mask(check, check, _CMP_UNORD_Q) != 0;
}
#undef MOEKIT_TOP2_COMBINE

/// The kept groups of a group-limited pruned row as a bit mask (bit g for group g), or 0
/// when the approximate scores leave the choice in doubt (the exact path then serves it).
/// (A pointer to the 16 scores, not a vector: a vector argument's ABI differs between the
/// clones.)
static inline __attribute__((always_inline))
unsigned moekit_prune_kept_groups(const float *groupScores, size_t kept, float delta) {
    moekit_f32x16 scores;
    memcpy(&scores, groupScores, sizeof scores);
    moekit_f32x16 sorted = moekit_sort16(scores);
    float ascending[16];
    memcpy(ascending, &sorted, sizeof ascending);
    float last = ascending[16 - kept], next = ascending[15 - kept];
    float lastLow = last - (2.0f * delta + 0x1p-22f * (fabsf(last) + 1.0f));
    float nextHigh = next + (2.0f * delta + 0x1p-22f * (fabsf(next) + 1.0f));
    if (!(lastLow > nextHigh)) return 0;
    return moekit_bits(__builtin_convertvector(scores >= last, moekit_b16));
}

/// Pass 2 of a group-limited pruned row: the survivors among the kept groups' experts.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline int moekit_prune_grouped_pass2_avx512(const float *x, const float *bias, size_t n, size_t groups,
                                                    unsigned keptMask, const float *approx, float cut,
                                                    int32_t *si, float *sx) {
    size_t size = n / groups;
    __m512 cutv = _mm512_set1_ps(cut);
    __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int count = 0;
    for (unsigned mask = keptMask; mask; mask &= mask - 1) {
        size_t g = (size_t)__builtin_ctz(mask);
        for (size_t i = g * size; i < (g + 1) * size; i += 16) {
            __mmask16 m = _mm512_cmp_ps_mask(_mm512_loadu_ps(approx + i), cutv, _CMP_GE_OQ);
            int hits = __builtin_popcount((unsigned)m);
            if (count + hits > 16) return 17;
            __m512i index = _mm512_add_epi32(iota, _mm512_set1_epi32((int)i));
            _mm512_storeu_si512(si + count, _mm512_maskz_compress_epi32(m, index));
            count += hits;
        }
    }
    for (int j = count; j < 16; j++) si[j] = 0;
    __m512i survivors = _mm512_loadu_si512(si);
    _mm512_storeu_ps(sx, _mm512_i32gather_ps(survivors, x, 4));
    if (bias) _mm512_storeu_ps(sx + 16, _mm512_i32gather_ps(survivors, bias, 4));
    return count;
}

/// moekit_prune_rows_avx512_body for group-limited rows; found[r] is 17 for a row whose kept
/// groups are in doubt.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline void moekit_prune_grouped_rows_avx512_body(const float *x, size_t m, const moekit_route_params *p,
                                                         const float *bias, int scoring, float biasMargin,
                                                         float *approx, int32_t (*si)[32], float (*sx)[32],
                                                         int *found, int32_t *indices, float *weights) {
    size_t n = p->experts, groups = p->groups, size = n / groups;
    moekit_v16 groupScores[4];
    float lanes[4][32];
    unsigned keptMask[4];
    int bad[4];
    for (size_t r = 0; r < m; r++) {
        bad[r] = moekit_prune_grouped_pass1_avx512(x + r * n, bias, n, groups, p->groupRule, scoring, approx + r * n,
                                                   &groupScores[r]);
    }
    for (size_t r = 0; r < m; r++) {
        // Sigmoid rows: delta does not depend on the row (no lane maxima of the logits).
        float delta = moekit_prune_delta(1.0f, scoring, biasMargin);     // sigmoid: not read
        keptMask[r] = moekit_prune_kept_groups((const float *)&groupScores[r], p->kept, delta);
        // Lane maxima of the kept groups' even and odd vectors (distinct experts).
        __m512 even = _mm512_set1_ps(-INFINITY), odd = even;
        size_t q = 0;
        for (unsigned mask = keptMask[r]; mask; mask &= mask - 1) {
            size_t g = (size_t)__builtin_ctz(mask);
            for (size_t i = g * size; i < (g + 1) * size; i += 16, q++) {
                __m512 a = _mm512_loadu_ps(approx + r * n + i);
                if (q & 1) odd = _mm512_max_ps(a, odd);
                else even = _mm512_max_ps(a, even);
            }
        }
        _mm512_storeu_ps(lanes[r], even);
        _mm512_storeu_ps(lanes[r] + 16, odd);
    }
    for (size_t r = 0; r < m; r++) {
        if (bad[r]) { found[r] = -1; continue; }
        if (!keptMask[r]) { found[r] = 17; continue; }
        float cut = moekit_prune_cut(lanes[r], lanes[r] + 16, 1.0f, p->k, scoring, biasMargin);
        found[r] = moekit_prune_grouped_pass2_avx512(x + r * n, bias, n, groups, keptMask[r], approx + r * n, cut,
                                                     si[r], sx[r]);
    }
    moekit_rank_batch_avx512(p, m, si, sx, found, indices, weights, scoring, bias != NULL);
}

/// One instance per bias presence (sigmoid scoring: DeepSeek-V3's family).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), noinline))
static void moekit_prune_grouped_rows_avx512(const moekit_route_params *p, const float *x, size_t m, int scoring,
                                             float biasMargin, float *approx, int32_t (*si)[32], float (*sx)[32],
                                             int *found, int32_t *indices, float *weights) {
    if (scoring == MOEKIT_SCORING_SIGMOID) {
        if (p->bias) moekit_prune_grouped_rows_avx512_body(x, m, p, p->bias, MOEKIT_SCORING_SIGMOID, biasMargin, approx, si, sx, found, indices, weights);
        else moekit_prune_grouped_rows_avx512_body(x, m, p, NULL, MOEKIT_SCORING_SIGMOID, biasMargin, approx, si, sx, found, indices, weights);
    } else {
        for (size_t r = 0; r < m; r++) found[r] = 17;       // sqrt-softplus with groups: the exact path
    }
}

/// One instance per scoring function, with and without a bias (constants in the loops).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), noinline))
static void moekit_prune_rows_avx512(const moekit_route_params *p, const float *x, size_t m, int scoring,
                                     float biasMargin, float smallestBias, float *approx, int32_t (*si)[32], float (*sx)[32], int *found,
                                     int32_t *indices, float *weights) {
    const float *bias = p->bias;
    if (scoring == MOEKIT_SCORING_SIGMOID) {
        if (bias) moekit_prune_rows_avx512_body(p, x, m, bias, MOEKIT_SCORING_SIGMOID, biasMargin, smallestBias, approx, si, sx, found, indices, weights);
        else moekit_prune_rows_avx512_body(p, x, m, NULL, MOEKIT_SCORING_SIGMOID, biasMargin, smallestBias, approx, si, sx, found, indices, weights);
    } else {
        if (bias) moekit_prune_rows_avx512_body(p, x, m, bias, MOEKIT_SCORING_SQRT_SOFTPLUS, biasMargin, smallestBias, approx, si, sx, found, indices, weights);
        else moekit_prune_rows_avx512_body(p, x, m, NULL, MOEKIT_SCORING_SQRT_SOFTPLUS, biasMargin, smallestBias, approx, si, sx, found, indices, weights);
    }
}
#endif

/// The end of a pruned row: exact scores and keys of the `count` (k ... 16) survivors
/// `si` / `sx` (indices ascending, zeros after `count`; biases in sx[16 ..< 32]), ranked by
/// (key, lower index first),
/// and the weights. Returns 0, or 3 when a weight is not finite.
static inline __attribute__((always_inline))
int moekit_rank_survivors(const moekit_route_params *p, const int32_t *si, const float *sx, size_t count,
                          int32_t *ix, float *w, int scoring) {
    size_t k = p->k;
    const float *bias = p->bias;
    // Exact scores and keys of the survivors, 16 lanes at once; padding lanes rank last.
    moekit_f32x16 v, b = 0.0f;
    moekit_i32x16 index;
    memcpy(&v, sx, sizeof v);
    memcpy(&index, si, sizeof index);
    if (bias) memcpy(&b, sx + 16, sizeof b);
    moekit_i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    index = lane < (int32_t)count ? index : INT32_MAX;
    moekit_f32x16 score = scoring == MOEKIT_SCORING_SIGMOID ? moekit_sigmoid16(v) : moekit_sqrt_softplus16(v);
    moekit_f32x16 value = bias ? score + b : score;
    value = moekit_select(lane < (int32_t)count, value, moekit_splat(-INFINITY));

    // Rank: keys above plus equal keys at a lower index (the 15 rotations of the lanes).
    moekit_i32x16 rank = moekit_rank16(value, index);
    int32_t ranks[16], indexOf[16];
    float scoreOf[16], slotScore[17];
    int32_t slotIndex[17];
    memcpy(ranks, &rank, sizeof ranks);
    memcpy(indexOf, &index, sizeof indexOf);
    memcpy(scoreOf, &score, sizeof scoreOf);
    // All 16 lanes, a fixed trip count (no mispredicted exit): padding lanes rank at
    // `count` or later, at least k, so they land in the spare slot k.
    for (size_t j = 0; j < 16; j++) {
        size_t slot = moekit_min_slot((unsigned)ranks[j], k);
        slotScore[slot] = scoreOf[j];
        slotIndex[slot] = indexOf[j];
    }
    // Weights as moekit_chosen_weights computes them (same operations, same order).
    float sum = 0.0f;
    for (size_t j = 0; j < k; j++) {
        ix[j] = slotIndex[j];
        w[j] = slotScore[j];
        sum += slotScore[j];
    }
    if (p->normalize) {
        float denominator = sum + p->epsilon;
        for (size_t j = 0; j < k; j++) w[j] = w[j] / denominator;
    }
    if (p->scale != 1.0f) {
        for (size_t j = 0; j < k; j++) w[j] = w[j] * p->scale;
    }
    int nonfinite = 0;
    for (size_t j = 0; j < k; j++) nonfinite |= moekit_is_nonfinite(w[j]);
    return nonfinite ? 3 : 0;
}

/// One scoring function's row loop (`scoring` is a constant in each instance).
static inline __attribute__((always_inline))
int moekit_route_scored_rows(const moekit_route_params *p, const float *logits, size_t rows,
                             int32_t *indices, float *weights, float *scratch, size_t *badRow, int scoring) {
    size_t n = p->experts, k = p->k;
    float *scores = scratch, *keyBuffer = scratch + n, *values = keyBuffer + n;
    float *groupScratch = values + k;
    const float *keys = p->bias ? keyBuffer : scores;
    int limited = p->groups > 0 && p->kept < p->groups;
    float biasMargin = 0.0f, smallestBias = 0.0f;
    int prune = moekit_prune_setup(p, &biasMargin, &smallestBias);
#if MOEKIT_PRUNE_AVX512
    int fast = prune && moekit_prune_avx512_available();
#else
    int fast = 0;                           // only the portable pass here
    (void)fast;
#endif
    int groupedPrune = prune == 2;
    if (groupedPrune && !fast) prune = 0;   // group-limited pruning: the AVX-512 pass only
    // Pruned rows go in batches: first every row's survivors, then every row's ranking.
    // The rankings (a long chain of dependent steps each) of neighbouring rows are
    // independent, so the core overlaps them instead of waiting on each in turn.
    enum { batch = 4 };
    int32_t si[batch][32];
    float sx[batch][32];
    int found[batch];
    for (size_t t0 = 0; t0 < rows; t0 += batch) {
        size_t m = rows - t0 < batch ? rows - t0 : batch;
        if (prune) {
#if MOEKIT_PRUNE_AVX512
            if (groupedPrune) {
                moekit_prune_grouped_rows_avx512(p, logits + t0 * n, m, scoring, biasMargin, scratch, si, sx, found,
                                                 indices + t0 * k, weights + t0 * k);
            } else if (fast) {
                moekit_prune_rows_avx512(p, logits + t0 * n, m, scoring, biasMargin, smallestBias, scratch, si, sx, found,
                                         indices + t0 * k, weights + t0 * k);
            } else
#endif
            for (size_t r = 0; r < m; r++) {
                const float *x = logits + (t0 + r) * n;
                found[r] = moekit_prune_survivors(x, p->bias, n, k, scoring, biasMargin, scores, si[r], sx[r]);
            }
        }
        for (size_t r = 0; r < m; r++) {
            size_t t = t0 + r;
            int32_t *ix = indices + t * k;
            if (prune) {
                if (found[r] == MOEKIT_ROW_RANKED) continue;
                if (found[r] < 0 || found[r] == MOEKIT_ROW_BAD_WEIGHT) {
                    *badRow = t;
                    return MOEKIT_NONFINITE;
                }
                // More than 16 survivors (many keys within 2 delta): the exact path below.
                // Fewer than k cannot happen; the exact path would serve it too.
                if (found[r] <= 16 && (size_t)found[r] >= k) {
                    if (moekit_rank_survivors(p, si[r], sx[r], (size_t)found[r], ix, weights + t * k, scoring)) {
                        *badRow = t;
                        return MOEKIT_NONFINITE;
                    }
                    continue;
                }
            }
            if (moekit_score_row(logits + t * n, p->bias, scores, keyBuffer, n, scoring)) {
                *badRow = t;
                return MOEKIT_NONFINITE;
            }
            if (limited) {
                moekit_group_limited_topk_impl(keys, n, p->groups, p->kept, p->groupRule, k, ix, values, groupScratch);
            } else {
                moekit_topk_impl(keys, n, k, ix, values, 0, NULL);
            }
            if (moekit_chosen_weights(p, scores, ix, weights + t * k)) {
                *badRow = t;
                return MOEKIT_NONFINITE;
            }
        }
    }
    return MOEKIT_OK;
}

MOEKIT_DISPATCH
int moekit_route_scored(const moekit_route_params *p, const float *logits, size_t rows,
                        int32_t *indices, float *weights, float *scratch, size_t *badRow) {
    if (!moekit_route_params_valid(p, 1) || !badRow || (rows > 0 && (!logits || !indices || !weights))) {
        return MOEKIT_INVALID_ARGUMENT;
    }
    float local[MOEKIT_ROUTE_STACK_FLOATS];
    if (!scratch) {
        if (moekit_route_scratch_floats(p) > MOEKIT_ROUTE_STACK_FLOATS) return MOEKIT_INVALID_ARGUMENT;
        scratch = local;
    }
    if (p->scoring == MOEKIT_SCORING_SIGMOID) {
        return moekit_route_scored_rows(p, logits, rows, indices, weights, scratch, badRow, MOEKIT_SCORING_SIGMOID);
    }
    return moekit_route_scored_rows(p, logits, rows, indices, weights, scratch, badRow, MOEKIT_SCORING_SQRT_SOFTPLUS);
}

// MARK: - The scalar baseline

/// Inserts (v, e) into the descending list best[0 ..< *count] of capacity k; a key equal to
/// one already present goes after it (experts arrive in ascending order: lower index wins).
static void moekit_baseline_insert(float v, int32_t e, size_t k, size_t *count, float *best, int32_t *ix) {
    size_t c = *count;
    if (c == k && !(v > best[k - 1])) return;
    size_t pos = c < k ? c : k - 1;
    if (c < k) *count = c + 1;
#pragma clang loop vectorize(disable)
    while (pos > 0 && best[pos - 1] < v) {
        best[pos] = best[pos - 1];
        ix[pos] = ix[pos - 1];
        pos--;
    }
    best[pos] = v;
    ix[pos] = e;
}

int moekit_route_baseline(const moekit_route_params *p, const float *logits, size_t rows,
                          int32_t *indices, float *weights, float *scratch) {
    if (!moekit_route_params_valid(p, 0) || (rows > 0 && (!logits || !indices || !weights || !scratch))) {
        return MOEKIT_INVALID_ARGUMENT;
    }
    size_t n = p->experts, k = p->k;
    size_t groups = p->groups > 0 ? p->groups : 1, kept = p->groups > 0 ? p->kept : 1, size = n / groups;
    float *scores = scratch, *keys = scratch + n, *best = keys + n, *groupScore = best + k;
    for (size_t t = 0; t < rows; t++) {
        const float *x = logits + t * n;
        int32_t *ix = indices + t * k;
        float *w = weights + t * k;
        float top = -INFINITY, total = 0.0f;
#pragma clang loop vectorize(disable)
        for (size_t e = 0; e < n; e++) {
            if (!isfinite(x[e])) return MOEKIT_NONFINITE;
            if (x[e] > top) top = x[e];
        }
#pragma clang loop vectorize(disable)
        for (size_t e = 0; e < n; e++) {
            float s;
            switch (p->scoring) {
            case MOEKIT_SCORING_SIGMOID: s = 1.0f / (1.0f + expf(-x[e])); break;
            case MOEKIT_SCORING_SQRT_SOFTPLUS: s = sqrtf(x[e] > 20.0f ? x[e] : log1pf(expf(x[e]))); break;
            default: s = expf(x[e] - top); total += s; break;
            }
            scores[e] = s;
        }
#pragma clang loop vectorize(disable)
        for (size_t e = 0; e < n; e++) {
            if (p->scoring == MOEKIT_SCORING_SOFTMAX) scores[e] /= total;
            keys[e] = p->bias ? scores[e] + p->bias[e] : scores[e];
        }
        // Group limit: score the groups, keep the best `kept` (lower group wins a tie) by
        // repeated maximum, and mask the others with -inf.
        if (kept < groups) {
#pragma clang loop vectorize(disable)
            for (size_t g = 0; g < groups; g++) {
                float first = -INFINITY, second = -INFINITY;
                for (size_t e = g * size; e < (g + 1) * size; e++) {
                    if (keys[e] > first) { second = first; first = keys[e]; }
                    else if (keys[e] > second) second = keys[e];
                }
                groupScore[g] = p->groupRule == 1 || size == 1 ? first : first + second;
            }
            float *isKept = groupScore + groups;
            for (size_t g = 0; g < groups; g++) isKept[g] = 0.0f;
            for (size_t r = 0; r < kept; r++) {
                size_t bestGroup = groups;
                for (size_t g = 0; g < groups; g++) {
                    if (isKept[g] == 0.0f && (bestGroup == groups || groupScore[g] > groupScore[bestGroup])) bestGroup = g;
                }
                isKept[bestGroup] = 1.0f;
            }
#pragma clang loop vectorize(disable)
            for (size_t g = 0; g < groups; g++) {
                if (isKept[g] == 0.0f) {
                    for (size_t e = g * size; e < (g + 1) * size; e++) keys[e] = -INFINITY;
                }
            }
        }
        size_t count = 0;
#pragma clang loop vectorize(disable)
        for (size_t e = 0; e < n; e++) moekit_baseline_insert(keys[e], (int32_t)e, k, &count, best, ix);
        float sum = 0.0f;
        for (size_t j = 0; j < k; j++) { w[j] = scores[ix[j]]; sum += w[j]; }
        if (p->normalize) for (size_t j = 0; j < k; j++) w[j] /= sum + p->epsilon;
        for (size_t j = 0; j < k; j++) w[j] *= p->scale;
    }
    return MOEKIT_OK;
}
