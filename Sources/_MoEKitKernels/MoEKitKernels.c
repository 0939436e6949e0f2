//===--- MoEKitKernels.c - Row kernels behind MoEKit's routers ------------===//
//
// See MoEKitKernels.h; the shared math is in KernelMath.h.
//
//===----------------------------------------------------------------------===//
#include "MoEKitKernels.h"
#include "KernelMath.h"
#include "Selection.h"


float moekit_exp(float x) { return moekit_exp_inline(x); }

// MARK: - Scoring

MOEKIT_DISPATCH
int moekit_sigmoid(const float *x, const float *bias, float *scores, float *keys, size_t n) {
    if (n > 0 && (!x || !scores || (bias && !keys))) return MOEKIT_INVALID_ARGUMENT;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        bad |= moekit_is_nonfinite(v);
        scores[i] = moekit_sigmoid_inline(v);
    }
    if (bias) {
        for (size_t i = 0; i < n; i++) keys[i] = scores[i] + bias[i];
    }
    return bad;
}

MOEKIT_DISPATCH
int moekit_sqrt_softplus(const float *x, const float *bias, float *scores, float *keys, size_t n) {
    if (n > 0 && (!x || !scores || (bias && !keys))) return MOEKIT_INVALID_ARGUMENT;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        bad |= moekit_is_nonfinite(v);
        scores[i] = moekit_sqrt_softplus_inline(v);
    }
    if (bias) {
        for (size_t i = 0; i < n; i++) keys[i] = scores[i] + bias[i];
    }
    return bad;
}

MOEKIT_DISPATCH
int moekit_nonfinite(const float *x, size_t n) {
    return moekit_nonfinite_inline(x, n);
}

/// Up to 16 values at once (a helper with pointer arguments only, so no clone passes a
/// 16-float vector across a call).
static inline __attribute__((always_inline)) void moekit_exp_block(const float *x, size_t m, float shift, float *out) {
    moekit_f32x16 v = 0.0f;
    memcpy(&v, x, m * sizeof(float));
    moekit_f32x16 e = moekit_exp16(v - shift);
    memcpy(out, &e, m * sizeof(float));
}

MOEKIT_DISPATCH
void moekit_exp_shifted(const float *x, size_t n, float shift, float *out) {
    if (!x || !out) return;
    for (size_t i = 0; i < n; i += 16) moekit_exp_block(x + i, n - i < 16 ? n - i : 16, shift, out + i);
}

MOEKIT_DISPATCH
float moekit_exp_sum(const float *x, float shift, size_t n) {
    // Sixteen partial sums in a fixed order: vectorises without reassociation and gives
    // the same bits on every CPU.
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t j = 0; j < 16; j++) acc[j] += moekit_exp_inline(x[i + j] - shift);
    }
    for (size_t j = 0; i < n; i++, j++) acc[j] += moekit_exp_inline(x[i] - shift);
    float sum = 0.0f;
    for (size_t j = 0; j < 16; j++) sum += acc[j];
    return sum;
}

MOEKIT_DISPATCH
int moekit_softmax(const float *x, float *p, size_t n) {
    if (n == 0) return MOEKIT_OK;
    if (!x || !p) return MOEKIT_INVALID_ARGUMENT;
    int bad = 0;
    float m = x[0];
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        bad |= moekit_is_nonfinite(v);
        m = v > m ? v : m;
    }
    if (bad) return 1;
    // Sixteen partial sums in a fixed order: vectorises without reassociation and gives
    // the same bits on every CPU.
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t j = 0; j < 16; j++) {
            float e = moekit_exp_inline(x[i + j] - m);
            p[i + j] = e;
            acc[j] += e;
        }
    }
    for (size_t j = 0; i < n; i++, j++) {
        float e = moekit_exp_inline(x[i] - m);
        p[i] = e;
        acc[j] += e;
    }
    float sum = 0.0f;
    for (size_t j = 0; j < 16; j++) sum += acc[j];
    for (size_t k = 0; k < n; k++) p[k] = p[k] / sum;
    return 0;
}

MOEKIT_DISPATCH
int moekit_topk(const float *keys, size_t n, size_t k, int32_t *indices, float *values) {
    if (!moekit_selection_arguments_valid(keys, n, k, indices, values)) return MOEKIT_INVALID_ARGUMENT;
    return moekit_topk_impl(keys, n, k, indices, values, 0, NULL);
}

MOEKIT_DISPATCH
int moekit_topk_finite(const float *keys, size_t n, size_t k, int32_t *indices, float *values,
                       float *rowMax) {
    if (!moekit_selection_arguments_valid(keys, n, k, indices, values) || !rowMax) return MOEKIT_INVALID_ARGUMENT;
    return moekit_topk_impl(keys, n, k, indices, values, 1, rowMax);
}

MOEKIT_DISPATCH
int moekit_group_limited_topk(const float *keys, size_t n, size_t groups, size_t kept, int rule,
                              size_t k, int32_t *indices, float *values, float *scratch) {
    return moekit_group_limited_topk_impl(keys, n, groups, kept, rule, k, indices, values, scratch);
}

// MARK: - Weights

void moekit_softmax_weights(const float *values, size_t k, float shift, float *weights) {
    float sum = 0.0f;
    for (size_t j = 0; j < k; j++) {
        float e = moekit_exp_inline(values[j] - shift);
        weights[j] = e;
        sum += e;
    }
    for (size_t j = 0; j < k; j++) weights[j] = weights[j] / sum;
}
