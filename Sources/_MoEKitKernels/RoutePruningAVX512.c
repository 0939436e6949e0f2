//===--- RoutePruningAVX512.c - The pruned routing passes on AVX-512 -------===//
//
// The AVX-512 versions of the pruned rows of moekit_route_scored (RouteKernels.c; the
// argument is in RoutePruning.h): approximate keys with vreduceps / vscalefps /
// vrcp14ps / vrsqrt14ps, the survivors gathered with vpcompressd, ranked exactly and placed
// with a masked scatter, four rows at a time, stage by stage; and the group-limited rows.
// Compiled with target attributes and chosen at run time (moekit_prune_avx512_available),
// so the default build needs no -march flag.
//
//===----------------------------------------------------------------------===//
#include "RoutePruning.h"

#if MOEKIT_PRUNE_AVX512
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

int moekit_prune_avx512_available(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("fma");
}

/// The end of a pruned row on AVX-512 (moekit_rank_survivors with vector stores): exact
/// scores and keys of the `count` (k ... 16) survivors, ranked by (key, lower index first),
/// the chosen k placed by rank with a masked scatter, and the weights. Same operations in the
/// same order as moekit_chosen_score_weights (RouteWeights.h), so the same bits. Returns 0, or 3 when a weight is
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
/// into `lanes` [32] the lane maxima of the even and of the odd vectors (the cut and the
/// largest-score bound take the larger of each lane). Returns nonzero when the row holds NaN
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

/// moekit_prune_survivors for `m` (1 ... MOEKIT_PRUNE_BATCH) consecutive rows with AVX-512 instructions: every
/// row's pass 1, then every row's cut, then every row's pass 2, so that the cuts' long
/// dependency chains (sorting networks) of neighbouring rows overlap. `approx` holds m * n.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline))
static inline void moekit_prune_rows_avx512_body(const moekit_route_params *p, const float *x, size_t m,
                                                 const float *bias, int scoring, float biasMargin, float smallestBias,
                                                 float *approx, int32_t (*si)[32], float (*sx)[32], int *found,
                                                 int32_t *indices, float *weights) {
    size_t n = p->experts, k = p->k;
    float lanes[MOEKIT_PRUNE_BATCH][32], cut[MOEKIT_PRUNE_BATCH];
    int bad[MOEKIT_PRUNE_BATCH];
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
// kept groups' approximate keys only (the lane maxima of their vectors), and only
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
                                                         const float *bias, float biasMargin,
                                                         float *approx, int32_t (*si)[32], float (*sx)[32],
                                                         int *found, int32_t *indices, float *weights) {
    const int scoring = MOEKIT_SCORING_SIGMOID;
    size_t n = p->experts, groups = p->groups, size = n / groups;
    moekit_v16 groupScores[MOEKIT_PRUNE_BATCH];
    float lanes[MOEKIT_PRUNE_BATCH][16];
    unsigned keptMask[MOEKIT_PRUNE_BATCH];
    int bad[MOEKIT_PRUNE_BATCH];
    for (size_t r = 0; r < m; r++) {
        bad[r] = moekit_prune_grouped_pass1_avx512(x + r * n, bias, n, groups, p->groupRule, scoring, approx + r * n,
                                                   &groupScores[r]);
    }
    for (size_t r = 0; r < m; r++) {
        // Sigmoid: delta does not depend on the row's largest score.
        float delta = moekit_prune_delta(1.0f, scoring, biasMargin);
        keptMask[r] = moekit_prune_kept_groups((const float *)&groupScores[r], p->kept, delta);
        // Lane maxima of the kept groups' vectors.
        __m512 top = _mm512_set1_ps(-INFINITY);
        for (unsigned mask = keptMask[r]; mask; mask &= mask - 1) {
            size_t g = (size_t)__builtin_ctz(mask);
            for (size_t i = g * size; i < (g + 1) * size; i += 16) top = _mm512_max_ps(_mm512_loadu_ps(approx + r * n + i), top);
        }
        _mm512_storeu_ps(lanes[r], top);
    }
    for (size_t r = 0; r < m; r++) {
        if (bad[r]) { found[r] = -1; continue; }
        if (!keptMask[r]) { found[r] = 17; continue; }
        float cut = moekit_prune_cut(lanes[r], lanes[r], 1.0f, p->k, scoring, biasMargin);
        found[r] = moekit_prune_grouped_pass2_avx512(x + r * n, bias, n, groups, keptMask[r], approx + r * n, cut,
                                                     si[r], sx[r]);
    }
    moekit_rank_batch_avx512(p, m, si, sx, found, indices, weights, scoring, bias != NULL);
}

/// One instance per bias presence (sigmoid scoring: DeepSeek-V3's family).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), noinline))
void moekit_prune_grouped_rows_avx512(const moekit_route_params *p, const float *x, size_t m, float biasMargin,
                                      float *approx, int32_t (*si)[32], float (*sx)[32], int *found,
                                      int32_t *indices, float *weights) {
    if (p->bias) moekit_prune_grouped_rows_avx512_body(x, m, p, p->bias, biasMargin, approx, si, sx, found, indices, weights);
    else moekit_prune_grouped_rows_avx512_body(x, m, p, NULL, biasMargin, approx, si, sx, found, indices, weights);
}

/// One instance per scoring function, with and without a bias (constants in the loops).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), noinline))
void moekit_prune_rows_avx512(const moekit_route_params *p, const float *x, size_t m, int scoring,
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
