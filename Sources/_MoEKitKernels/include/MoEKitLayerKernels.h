//===--- MoEKitLayerKernels.h - Kernels of the MoE layer forward ----------===//
//
// Internal module of MoEKit: no stable API. Like the routing kernels, each function is
// compiled for x86-64-v4, x86-64-v3 and the baseline and chosen at load time, with
// floating-point contraction off, so every clone returns bit-identical results.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_LAYER_KERNELS_H
#define MOEKIT_LAYER_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// SwiGLU over `rows` rows: out[r, i] = silu(h[r, i]) * h[r, width + i] with
/// silu(g) = g · sigmoid(g) (sigmoid from e^-|g|, so nothing overflows); `gate_up` is [rows, 2 * width], `out` is [rows, width].
void moekit_swiglu(const float *gate_up, size_t rows, size_t width, float *out);

/// Weighted combine in a fixed order:
/// y[t, :] = (sum over j = 0, 1, ..., k - 1 of weights[t*k + j] * rows[positions[t*k + j], :])
///           + addend[t, :]
/// accumulated in float32, j ascending, starting from 0. A slot whose position is negative
/// (dropped) contributes nothing. `addend` may be null (then nothing is added).
/// `rows` is [*, d], `positions` and `weights` are [tokens, k], `y` and `addend` [tokens, d].
void moekit_combine(const float *rows, const int32_t *positions, const float *weights,
                    const float *addend, size_t tokens, size_t k, size_t d, float *y);

#ifdef __cplusplus
}
#endif

#endif
