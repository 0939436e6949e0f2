//===--- MoEKitKernels.h - Row kernels behind MoEKit's routers ------------===//
//
// Internal module of MoEKit: no stable API. Every function works on one row of
// `n` contiguous float32 values and allocates nothing. On x86-64 each kernel is
// compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2) and the baseline, and the
// dynamic loader picks the best clone for the CPU (`target_clones`). Floating-point
// contraction is off, so every clone returns bit-identical results.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_KERNELS_H
#define MOEKIT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// scores[i] = sigmoid(x[i]); keys[i] = scores[i] + bias[i] when `bias` is non-null.
/// `keys` may be null when `bias` is null. Returns 1 if any x[i] is NaN or infinite, else 0.
int moekit_sigmoid(const float *x, const float *bias, float *scores, float *keys, size_t n);

/// scores[i] = sqrt(softplus(x[i])) (DeepSeek-V4); keys as in `moekit_sigmoid`.
int moekit_sqrt_softplus(const float *x, const float *bias, float *scores, float *keys, size_t n);

/// p = softmax(x) over the row, computed as exp(x - max) / sum. Returns 1 on a non-finite input.
int moekit_softmax(const float *x, float *p, size_t n);

/// Returns 1 if any x[i] is NaN or infinite, else 0.
int moekit_nonfinite(const float *x, size_t n);

/// Largest `k` keys of a row without NaN, written in descending key order; equal keys in
/// ascending index order (the lower index wins). Requires 1 <= k <= n.
void moekit_topk(const float *keys, size_t n, size_t k, int32_t *indices, float *values);

/// e^x for every x (0 below -103.97, +inf above 88.72); max relative error about 1.2e-7.
float moekit_exp(float x);

#ifdef __cplusplus
}
#endif

#endif
