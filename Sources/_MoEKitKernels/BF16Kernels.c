//===--- BF16Kernels.c - The bf16 router GEMM: packing and micro-kernels --===//
//
// See MoEKitKernels.h. logits [T, E] = hidden [T, d] · gateᵀ with the gate stored once in
// bf16 and the hidden states either in float32, rounded to bf16 per tile (round to nearest
// even), or already in bf16; products accumulated in float32.
//
// Layout. The gate [E, d] is packed into panels of 32 experts; a panel holds, for each pair
// of hidden indices (2p, 2p + 1), 32 uint32 words whose low half is the bf16 of element 2p
// and whose high half the bf16 of element 2p + 1: exactly the operand of `vdpbf16ps`
// (AVX512-BF16), which adds both products of a pair to a float32 lane. Experts past E and
// the odd element past d are zero.
//
// Kernels. An 8-token × 32-expert micro-kernel (16 accumulators) over blocks of 512 pairs
// whose panels stay in L2; a 1-token kernel that streams four panels at once. Two builds of
// each: AVX512-BF16 (`vdpbf16ps`, compiled with a per-function target attribute and chosen
// at run time from CPUID) and a portable one in plain vector C (compiled for x86-64-v4/v3/
// baseline by `target_clones`), which widens bf16 to float32 by shifting and adds the odd
// product, then the even one, to the lane: the order `vdpbf16ps` documents. Every logit is
// one chain of additions over p = 0, 1, ... whatever the batch, block or thread split, so a
// token's logits do not depend on the batch it is in or on the thread count. (`vdpbf16ps`
// flushes subnormal inputs and results to zero; the portable kernel does not, so the two
// differ only where a partial sum or a product is below 2^-126.)
//
// Hidden states. Only the packing of a hidden tile reads them (`moekit_hidden_at`,
// `moekit_hidden_load16`): float32 values are rounded there, bf16 bits copied. Each kernel
// body is always inlined into two instantiations, one per input type, in which the type is
// a constant; the micro-kernels are the same code for both, so bf16 hidden states that are
// the rounded float32 ones give bit-identical logits.
//
//===----------------------------------------------------------------------===//
#include "MoEKitKernels.h"
#include "KernelMath.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define MOEKIT_HAS_BF16_KERNEL 1
#define MOEKIT_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#define MOEKIT_HAS_AMX_KERNEL 1
#define MOEKIT_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw")))
#endif
#endif

enum { MR = 8, NR = 32, KC = 512 };

typedef uint32_t moekit_u32x16 __attribute__((ext_vector_type(16)));

// MARK: - Conversion

/// bf16 bits of x, rounded to nearest even; NaN stays a (quiet) NaN.
static inline __attribute__((always_inline)) uint16_t moekit_bf16_round(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40u);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

MOEKIT_DISPATCH
void moekit_f32_to_bf16(const float *x, size_t n, uint16_t *out) {
    if (!x || !out) return;
    for (size_t i = 0; i < n; i++) out[i] = moekit_bf16_round(x[i]);
}

int moekit_bf16_first_nonfinite(const uint16_t *x, size_t n, size_t *index) {
    if (!x || !index) return MOEKIT_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++) {
        if ((x[i] & 0x7F80u) == 0x7F80u) { *index = i; return MOEKIT_NONFINITE; }
    }
    return MOEKIT_OK;
}

// MARK: - Hidden states

/// Hidden states [tokens, d], row-major: float32 (`bf16` 0), rounded to bf16 as they are
/// packed, or bf16 bits (`bf16` 1) used as they are.
typedef struct { const float *f32; const uint16_t *bits; int bf16; } moekit_hidden;

static inline __attribute__((always_inline)) moekit_hidden moekit_hidden_f32(const float *x) {
    return (moekit_hidden){x, NULL, 0};
}
static inline __attribute__((always_inline)) moekit_hidden moekit_hidden_bits(const uint16_t *x) {
    return (moekit_hidden){NULL, x, 1};
}

/// The hidden states from row `row` on.
static inline __attribute__((always_inline)) moekit_hidden moekit_hidden_from(moekit_hidden h, size_t row, size_t d) {
    if (h.bf16) h.bits += row * d; else h.f32 += row * d;
    return h;
}

/// The bf16 bits of element i (from the start of `h`).
static inline __attribute__((always_inline)) uint32_t moekit_hidden_at(moekit_hidden h, size_t i) {
    return h.bf16 ? h.bits[i] : moekit_bf16_round(h.f32[i]);
}

static inline __attribute__((always_inline)) int moekit_bf16_is_nonfinite(uint32_t bits) {
    return (bits & 0x7F80u) == 0x7F80u;
}

static inline size_t moekit_pairs(size_t d) { return d / 2 + d % 2; }
/// Pairs a panel holds in memory: rounded up to 16, the rows of an AMX tile (the extra
/// pairs are zero).
static inline size_t moekit_stride(size_t d) { return (moekit_pairs(d) + 15) / 16 * 16; }
static inline size_t moekit_panels(size_t experts) { return experts / NR + (experts % NR != 0); }

size_t moekit_bf16_packed_words(size_t experts, size_t d) {
    if (experts == 0 || d == 0) return 0;
    size_t panels = moekit_panels(experts), pairs = moekit_stride(d);
    if (d > SIZE_MAX / 2 || pairs > SIZE_MAX / NR / panels) return 0;
    return panels * pairs * NR;
}

int moekit_bf16_pack_gate(const uint16_t *gate, size_t experts, size_t d, uint32_t *packed) {
    if (!gate || !packed || moekit_bf16_packed_words(experts, d) == 0) return MOEKIT_INVALID_ARGUMENT;
    size_t pairs = moekit_pairs(d), stride = moekit_stride(d);
    for (size_t panel = 0; panel < moekit_panels(experts); panel++) {
        uint32_t *out = packed + panel * stride * NR;
        for (size_t j = 0; j < NR; j++) {
            size_t e = panel * NR + j;
            const uint16_t *row = gate + e * d;
            for (size_t p = 0; p < stride; p++) {
                uint32_t lo = 0, hi = 0;
                if (e < experts && p < pairs) {
                    lo = row[2 * p];
                    hi = 2 * p + 1 < d ? row[2 * p + 1] : 0;
                }
                out[p * NR + j] = lo | (hi << 16);
            }
        }
    }
    return MOEKIT_OK;
}

/// The bf16 bits of hidden elements i and i + 1 of a row `h` of length d (zero past the row's
/// end, or for a padding row, `valid` 0); returns nonzero if either is NaN or ±inf in bf16.
static inline __attribute__((always_inline))
uint32_t moekit_pack_pair(moekit_hidden h, size_t i, size_t d, int valid, uint32_t *lo, uint32_t *hi) {
    *lo = valid ? moekit_hidden_at(h, i) : 0;
    *hi = valid && i + 1 < d ? moekit_hidden_at(h, i + 1) : 0;
    return (uint32_t)(moekit_bf16_is_nonfinite(*lo) | moekit_bf16_is_nonfinite(*hi));
}

#if defined(MOEKIT_HAS_BF16_KERNEL)
/// Packs hidden rows [rows ≤ MR, d] for pairs [p0, p0 + kc) as words [kc][MR] (missing rows
/// zero); returns nonzero if a packed value is NaN or ±inf.
static inline __attribute__((always_inline))
int moekit_pack_hidden(moekit_hidden hidden, size_t rows, size_t d, size_t p0, size_t kc, uint32_t *a) {
    uint32_t bad = 0;
    for (size_t r = 0; r < MR; r++) {
        moekit_hidden h = moekit_hidden_from(hidden, r, d);
        for (size_t q = 0; q < kc; q++) {
            size_t i = 2 * (p0 + q);
            uint32_t lo, hi;
            bad |= moekit_pack_pair(h, i, d, r < rows, &lo, &hi);
            a[q * MR + r] = lo | (hi << 16);
        }
    }
    return bad != 0;
}
#endif

/// The first of rows [t0, t0 + rows) holding a value that is not finite in bf16 (earlier
/// rows were packed whole, so they are finite).
static inline __attribute__((always_inline))
size_t moekit_first_bad_row(moekit_hidden hidden, size_t t0, size_t rows, size_t d) {
    for (size_t t = t0; t < t0 + rows; t++) {
        for (size_t i = 0; i < d; i++) {
            if (moekit_bf16_is_nonfinite(moekit_hidden_at(hidden, t * d + i))) return t;
        }
    }
    return t0;
}

/// `moekit_pack_hidden` widened for the portable kernel: for each pair and row, the odd
/// element then the even one as float32 (so the kernel multiplies by a broadcast operand).
static inline __attribute__((always_inline))
int moekit_pack_hidden_f32(moekit_hidden hidden, size_t rows, size_t d, size_t p0, size_t kc, float *a) {
    uint32_t bad = 0;
    for (size_t r = 0; r < MR; r++) {
        moekit_hidden h = moekit_hidden_from(hidden, r, d);
        for (size_t q = 0; q < kc; q++) {
            size_t i = 2 * (p0 + q);
            uint32_t lo, hi;
            bad |= moekit_pack_pair(h, i, d, r < rows, &lo, &hi);
            a[2 * (q * MR + r)] = moekit_bits_to_float((int32_t)(hi << 16));
            a[2 * (q * MR + r) + 1] = moekit_bits_to_float((int32_t)(lo << 16));
        }
    }
    return bad != 0;
}

// MARK: - Portable kernels

static inline __attribute__((always_inline)) moekit_f32x16 moekit_widen_hi(moekit_u32x16 w) {
    return (moekit_f32x16)(w & 0xFFFF0000u);
}
static inline __attribute__((always_inline)) moekit_f32x16 moekit_widen_lo(moekit_u32x16 w) {
    return (moekit_f32x16)(w << 16);
}
static inline __attribute__((always_inline)) float moekit_hi_f32(uint32_t w) {
    return moekit_bits_to_float((int32_t)(w & 0xFFFF0000u));
}
static inline __attribute__((always_inline)) float moekit_lo_f32(uint32_t w) {
    return moekit_bits_to_float((int32_t)(w << 16));
}

/// The odd product, then the even one, added to each lane (vdpbf16ps's order). A product of
/// two bf16 values is exact in float32, so a fused multiply-add rounds exactly as a multiply
/// then an add: contraction is allowed here (FMA on x86-64-v3/v4, separate operations on
/// the baseline) and changes no bit.
static inline __attribute__((always_inline))
moekit_f32x16 moekit_dp_portable(moekit_f32x16 acc, moekit_u32x16 b, uint32_t a) {
#pragma clang fp contract(fast)
    acc = acc + moekit_widen_hi(b) * moekit_hi_f32(a);
    acc = acc + moekit_widen_lo(b) * moekit_lo_f32(a);
    return acc;
}

/// acc + bhi·ahi, then + blo·alo (see moekit_dp_portable).
static inline __attribute__((always_inline))
moekit_f32x16 moekit_fma_pair(moekit_f32x16 acc, moekit_f32x16 bhi, float ahi, moekit_f32x16 blo, float alo) {
#pragma clang fp contract(fast)
    acc = acc + bhi * ahi;
    acc = acc + blo * alo;
    return acc;
}

/// C[rows, cols] (+)= A-block · B-panel over kc pairs; `first` starts from zero.
static inline __attribute__((always_inline))
void moekit_micro_portable(const float *a, const uint32_t *b, size_t kc, float *c, size_t ldc,
                           size_t rows, size_t cols, int first) {
    moekit_f32x16 acc[MR][2];
    for (size_t r = 0; r < MR; r++) {
        for (size_t h = 0; h < 2; h++) {
            acc[r][h] = 0.0f;
            if (!first && r < rows) {
                for (size_t j = 0; j < 16; j++) if (16 * h + j < cols) acc[r][h][j] = c[r * ldc + 16 * h + j];
            }
        }
    }
    for (size_t p = 0; p < kc; p++) {
        moekit_u32x16 b0, b1;
        memcpy(&b0, b + p * NR, sizeof b0);
        memcpy(&b1, b + p * NR + 16, sizeof b1);
        moekit_f32x16 hi0 = moekit_widen_hi(b0), lo0 = moekit_widen_lo(b0);
        moekit_f32x16 hi1 = moekit_widen_hi(b1), lo1 = moekit_widen_lo(b1);
        for (size_t r = 0; r < MR; r++) {
            float ahi = a[2 * (p * MR + r)], alo = a[2 * (p * MR + r) + 1];
            acc[r][0] = moekit_fma_pair(acc[r][0], hi0, ahi, lo0, alo);
            acc[r][1] = moekit_fma_pair(acc[r][1], hi1, ahi, lo1, alo);
        }
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) c[r * ldc + j] = acc[r][j / 16][j % 16];
    }
}

/// One token against four panels at a time, all pairs.
static inline __attribute__((always_inline))
void moekit_row_portable(moekit_hidden h, size_t d, const uint32_t *packed, size_t experts, float *out, int *bad) {
    size_t pairs = moekit_pairs(d), panels = moekit_panels(experts), stride = moekit_stride(d);
    uint32_t nonfinite = 0;
    for (size_t g = 0; g < panels; g += 4) {
        size_t count = panels - g < 4 ? panels - g : 4;
        moekit_f32x16 acc[8] = {0};
        for (size_t p = 0; p < pairs; p++) {
            uint32_t lo = moekit_hidden_at(h, 2 * p);
            uint32_t hi = 2 * p + 1 < d ? moekit_hidden_at(h, 2 * p + 1) : 0;
            nonfinite |= (uint32_t)(moekit_bf16_is_nonfinite(lo) | moekit_bf16_is_nonfinite(hi));
            uint32_t w = lo | (hi << 16);
            for (size_t q = 0; q < 4; q++) {
                if (q >= count) break;
                const uint32_t *b = packed + ((g + q) * stride + p) * NR;
                moekit_u32x16 b0, b1;
                memcpy(&b0, b, sizeof b0);
                memcpy(&b1, b + 16, sizeof b1);
                acc[2 * q] = moekit_dp_portable(acc[2 * q], b0, w);
                acc[2 * q + 1] = moekit_dp_portable(acc[2 * q + 1], b1, w);
            }
        }
        for (size_t q = 0; q < count; q++) {
            for (size_t j = 0; j < NR; j++) {
                size_t e = (g + q) * NR + j;
                if (e < experts) out[e] = acc[2 * q + j / 16][j % 16];
            }
        }
    }
    *bad = nonfinite != 0;
}

static inline __attribute__((always_inline))
int moekit_bf16_gemm_portable(moekit_hidden hidden, size_t tokens, size_t d, const uint32_t *packed,
                                     size_t experts, float *logits, size_t *badRow) {
    size_t pairs = moekit_pairs(d), panels = moekit_panels(experts), stride = moekit_stride(d);
    if (tokens == 1) {
        int bad;
        moekit_row_portable(hidden, d, packed, experts, logits, &bad);
        if (bad) { *badRow = 0; return MOEKIT_NONFINITE; }
        return MOEKIT_OK;
    }
    float a[2 * KC * MR] __attribute__((aligned(64)));
    for (size_t t0 = 0; t0 < tokens; t0 += MR) {
        size_t rows = tokens - t0 < MR ? tokens - t0 : MR;
        for (size_t p0 = 0; p0 < pairs; p0 += KC) {
            size_t kc = pairs - p0 < KC ? pairs - p0 : KC;
            if (moekit_pack_hidden_f32(moekit_hidden_from(hidden, t0, d), rows, d, p0, kc, a)) {
                *badRow = moekit_first_bad_row(hidden, t0, rows, d);
                return MOEKIT_NONFINITE;
            }
            for (size_t panel = 0; panel < panels; panel++) {
                size_t cols = experts - panel * NR < NR ? experts - panel * NR : NR;
                moekit_micro_portable(a, packed + (panel * stride + p0) * NR, kc, logits + t0 * experts + panel * NR,
                                      experts, rows, cols, p0 == 0);
            }
        }
    }
    return MOEKIT_OK;
}

MOEKIT_DISPATCH
static int moekit_bf16_gemm_portable_f32(const float *hidden, size_t tokens, size_t d, const uint32_t *packed,
                                         size_t experts, float *logits, size_t *badRow) {
    return moekit_bf16_gemm_portable(moekit_hidden_f32(hidden), tokens, d, packed, experts, logits, badRow);
}

MOEKIT_DISPATCH
static int moekit_bf16_gemm_portable_bits(const uint16_t *hidden, size_t tokens, size_t d, const uint32_t *packed,
                                          size_t experts, float *logits, size_t *badRow) {
    return moekit_bf16_gemm_portable(moekit_hidden_bits(hidden), tokens, d, packed, experts, logits, badRow);
}

// MARK: - AVX512-BF16 kernels

#if defined(MOEKIT_HAS_BF16_KERNEL)

static inline __attribute__((always_inline)) MOEKIT_BF16_TARGET
__m512 moekit_dp_native(__m512 acc, __m512i b, uint32_t a) {
    return _mm512_dpbf16_ps(acc, (__m512bh)b, (__m512bh)_mm512_set1_epi32((int)a));
}

static inline __attribute__((always_inline)) MOEKIT_BF16_TARGET
void moekit_micro_native(const uint32_t *a, const uint32_t *b, size_t kc, float *c, size_t ldc,
                         size_t rows, size_t cols, int first) {
    __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFFu : (1u << cols) - 1u);
    __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFFu : cols <= 16 ? 0u : (1u << (cols - 16)) - 1u);
    __m512 acc[MR][2];
    for (size_t r = 0; r < MR; r++) {
        if (!first && r < rows) {
            acc[r][0] = _mm512_maskz_loadu_ps(m0, c + r * ldc);
            acc[r][1] = _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
        } else {
            acc[r][0] = _mm512_setzero_ps();
            acc[r][1] = _mm512_setzero_ps();
        }
    }
    for (size_t p = 0; p < kc; p++) {
        __m512i b0 = _mm512_loadu_si512(b + p * NR);
        __m512i b1 = _mm512_loadu_si512(b + p * NR + 16);
        for (size_t r = 0; r < MR; r++) {
            acc[r][0] = moekit_dp_native(acc[r][0], b0, a[p * MR + r]);
            acc[r][1] = moekit_dp_native(acc[r][1], b1, a[p * MR + r]);
        }
    }
    for (size_t r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
    }
}

static inline __attribute__((always_inline)) MOEKIT_BF16_TARGET
void moekit_row_native(moekit_hidden h, size_t d, const uint32_t *packed, size_t experts, float *out, int *bad) {
    size_t pairs = moekit_pairs(d), panels = moekit_panels(experts), stride = moekit_stride(d);
    uint32_t nonfinite = 0;
    for (size_t g = 0; g < panels; g += 4) {
        size_t count = panels - g < 4 ? panels - g : 4;
        __m512 acc[8];
        for (size_t q = 0; q < 8; q++) acc[q] = _mm512_setzero_ps();
        const uint32_t *b = packed + g * stride * NR;
        for (size_t p = 0; p < pairs; p++) {
            uint32_t lo = moekit_hidden_at(h, 2 * p);
            uint32_t hi = 2 * p + 1 < d ? moekit_hidden_at(h, 2 * p + 1) : 0;
            nonfinite |= (uint32_t)(moekit_bf16_is_nonfinite(lo) | moekit_bf16_is_nonfinite(hi));
            uint32_t w = lo | (hi << 16);
            const uint32_t *bp = b + p * NR;
            if (count == 4) {
                for (size_t q = 0; q < 4; q++) {
                    acc[2 * q] = moekit_dp_native(acc[2 * q], _mm512_loadu_si512(bp + q * stride * NR), w);
                    acc[2 * q + 1] = moekit_dp_native(acc[2 * q + 1], _mm512_loadu_si512(bp + q * stride * NR + 16), w);
                }
            } else {
                for (size_t q = 0; q < count; q++) {
                    acc[2 * q] = moekit_dp_native(acc[2 * q], _mm512_loadu_si512(bp + q * stride * NR), w);
                    acc[2 * q + 1] = moekit_dp_native(acc[2 * q + 1], _mm512_loadu_si512(bp + q * stride * NR + 16), w);
                }
            }
        }
        for (size_t q = 0; q < count; q++) {
            size_t e0 = (g + q) * NR, cols = experts - e0 < NR ? experts - e0 : NR;
            __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFFu : (1u << cols) - 1u);
            __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFFu : cols <= 16 ? 0u : (1u << (cols - 16)) - 1u);
            _mm512_mask_storeu_ps(out + e0, m0, acc[2 * q]);
            _mm512_mask_storeu_ps(out + e0 + 16, m1, acc[2 * q + 1]);
        }
    }
    *bad = nonfinite != 0;
}

static inline __attribute__((always_inline)) MOEKIT_BF16_TARGET
int moekit_bf16_gemm_native(moekit_hidden hidden, size_t tokens, size_t d, const uint32_t *packed,
                            size_t experts, float *logits, size_t *badRow) {
    size_t pairs = moekit_pairs(d), panels = moekit_panels(experts), stride = moekit_stride(d);
    if (tokens == 1) {
        int bad;
        moekit_row_native(hidden, d, packed, experts, logits, &bad);
        if (bad) { *badRow = 0; return MOEKIT_NONFINITE; }
        return MOEKIT_OK;
    }
    uint32_t a[KC * MR] __attribute__((aligned(64)));
    for (size_t t0 = 0; t0 < tokens; t0 += MR) {
        size_t rows = tokens - t0 < MR ? tokens - t0 : MR;
        for (size_t p0 = 0; p0 < pairs; p0 += KC) {
            size_t kc = pairs - p0 < KC ? pairs - p0 : KC;
            if (moekit_pack_hidden(moekit_hidden_from(hidden, t0, d), rows, d, p0, kc, a)) {
                *badRow = moekit_first_bad_row(hidden, t0, rows, d);
                return MOEKIT_NONFINITE;
            }
            for (size_t panel = 0; panel < panels; panel++) {
                size_t cols = experts - panel * NR < NR ? experts - panel * NR : NR;
                moekit_micro_native(a, packed + (panel * stride + p0) * NR, kc, logits + t0 * experts + panel * NR,
                                    experts, rows, cols, p0 == 0);
            }
        }
    }
    return MOEKIT_OK;
}

static MOEKIT_BF16_TARGET
int moekit_bf16_gemm_native_f32(const float *hidden, size_t tokens, size_t d, const uint32_t *packed,
                                size_t experts, float *logits, size_t *badRow) {
    return moekit_bf16_gemm_native(moekit_hidden_f32(hidden), tokens, d, packed, experts, logits, badRow);
}

static MOEKIT_BF16_TARGET
int moekit_bf16_gemm_native_bits(const uint16_t *hidden, size_t tokens, size_t d, const uint32_t *packed,
                                 size_t experts, float *logits, size_t *badRow) {
    return moekit_bf16_gemm_native(moekit_hidden_bits(hidden), tokens, d, packed, experts, logits, badRow);
}

/// CPUID: AVX512F, AVX512BW, AVX512VL and AVX512-BF16, and the OS saving the ZMM state.
static int moekit_cpu_has_bf16(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;      // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6u) != 0xE6u) return 0;                   // XMM, YMM, opmask, ZMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!(b & (1u << 16)) || !(b & (1u << 30)) || !(b & (1u << 31))) return 0;   // F, BW, VL
    if (a < 1 || !__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a & (1u << 5)) != 0;                          // AVX512_BF16
}

MOEKIT_BF16_TARGET
float moekit_bf16_dot_peak_loop(size_t iterations) {
    // Sixteen independent accumulators (more than latency × throughput), register operands
    // only: the loop measures the vdpbf16ps issue rate and nothing else.
    __m512 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i * 1e-3f);
    __m512bh x = (__m512bh)_mm512_set1_epi32(0x3F803F80);     // (1.0, 1.0)
    __m512bh y = (__m512bh)_mm512_set1_epi32(0x25002500);     // tiny: sums stay normal
    for (size_t n = 0; n < iterations; n++) {
        __asm__ volatile("" : "+v"(x));                       // keep the loop
        for (int i = 0; i < 16; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}
#else
float moekit_bf16_dot_peak_loop(size_t iterations) { (void)iterations; return 0.0f; }
#endif

// MARK: - AMX-BF16 kernel

#if defined(MOEKIT_HAS_AMX_KERNEL)

enum { AMX_M = 32, AMX_KC = 512 };

/// The 64-byte tile configuration (palette 1): every tile 16 rows of 64 bytes.
typedef struct { uint8_t palette, start; uint8_t reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; } moekit_tile_config;

typedef uint16_t moekit_u16x16 __attribute__((ext_vector_type(16)));

/// Rounds 16 floats to bf16 (nearest, ties to even: moekit_bf16_round for finite values)
/// into `out`; returns nonzero lanes where the result is not finite. Pointer arguments only.
static inline __attribute__((always_inline)) MOEKIT_AMX_TARGET
uint32_t moekit_bf16_round16(const float *x, uint16_t *out) {
    moekit_u32x16 bits;
    memcpy(&bits, x, sizeof bits);
    moekit_u32x16 rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    moekit_u16x16 narrow = __builtin_convertvector(rounded, moekit_u16x16);
    memcpy(out, &narrow, sizeof narrow);
    return __builtin_reduce_or((moekit_u32x16)((rounded & 0x7F80u) == 0x7F80u));
}

/// Copies 16 bf16 values into `out`; returns nonzero lanes where one is not finite.
static inline __attribute__((always_inline)) MOEKIT_AMX_TARGET
uint32_t moekit_bf16_copy16(const uint16_t *x, uint16_t *out) {
    moekit_u16x16 bits;
    memcpy(&bits, x, sizeof bits);
    memcpy(out, &bits, sizeof bits);
    return __builtin_reduce_or((moekit_u16x16)((bits & 0x7F80u) == 0x7F80u));
}

/// Hidden elements i ..< i + 16 of `h` in bf16 into `out`; nonzero if one is not finite.
static inline __attribute__((always_inline)) MOEKIT_AMX_TARGET
uint32_t moekit_hidden_load16(moekit_hidden h, size_t i, uint16_t *out) {
    return h.bf16 ? moekit_bf16_copy16(h.bits + i, out) : moekit_bf16_round16(h.f32 + i, out);
}

/// Packs hidden rows [rows ≤ AMX_M, d] for pairs [p0, p0 + kc) as words a[r * kc + q]: the
/// row's bf16 values 2·p0 ..< 2·(p0 + kc) in order (pairs past d and missing rows zero);
/// returns nonzero if a value is not finite in bf16.
static inline __attribute__((always_inline)) MOEKIT_AMX_TARGET
int moekit_pack_hidden_rows(moekit_hidden hidden, size_t rows, size_t d, size_t p0, size_t kc, uint32_t *a) {
    uint32_t bad = 0;
    for (size_t r = 0; r < AMX_M; r++) {
        uint16_t *out = (uint16_t *)(a + r * kc);
        size_t begin = 2 * p0, end = 2 * (p0 + kc), have = r < rows ? (d < begin ? 0 : (d < end ? d : end) - begin) : 0;
        moekit_hidden h = moekit_hidden_from(hidden, r, d);
        size_t i = 0;
        for (; i + 16 <= have; i += 16) bad |= moekit_hidden_load16(h, begin + i, out + i);
        for (; i < have; i++) {
            uint32_t v = moekit_hidden_at(h, begin + i);
            bad |= (uint32_t)moekit_bf16_is_nonfinite(v);
            out[i] = (uint16_t)v;
        }
        for (; i < 2 * kc; i++) out[i] = 0;
    }
    return bad != 0;
}

/// Rows and columns of C tile (mh, nh) of a 32 × 32 block that are inside [tokens, experts].
static inline size_t moekit_clip16(size_t total, size_t start) {
    return start >= total ? 0 : (total - start < 16 ? total - start : 16);
}

// C tile `tile` of the block at (m0, n0): loaded from (or zeroed for the first chunk) and
// stored to the logits; edge tiles go through a 16 × 16 buffer.
#define MOEKIT_AMX_LOAD_C(tile, m0, n0) do { \
        size_t vr = moekit_clip16(tokens, (m0)), vc = moekit_clip16(experts, (n0)); \
        if (first) { _tile_zero(tile); } \
        else if (vr == 16 && vc == 16) { _tile_loadd(tile, logits + (m0) * experts + (n0), (long)(experts * 4)); } \
        else { \
            for (size_t r = 0; r < 16; r++) for (size_t c = 0; c < 16; c++) \
                edge[r * 16 + c] = r < vr && c < vc ? logits[((m0) + r) * experts + (n0) + c] : 0.0f; \
            _tile_loadd(tile, edge, 64); \
        } \
    } while (0)
#define MOEKIT_AMX_STORE_C(tile, m0, n0) do { \
        size_t vr = moekit_clip16(tokens, (m0)), vc = moekit_clip16(experts, (n0)); \
        if (vr == 16 && vc == 16) { _tile_stored(tile, logits + (m0) * experts + (n0), (long)(experts * 4)); } \
        else if (vr > 0 && vc > 0) { \
            _tile_stored(tile, edge, 64); \
            for (size_t r = 0; r < vr; r++) for (size_t c = 0; c < vc; c++) \
                logits[((m0) + r) * experts + (n0) + c] = edge[r * 16 + c]; \
        } \
    } while (0)

/// AMX: blocks of 32 tokens × one 32-expert panel in four C tiles; each step of 16 pairs
/// loads two A tiles (16 tokens each) and two B tiles (16 experts each, straight from the
/// packed panel) and issues four `tdpbf16ps`. Chunks of 512 pairs keep the packed hidden
/// rows (64 KiB) in L2. A token's logits depend only on its own row: zero rows pad a block.
static inline __attribute__((always_inline)) MOEKIT_AMX_TARGET
int moekit_bf16_gemm_amx(moekit_hidden hidden, size_t tokens, size_t d, const uint32_t *packed,
                         size_t experts, float *logits, size_t *badRow) {
    size_t stride = moekit_stride(d), panels = moekit_panels(experts);
    moekit_tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.rows[t] = 16; config.colsb[t] = 64; }
    _tile_loadconfig(&config);
    uint32_t a[AMX_M * AMX_KC] __attribute__((aligned(64)));       // 64 KiB of stack
    float edge[16 * 16] __attribute__((aligned(64)));
    for (size_t t0 = 0; t0 < tokens; t0 += AMX_M) {
        size_t rows = tokens - t0 < AMX_M ? tokens - t0 : AMX_M;
        for (size_t p0 = 0; p0 < stride; p0 += AMX_KC) {
            size_t kc = stride - p0 < AMX_KC ? stride - p0 : AMX_KC;     // a multiple of 16
            if (moekit_pack_hidden_rows(moekit_hidden_from(hidden, t0, d), rows, d, p0, kc, a)) {
                _tile_release();
                *badRow = moekit_first_bad_row(hidden, t0, rows, d);
                return MOEKIT_NONFINITE;
            }
            int first = p0 == 0;
            for (size_t panel = 0; panel < panels; panel++) {
                size_t n0 = panel * NR;
                MOEKIT_AMX_LOAD_C(0, t0, n0);
                MOEKIT_AMX_LOAD_C(1, t0, n0 + 16);
                MOEKIT_AMX_LOAD_C(2, t0 + 16, n0);
                MOEKIT_AMX_LOAD_C(3, t0 + 16, n0 + 16);
                const uint32_t *b = packed + (panel * stride + p0) * NR;
                for (size_t q = 0; q < kc; q += 16) {
                    _tile_loadd(4, a + q, (long)(kc * 4));
                    _tile_loadd(5, a + 16 * kc + q, (long)(kc * 4));
                    _tile_loadd(6, b + q * NR, NR * 4);
                    _tile_loadd(7, b + q * NR + 16, NR * 4);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
                MOEKIT_AMX_STORE_C(0, t0, n0);
                MOEKIT_AMX_STORE_C(1, t0, n0 + 16);
                MOEKIT_AMX_STORE_C(2, t0 + 16, n0);
                MOEKIT_AMX_STORE_C(3, t0 + 16, n0 + 16);
            }
        }
    }
    _tile_release();
    return MOEKIT_OK;
}

static MOEKIT_AMX_TARGET
int moekit_bf16_gemm_amx_f32(const float *hidden, size_t tokens, size_t d, const uint32_t *packed,
                             size_t experts, float *logits, size_t *badRow) {
    return moekit_bf16_gemm_amx(moekit_hidden_f32(hidden), tokens, d, packed, experts, logits, badRow);
}

static MOEKIT_AMX_TARGET
int moekit_bf16_gemm_amx_bits(const uint16_t *hidden, size_t tokens, size_t d, const uint32_t *packed,
                              size_t experts, float *logits, size_t *badRow) {
    return moekit_bf16_gemm_amx(moekit_hidden_bits(hidden), tokens, d, packed, experts, logits, badRow);
}

/// CPUID: AMX-TILE and AMX-BF16, the OS saving the tile state (XCR0), and Linux granting
/// this process the tile data (arch_prctl ARCH_REQ_XCOMP_PERM, process-wide).
static int moekit_cpu_has_amx(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x60000u) != 0x60000u) return 0;                    // XTILECFG, XTILEDATA
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!(d & (1u << 22)) || !(d & (1u << 24))) return 0;           // AMX-BF16, AMX-TILE
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
}
#endif

int moekit_bf16_amx_available(void) {
#if defined(MOEKIT_HAS_AMX_KERNEL) && !defined(MOEKIT_SANITIZED)
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = moekit_cpu_has_amx();
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
#else
    return 0;
#endif
}

int moekit_bf16_native_available(void) {
#if defined(MOEKIT_HAS_BF16_KERNEL) && !defined(MOEKIT_SANITIZED)
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = moekit_cpu_has_bf16();
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
#else
    return 0;
#endif
}

/// The instantiation of `kernel` for the hidden states' type (arguments checked).
#define MOEKIT_BF16_CALL(name) (hidden.bf16 \
    ? name##_bits(hidden.bits, tokens, d, packed, experts, logits, badRow) \
    : name##_f32(hidden.f32, tokens, d, packed, experts, logits, badRow))

static int moekit_bf16_gemm_run(moekit_hidden hidden, size_t tokens, size_t d, const uint32_t *packed,
                                size_t experts, float *logits, int kernel, size_t *badRow) {
    if (tokens == 0) return MOEKIT_OK;
    if (!(hidden.bf16 ? (const void *)hidden.bits : (const void *)hidden.f32) || !packed || !logits || !badRow
        || moekit_bf16_packed_words(experts, d) == 0
        || (kernel != MOEKIT_BF16_KERNEL_NATIVE && kernel != MOEKIT_BF16_KERNEL_PORTABLE && kernel != MOEKIT_BF16_KERNEL_AMX)) {
        return MOEKIT_INVALID_ARGUMENT;
    }
    if (kernel == MOEKIT_BF16_KERNEL_AMX) {
#if defined(MOEKIT_HAS_AMX_KERNEL)
        if (!moekit_bf16_amx_available()) return MOEKIT_INVALID_ARGUMENT;
        return MOEKIT_BF16_CALL(moekit_bf16_gemm_amx);
#else
        return MOEKIT_INVALID_ARGUMENT;
#endif
    }
#if defined(MOEKIT_HAS_BF16_KERNEL)
    if (kernel == MOEKIT_BF16_KERNEL_NATIVE) {
        if (!moekit_bf16_native_available()) return MOEKIT_INVALID_ARGUMENT;
        return MOEKIT_BF16_CALL(moekit_bf16_gemm_native);
    }
#else
    if (kernel == MOEKIT_BF16_KERNEL_NATIVE) return MOEKIT_INVALID_ARGUMENT;
#endif
    return MOEKIT_BF16_CALL(moekit_bf16_gemm_portable);
}

int moekit_bf16_gemm(const float *hidden, size_t tokens, size_t d, const uint32_t *packed, size_t experts,
                     float *logits, int kernel, size_t *badRow) {
    return moekit_bf16_gemm_run(moekit_hidden_f32(hidden), tokens, d, packed, experts, logits, kernel, badRow);
}

int moekit_bf16_gemm_bf16_hidden(const uint16_t *hidden, size_t tokens, size_t d, const uint32_t *packed,
                                 size_t experts, float *logits, int kernel, size_t *badRow) {
    return moekit_bf16_gemm_run(moekit_hidden_bits(hidden), tokens, d, packed, experts, logits, kernel, badRow);
}
