//===--- SoftmaxRouteKernels.c - Fused routing for softmax and raw-logit routers ===//
//
// See MoEKitKernels.h. `moekit_route_softmax` routes whole rows of a router without bias or
// group limit that scores with a softmax over all experts (Qwen3-MoE, Mixtral) or selects on
// the raw logits (gpt-oss, Llama 4), with the same bits as MoEKit's row-by-row path
// (Router+Logits.swift), which it replaces for these routers.
//
// A softmax router selects on the logits: the softmax is monotonic, so the logits' order is
// the probabilities' order, except where two different logits round to one probability.
// The k + 1 largest logits are therefore taken, and a row where neighbouring candidates'
// exponentials are within 2^-20 relative (or the last one is below e^-70 of the largest,
// near the subnormal range) is selected again on the probabilities (moekit_softmax, then
// moekit_topk); see `probabilitiesStrictlyOrdered` in Router+Logits.swift.
//
// For E a multiple of 16 (at least 32) and at most 16 candidates, a row takes one pass over
// its logits for the 16 lane maxima (and the NaN / ±inf check); the c-th largest lane
// maximum (c candidates: each lane maximum is a different expert) is a lower bound on the
// c-th largest logit, so only logits at or above it are gathered (typically c to c + 4;
// with AVX-512, compressed and appended in registers, no branch per candidate). The
// candidates are sorted as (logit, expert) pairs by moekit_sort16's bitonic network
// (moekit_sort16_pairs: larger logit, or equal logit at a lower index, first),
// exponentiated as one 16-lane moekit_exp16 (lane for lane the bits of moekit_exp_shifted)
// and checked for strict order 16 lanes at once. Rows go in batches of four: first every
// row's gather, then every row's sorting and weights, so the core overlaps the rows'
// dependency chains. Other shapes, and rows with more than 16 candidates (many logits at
// the bound), use the exact selection of Selection.h (moekit_topk_finite's code) directly.
//
// Measured (Sapphire Rapids, one thread, 4096 rows, C harness): about 0.115 µs per row for
// softmax top-8 of 128 against 0.17 µs for the row-by-row path, 0.117 against 0.21 for
// gpt-oss (top-4 of 128, softmax over the chosen). Sorting the pairs replaced
// moekit_rank16 plus a scatter into 16 slots, which cost about 0.04 µs more per row.
//
//===----------------------------------------------------------------------===//
#include "MoEKitKernels.h"
#include "KernelMath.h"
#include "Selection.h"
#include "RouteWeights.h"

/// Whether `moekit_route_softmax` serves these parameters; O(1).
static int moekit_softmax_params_valid(const moekit_route_params *p) {
    if (!p) return 0;
    size_t n = p->experts, k = p->k;
    if (n == 0 || n > (size_t)INT32_MAX || k == 0 || k > n) return 0;
    if (p->scoring != MOEKIT_SCORING_SOFTMAX && p->scoring != MOEKIT_SCORING_LOGITS) return 0;
    if (p->bias || p->groups != 0) return 0;
    if (p->weighting != MOEKIT_WEIGHTING_CHOSEN && p->weighting != MOEKIT_WEIGHTING_SOFTMAX_CHOSEN
        && p->weighting != MOEKIT_WEIGHTING_SIGMOID_CHOSEN) return 0;
    // Renormalised raw logits are undefined (they can be negative or sum to 0).
    if (p->scoring == MOEKIT_SCORING_LOGITS && p->weighting == MOEKIT_WEIGHTING_CHOSEN && p->normalize) return 0;
    return 1;
}

/// Candidates per row: k + 1 for a softmax router (the extra one shows a tie for the last
/// place), k when k = E or the router selects on the logits.
static inline size_t moekit_softmax_candidate_count(const moekit_route_params *p) {
    return p->scoring == MOEKIT_SCORING_SOFTMAX && p->k < p->experts ? p->k + 1 : p->k;
}

size_t moekit_route_softmax_scratch_floats(const moekit_route_params *p) {
    if (!moekit_softmax_params_valid(p)) return 0;
    // Probabilities [E] for rows selected again; candidates' values, exponentials and
    // indices, and the chosen probabilities, [c] each.
    return p->experts + 4 * moekit_softmax_candidate_count(p);
}

/// The weights of the chosen scores `values` [k] as Router+Logits.swift computes them
/// (step 3), then scaled; returns nonzero when a weight is not finite. For a softmax over
/// the chosen, `exps` may hold e^(values - values[0]) already (computed as
/// moekit_softmax_weights computes them), or be null.
static inline __attribute__((always_inline))
int moekit_softmax_weigh(const moekit_route_params *p, const float *values, const float *exps, float *w) {
    size_t k = p->k;
    if (p->weighting == MOEKIT_WEIGHTING_SOFTMAX_CHOSEN && exps) {
        // moekit_softmax_weights' sum and divisions, on the exponentials at hand.
        float sum = 0.0f;
        for (size_t j = 0; j < k; j++) sum += exps[j];
        for (size_t j = 0; j < k; j++) w[j] = exps[j] / sum;
    } else if (p->weighting == MOEKIT_WEIGHTING_SOFTMAX_CHOSEN) {
        // Swift's max(a, b) is `b >= a ? b : a`.
        float largest = values[0];
        for (size_t j = 1; j < k; j++) largest = values[j] >= largest ? values[j] : largest;
        moekit_softmax_weights(values, k, largest, w);
    } else {
        for (size_t j = 0; j < k; j++) {
            w[j] = p->weighting == MOEKIT_WEIGHTING_SIGMOID_CHOSEN ? moekit_sigmoid_inline(values[j]) : values[j];
        }
        return moekit_chosen_score_weights(p, w);
    }
    return moekit_scale_weights(p, w);
}

/// Whether the probabilities of the `c` candidates (logits `sv` descending, exponentials
/// `se` = e^(sv - rowMax)) are strictly ordered wherever the logits differ, so that choosing
/// on the logits chooses what choosing on the float32 probabilities would: Router+Logits.swift
/// `probabilitiesStrictlyOrdered`, the same comparisons. Two different logits can round to
/// one probability only if their exponentials are within about two ulps; a margin of 2^-20
/// relative keeps clear of that, and candidates below e^-70 of the largest (near the
/// subnormal range) count as possible ties.
static inline __attribute__((always_inline))
int moekit_softmax_ordered(const float *sv, const float *se, size_t c, float rowMax) {
    if (sv[c - 1] - rowMax < -70.0f) return 0;
    for (size_t j = 0; j + 1 < c; j++) {
        if (sv[j] != sv[j + 1] && !(se[j] > se[j + 1] * (1.0f + 0x1p-20f))) return 0;
    }
    return 1;
}

/// The end of a row, from its `c` candidates in descending order (logits `sv`, experts `si`
/// and, for a softmax router, exponentials `se` = e^(sv - rowMax) and whether they are
/// strictly ordered): the chosen experts and their weights, or for a softmax row that is not
/// strictly ordered, the selection again on the probabilities. A logits router passes `se`
/// when it holds the exponentials (for a softmax over the chosen), else null. `probs` [E]
/// and `values` [c] are scratch. Returns nonzero when a weight is not finite.
static inline __attribute__((always_inline))
int moekit_softmax_finish(const moekit_route_params *p, const float *x, const float *sv, const int32_t *si,
                          const float *se, int ordered, float rowMax, int32_t *ix, float *w,
                          float *probs, float *values, int scoring) {
    size_t n = p->experts, k = p->k;
    if (scoring == MOEKIT_SCORING_LOGITS) {
        for (size_t j = 0; j < k; j++) ix[j] = si[j];
        // The row maximum is sv[0], the shift of the softmax over the chosen (of either sign
        // when it is zero: the same exponentials). Exponentials below e^-70 were not computed.
        int exact = se && !(sv[k - 1] - rowMax < -70.0f);
        return moekit_softmax_weigh(p, sv, exact ? se : NULL, w);
    }
    if (!ordered) {
        // Rare: select again on the probabilities themselves.
        moekit_softmax(x, probs, n);
        moekit_topk(probs, n, k, ix, values);
        return moekit_softmax_weigh(p, values, NULL, w);
    }
    for (size_t j = 0; j < k; j++) ix[j] = si[j];
    if (p->weighting == MOEKIT_WEIGHTING_CHOSEN && p->normalize && p->epsilon == 0.0f) {
        // p_j / Σ p = e^(x_j - max) / Σ e^(x - max): the softmax denominator cancels. The sum
        // holds e^0 = 1, so no weight can be 0/0 or overflow.
        float sum = 0.0f;
        for (size_t j = 0; j < k; j++) sum += se[j];
        for (size_t j = 0; j < k; j++) w[j] = se[j] / sum;
        if (p->scale != 1.0f) {
            for (size_t j = 0; j < k; j++) w[j] = w[j] * p->scale;
        }
        return 0;
    }
    float denominator = moekit_exp_sum(x, rowMax, n);
    for (size_t j = 0; j < k; j++) values[j] = se[j] / denominator;
    return moekit_softmax_weigh(p, values, NULL, w);
}

/// Pass 1 over one row (E a multiple of 16): the 16 lane maxima and the NaN / ±inf check;
/// stores the row maximum and the c-th largest lane maximum, a lower bound on the row's
/// c-th largest logit (each lane maximum is a different expert). Returns nonzero for a row
/// holding NaN or ±inf. (Pointer arguments only: a vector argument's ABI differs between
/// the clones.)
static inline __attribute__((always_inline))
int moekit_softmax_bound(const float *x, size_t n, size_t c, float *rowMax, float *threshold) {
    moekit_f32x16 lanes, bad;
    memcpy(&lanes, x, sizeof lanes);
    bad = lanes * 0.0f;                         // 0 for finite x, NaN otherwise
    for (size_t i = 16; i < n; i += 16) {
        moekit_f32x16 v;
        memcpy(&v, x + i, sizeof v);
        lanes = v > lanes ? v : lanes;
        bad = bad + v * 0.0f;
    }
    if (__builtin_reduce_or((moekit_i32x16)(bad != bad))) return 1;
    moekit_f32x16 sorted = moekit_sort16(lanes);
    float ascending[16];
    memcpy(ascending, &sorted, sizeof ascending);
    // The row maximum (of either sign when it is zero: e^(x - max) is the same for both).
    *rowMax = ascending[15];
    *threshold = ascending[16 - c];
    return 0;
}

/// e^(cv - rowMax) for the 16 gathered candidates, into ce, lane for lane the bits of
/// moekit_exp_shifted. They are used only when every chosen candidate is within e^-70 of the
/// largest (moekit_softmax_ordered), so lanes further down (padding -inf among them) take
/// e^0: computed, they would go through the subnormal range, where each multiplication
/// costs a microcode assist of about a hundred cycles. (Pointer arguments: see above.)
static inline __attribute__((always_inline)) void moekit_softmax_exps(const float *cv, float rowMax, float *ce) {
    moekit_f32x16 v;
    memcpy(&v, cv, sizeof v);
    moekit_f32x16 shifted = v - rowMax;
    moekit_f32x16 e = moekit_exp16(moekit_select(shifted >= -70.0f, shifted, moekit_splat(0.0f)));
    memcpy(ce, &e, sizeof e);
}

/// Pass over one row (E a multiple of 16, c <= 16): the lane maxima and the NaN / ±inf
/// check, then the logits at or above the c-th largest lane maximum, gathered in ascending
/// index order into cv / ci (16 each; -inf and INT32_MAX after the last). Returns their
/// count (c ... 16), -1 when the row holds NaN or ±inf, 17 when more than 16 qualify.
static inline __attribute__((always_inline))
int moekit_softmax_gather(const float *x, size_t n, size_t c, float *cv, int32_t *ci, float *rowMax) {
    float threshold;
    if (moekit_softmax_bound(x, n, c, rowMax, &threshold)) return -1;
    moekit_f32x16 none = -INFINITY;
    moekit_i32x16 last = INT32_MAX;
    memcpy(cv, &none, sizeof none);
    memcpy(ci, &last, sizeof last);
    int count = moekit_positions_at_least16(x, n, threshold, ci);
    if (count > 16) return 17;
    for (int j = 0; j < count; j++) cv[j] = x[ci[j]];
    return count;
}

#if defined(__x86_64__) && defined(__clang__) && !defined(MOEKIT_SANITIZED)
#define MOEKIT_SOFTMAX_AVX512 1
#include <immintrin.h>

/// moekit_softmax_gather for `m` consecutive rows with AVX-512 (chosen at run time): the
/// same pass 1, then the candidates of each chunk compressed (vcompressps) and stored at the
/// running count, so a row's gather has no data-dependent branch (cv and ci hold 32 per
/// row, the candidates in the first 16); then, unless `ce` is null (logits routers not
/// weighting by a softmax over the chosen), their exponentials (moekit_softmax_exps).
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"), noinline))
static void moekit_softmax_gather_avx512(const float *logits, size_t m, size_t n, size_t c,
                                         float (*cv)[32], int32_t (*ci)[32], float (*ce)[16], float *rowMax,
                                         int *found) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // Every row's bound first: their sorting networks (long dependency chains) are
    // independent, so the core overlaps them instead of waiting on each before its gather.
    float bounds[4];
    int bad[4];
    for (size_t r = 0; r < m; r++) bad[r] = moekit_softmax_bound(logits + r * n, n, c, &rowMax[r], &bounds[r]);
    for (size_t r = 0; r < m; r++) {
        const float *x = logits + r * n;
        if (bad[r]) {
            found[r] = -1;
            continue;
        }
        __m512 threshold = _mm512_set1_ps(bounds[r]);
        // Each chunk's hits compressed and stored at the running count (clamped at 16: a
        // row with more than 16 candidates is redone); the stores overlap, later ones
        // overwriting the tail of earlier ones, so no step waits on the one before.
        float *values = cv[r];
        int32_t *indices = ci[r];
        __m512i index = lane;
        int count = 0;
        for (size_t i = 0; i < n; i += 16) {
            __m512 v = _mm512_loadu_ps(x + i);
            __mmask16 hit = _mm512_cmp_ps_mask(v, threshold, _CMP_GE_OQ);
            int at = count < 16 ? count : 16;
            _mm512_storeu_ps(values + at, _mm512_mask_compress_ps(_mm512_set1_ps(-INFINITY), hit, v));
            _mm512_storeu_si512(indices + at, _mm512_mask_compress_epi32(_mm512_set1_epi32(INT32_MAX), hit, index));
            count += __builtin_popcount((unsigned)hit);
            index = _mm512_add_epi32(index, _mm512_set1_epi32(16));
        }
        found[r] = count > 16 ? 17 : count;
    }
    // The exponentials now, off the ranking's critical path, and once all rows are gathered:
    // read right after the overlapping stores, the candidates would wait for them to reach
    // the cache (a 64-byte load is forwarded from one store only).
    for (size_t r = 0; ce && r < m; r++) {
        if (found[r] >= 0) moekit_softmax_exps(cv[r], rowMax[r], ce[r]);
    }
}

/// Whether this CPU (and OS) runs the AVX-512 gather.
static int moekit_softmax_avx512_available(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}
#else
#define MOEKIT_SOFTMAX_AVX512 0
#endif

/// The gathered candidates cv / ci (16 lanes, padding -inf / INT32_MAX) sorted best first
/// (descending logit, equal logits by ascending expert: moekit_sort16_pairs), their
/// exponentials ce (if not null) moved along; the first c go to sv / si / se (16 each).
/// Returns whether they are strictly ordered (moekit_softmax_ordered, 16 lanes at once; 1
/// for logits routers).
static inline __attribute__((always_inline))
int moekit_softmax_rank(const float *cv, const int32_t *ci, const float *ce, size_t c, float rowMax,
                        float *sv, int32_t *si, float *se, int scoring) {
    moekit_f32x16 v, e = 0.0f;
    moekit_i32x16 ix;
    memcpy(&v, cv, sizeof v);
    memcpy(&ix, ci, sizeof ix);
    if (ce) memcpy(&e, ce, sizeof e);
    moekit_sort16_pairs(&v, &ix, &e);
    memcpy(sv, &v, sizeof v);
    memcpy(si, &ix, sizeof ix);
    memcpy(se, &e, sizeof e);
    if (scoring == MOEKIT_SCORING_LOGITS) return 1;
    // Neighbours j, j + 1 for j < c - 1: equal logits, or exponentials 2^-20 apart.
    moekit_f32x16 nv = __builtin_shufflevector(v, v, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15);
    moekit_f32x16 ne = __builtin_shufflevector(e, e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15);
    moekit_i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    moekit_i32x16 fine = (moekit_i32x16)(v == nv) | (moekit_i32x16)(e > ne * (1.0f + 0x1p-20f))
        | (moekit_i32x16)(lane >= (int32_t)c - 1);
    return !(sv[c - 1] - rowMax < -70.0f) && __builtin_reduce_and(fine) != 0;
}

/// One row by the general path (any E and k): Selection.h's exact top c with the NaN / ±inf
/// check and the row maximum (moekit_topk_finite's code), then the candidates'
/// exponentials. Returns -1 when the row holds NaN or ±inf, 1 when a weight is not finite.
static inline __attribute__((always_inline))
int moekit_softmax_row_general(const moekit_route_params *p, const float *x, size_t c, int32_t *ix, float *w,
                               float *scratch, int scoring) {
    size_t n = p->experts;
    float *probs = scratch, *cv = scratch + n, *ce = cv + c, *values = ce + c;
    int32_t *ci = (int32_t *)(values + c);
    float rowMax = 0.0f;
    if (moekit_topk_impl(x, n, c, ci, cv, 1, &rowMax)) return -1;
    int ordered = 1;
    if (scoring == MOEKIT_SCORING_SOFTMAX) {
        // moekit_exp_shifted: 16 lanes at a time, zeros past the end.
        for (size_t i = 0; i < c; i += 16) {
            size_t m = c - i < 16 ? c - i : 16;
            moekit_f32x16 v = 0.0f;
            memcpy(&v, cv + i, m * sizeof(float));
            moekit_f32x16 e = moekit_exp16(v - rowMax);
            memcpy(ce + i, &e, m * sizeof(float));
        }
        ordered = moekit_softmax_ordered(cv, ce, c, rowMax);
    }
    return moekit_softmax_finish(p, x, cv, ci, scoring == MOEKIT_SCORING_SOFTMAX ? ce : NULL, ordered, rowMax,
                                 ix, w, probs, values, scoring);
}

/// One scoring's row loop (`scoring` is a constant in each instance).
static inline __attribute__((always_inline))
int moekit_route_softmax_rows(const moekit_route_params *p, const float *logits, size_t rows,
                              int32_t *indices, float *weights, float *scratch, size_t *badRow, int scoring) {
    size_t n = p->experts, k = p->k, c = moekit_softmax_candidate_count(p);
    if (n % 16 != 0 || n < 32 || c > 16) {
        for (size_t t = 0; t < rows; t++) {
            if (moekit_softmax_row_general(p, logits + t * n, c, indices + t * k, weights + t * k, scratch, scoring)) {
                *badRow = t;
                return MOEKIT_NONFINITE;
            }
        }
        return MOEKIT_OK;
    }
    // Exponentials of the candidates: for the softmax, and for a softmax over chosen logits.
    int exps = scoring == MOEKIT_SCORING_SOFTMAX || p->weighting == MOEKIT_WEIGHTING_SOFTMAX_CHOSEN;
    enum { batch = 4 };
    float cv[batch][32], ce[batch][16], rowMax[batch];
    int32_t ci[batch][32];
    int found[batch];
#if MOEKIT_SOFTMAX_AVX512
    int fast = moekit_softmax_avx512_available();
#endif
    for (size_t t0 = 0; t0 < rows; t0 += batch) {
        size_t m = rows - t0 < batch ? rows - t0 : batch;
#if MOEKIT_SOFTMAX_AVX512
        if (fast) {
            moekit_softmax_gather_avx512(logits + t0 * n, m, n, c, cv, ci, exps ? ce : NULL, rowMax, found);
        } else
#endif
        for (size_t r = 0; r < m; r++) {
            found[r] = moekit_softmax_gather(logits + (t0 + r) * n, n, c, cv[r], ci[r], &rowMax[r]);
            if (exps && found[r] >= 0) moekit_softmax_exps(cv[r], rowMax[r], ce[r]);
        }
        for (size_t r = 0; r < m; r++) {
            size_t t = t0 + r;
            const float *x = logits + t * n;
            int bad;
            if (found[r] < 0) {
                bad = 1;
            } else if (found[r] > 16) {
                // More than 16 logits at or above the bound (many equal lane maxima).
                bad = moekit_softmax_row_general(p, x, c, indices + t * k, weights + t * k, scratch, scoring);
            } else {
                float sv[16], se[16], values[16];
                int32_t si[16];
                int ordered = moekit_softmax_rank(cv[r], ci[r], exps ? ce[r] : NULL, c, rowMax[r], sv, si, se, scoring);
                bad = moekit_softmax_finish(p, x, sv, si, exps ? se : NULL, ordered, rowMax[r], indices + t * k,
                                            weights + t * k, scratch, values, scoring);
            }
            if (bad) {
                *badRow = t;
                return MOEKIT_NONFINITE;
            }
        }
    }
    return MOEKIT_OK;
}

MOEKIT_DISPATCH
int moekit_route_softmax(const moekit_route_params *p, const float *logits, size_t rows,
                         int32_t *indices, float *weights, float *scratch, size_t *badRow) {
    if (!moekit_softmax_params_valid(p) || !badRow || (rows > 0 && (!logits || !indices || !weights))) {
        return MOEKIT_INVALID_ARGUMENT;
    }
    float local[MOEKIT_ROUTE_STACK_FLOATS];
    if (!scratch) {
        if (moekit_route_softmax_scratch_floats(p) > MOEKIT_ROUTE_STACK_FLOATS) return MOEKIT_INVALID_ARGUMENT;
        scratch = local;
    }
    if (p->scoring == MOEKIT_SCORING_SOFTMAX) {
        return moekit_route_softmax_rows(p, logits, rows, indices, weights, scratch, badRow, MOEKIT_SCORING_SOFTMAX);
    }
    return moekit_route_softmax_rows(p, logits, rows, indices, weights, scratch, badRow, MOEKIT_SCORING_LOGITS);
}
