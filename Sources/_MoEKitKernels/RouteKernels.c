//===--- RouteKernels.c - Fused routing from logits, and a scalar baseline -===//
//
// See MoEKitKernels.h. `moekit_route_scored` routes whole rows of a scored router
// (sigmoid or sqrt-softplus, optional correction bias, optional group limit, chosen-score
// weights) in one call: scores, keys and the non-finite check in one 16-lane pass, the
// exact selection of Selection.h on the keys still in L1, then the weights; or pruned rows
// (RoutePruning.h: approximate keys for every expert, exact keys only for the few that can
// be chosen; the portable pass here, the AVX-512 ones in RoutePruningAVX512.c). Each lane runs
// the scalar functions' operations in the same order (KernelMath.h), so the results are
// bit-identical to scoring with moekit_sigmoid / moekit_sqrt_softplus and selecting with
// moekit_topk / moekit_group_limited_topk.
//
// `moekit_route_baseline` is the comparison point the benchmarks time next to it: a plain
// scalar C router as one would first write it (libm expf, insertion top-k, no vectors).
//
//===----------------------------------------------------------------------===//
#include "RoutePruning.h"

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
    // Scores and keys [2n] (or the approximate keys of a batch of pruned rows), then
    // the chosen values [k].
    size_t floats = MOEKIT_PRUNE_BATCH * n + p->k;
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
    for (size_t j = 0; j < p->k; j++) w[j] = scores[ix[j]];
    return moekit_chosen_score_weights(p, w);
}

/// Survivors of a pruned row (pass 1 and 2), portable: writes the survivors' indices and
/// logits in ascending index order into si[0 ..< 16] and sx[0 ..< 16] (index 0 and its logit
/// after the last), with a bias their biases into sx[16 ..< 32], and returns their count; -1
/// when the row holds NaN or ±inf, 17 when more than 16 survive.
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
    for (size_t j = 0; j < 16; j++) si[j] = 0;
    int count = moekit_positions_at_least16(approx, n, cut, si);
    if (count > 16) return 17;
    for (size_t j = 0; j < 16; j++) sx[j] = x[si[j]];
    if (bias) {
        for (size_t j = 0; j < 16; j++) sx[16 + j] = bias[si[j]];
    }
    return count;
}


/// The end of a pruned row: exact scores and keys of the `count` (k ... 16) survivors
/// `si` / `sx` (indices ascending, index 0 after `count`; biases in sx[16 ..< 32]), ranked by
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
    for (size_t j = 0; j < k; j++) {
        ix[j] = slotIndex[j];
        w[j] = slotScore[j];
    }
    return moekit_chosen_score_weights(p, w) ? 3 : 0;
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
    enum { batch = MOEKIT_PRUNE_BATCH };
    int32_t si[batch][32];
    float sx[batch][32];
    int found[batch];
    for (size_t t0 = 0; t0 < rows; t0 += batch) {
        size_t m = rows - t0 < batch ? rows - t0 : batch;
        if (prune) {
#if MOEKIT_PRUNE_AVX512
            if (groupedPrune) {
                moekit_prune_grouped_rows_avx512(p, logits + t0 * n, m, biasMargin, scratch, si, sx, found,
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
