//===--- LayerKernels.c - SwiGLU and combine for the MoE layer forward ----===//
//
// See MoEKitKernels.h.
//
//===----------------------------------------------------------------------===//
#include "MoEKitKernels.h"
#include "KernelMath.h"

MOEKIT_DISPATCH
void moekit_swiglu(const float *gate_up, size_t rows, size_t width, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *g = gate_up + r * 2 * width;
        const float *u = g + width;
        float *o = out + r * width;
        for (size_t i = 0; i < width; i++) {
            float x = g[i];
            // sigmoid from e^-|x|, which never overflows (as moekit_sigmoid does).
            float e = moekit_exp_inline(-fabsf(x));
            float s = (x >= 0.0f ? 1.0f : e) / (1.0f + e);
            o[i] = (x * s) * u[i];
        }
    }
}

MOEKIT_DISPATCH
void moekit_combine(const float *rows, const int32_t *positions, const float *weights,
                    const float *addend, size_t tokens, size_t k, size_t d, float *y) {
    for (size_t t = 0; t < tokens; t++) {
        const int32_t *pos = positions + t * k;
        const float *w = weights + t * k;
        float *out = y + t * d;
        size_t c = 0;
        // 16 columns at a time, all k slots per block: one write per output element.
        for (; c + 16 <= d; c += 16) {
            moekit_f32x16 acc = 0.0f;
            for (size_t j = 0; j < k; j++) {
                if (pos[j] < 0) continue;
                moekit_f32x16 v;
                memcpy(&v, rows + (size_t)pos[j] * d + c, sizeof v);
                acc = acc + w[j] * v;
            }
            if (addend) {
                moekit_f32x16 a;
                memcpy(&a, addend + t * d + c, sizeof a);
                acc = acc + a;
            }
            memcpy(out + c, &acc, sizeof acc);
        }
        for (; c < d; c++) {
            float acc = 0.0f;
            for (size_t j = 0; j < k; j++) {
                if (pos[j] < 0) continue;
                acc = acc + w[j] * rows[(size_t)pos[j] * d + c];
            }
            if (addend) acc = acc + addend[t * d + c];
            out[c] = acc;
        }
    }
}
