//===--- MoEKitKernels.h - Row kernels behind MoEKit's routers ------------===//
//
// Internal module of MoEKit: no stable API. The routing functions work on one row of
// `n` contiguous float32 values; no function allocates. On x86-64 with glibc each kernel
// is compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2) and the baseline, and the
// dynamic loader picks the best clone for the CPU (`target_clones`, which needs glibc's
// ifunc; other C libraries get the baseline). Floating-point contraction is off, so every
// clone returns bit-identical results.
//
// Contract: every entry point that returns `int` checks its arguments first, in O(1) and
// outside its loops, and returns MOEKIT_INVALID_ARGUMENT without touching any buffer when
// they are invalid (a null pointer, k = 0, k > n, n above INT32_MAX where indices are
// int32, groups that do not divide the row). Buffer lengths themselves cannot be checked:
// each buffer must hold what its comment says.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_KERNELS_H
#define MOEKIT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Success.
#define MOEKIT_OK 0
/// The row holds a NaN or infinite value (the functions that check for them).
#define MOEKIT_NONFINITE 1
/// An argument breaks the function's preconditions; nothing was written.
#define MOEKIT_INVALID_ARGUMENT (-1)

/// scores[i] = sigmoid(x[i]); keys[i] = scores[i] + bias[i] when `bias` is non-null.
/// `keys` may be null when `bias` is null. Returns 1 if any x[i] is NaN or infinite, else 0;
/// MOEKIT_INVALID_ARGUMENT for a null `x` or `scores`, or a bias without `keys` (n > 0).
int moekit_sigmoid(const float *x, const float *bias, float *scores, float *keys, size_t n);

/// scores[i] = sqrt(softplus(x[i])) (DeepSeek-V4); keys as in `moekit_sigmoid`.
int moekit_sqrt_softplus(const float *x, const float *bias, float *scores, float *keys, size_t n);

/// p = softmax(x) over the row, computed as exp(x - max) / sum. Returns 1 on a non-finite input,
/// MOEKIT_INVALID_ARGUMENT for a null pointer (n > 0); n = 0 does nothing.
int moekit_softmax(const float *x, float *p, size_t n);

/// Returns 1 if any x[i] is NaN or infinite, else 0.
int moekit_nonfinite(const float *x, size_t n);

/// out[i] = e^(x[i] - shift), 16 at a time: the same bits as moekit_exp(x[i] - shift).
void moekit_exp_shifted(const float *x, size_t n, float shift, float *out);

/// The sum of e^(x[i] - shift) over the row, in a fixed order (the softmax denominator).
float moekit_exp_sum(const float *x, float shift, size_t n);

/// Largest `k` keys of a row, written in descending key order; equal keys in ascending index
/// order (the lower index wins). NaN keys rank below every number (-inf included): they are
/// chosen only when the row has fewer than k numbers, and then fill the last slots in
/// ascending index order. Every one of the k slots is written.
/// Returns MOEKIT_OK, or MOEKIT_INVALID_ARGUMENT (nothing written) unless 1 <= k <= n,
/// n <= INT32_MAX and no pointer is null.
/// Cost: O(n) for k <= 16 (O(n k) when more than 64 keys tie at the bound), O(n log k) above.
int moekit_topk(const float *keys, size_t n, size_t k, int32_t *indices, float *values);

/// Group-limited top-k: splits the row into `groups` groups of n / groups consecutive keys,
/// scores each group (rule 0: sum of its two largest keys; rule 1: its largest), keeps the
/// `kept` best groups (ties: lower group) and selects the top k keys among their experts,
/// with the same order, tie rule and NaN rule as `moekit_topk`. `scratch` holds at least
/// groups + kept * (n / groups) floats, plus 2 * groups when groups > 64.
/// Returns MOEKIT_OK, or MOEKIT_INVALID_ARGUMENT (nothing written) unless groups divides n,
/// 1 <= kept <= groups, 1 <= k <= kept * (n / groups), rule is 0 or 1, n <= INT32_MAX and no
/// pointer is null.
int moekit_group_limited_topk(const float *keys, size_t n, size_t groups, size_t kept, int rule,
                               size_t k, int32_t *indices, float *values, float *scratch);

/// `moekit_topk` for a row that may hold NaN or ±inf: returns MOEKIT_NONFINITE (selecting
/// nothing) if it does; otherwise selects, stores the row's largest key in *rowMax and
/// returns MOEKIT_OK. MOEKIT_INVALID_ARGUMENT as for `moekit_topk`, or a null `rowMax`.
int moekit_topk_finite(const float *keys, size_t n, size_t k, int32_t *indices, float *values,
                       float *rowMax);

/// weights[j] = e^(values[j] - shift) / sum over the k values: a softmax over k chosen values,
/// summed in index order.
void moekit_softmax_weights(const float *values, size_t k, float shift, float *weights);

/// e^x for every x (0 below -103.97, +inf above 88.72); max relative error about 1.2e-7.
float moekit_exp(float x);

// MARK: - Fused routing from logits (RouteKernels.c)

/// Scoring functions of `moekit_route_params`.
#define MOEKIT_SCORING_SOFTMAX 0
#define MOEKIT_SCORING_SIGMOID 1
#define MOEKIT_SCORING_SQRT_SOFTPLUS 2
/// The logits themselves (gpt-oss, Llama 4); `moekit_route_softmax` only.
#define MOEKIT_SCORING_LOGITS 3

/// Weightings of `moekit_route_params` (`moekit_route_softmax` serves all three; the other
/// routing functions only the chosen scores).
/// The chosen experts' scores.
#define MOEKIT_WEIGHTING_CHOSEN 0
/// A softmax over the chosen experts' scores (gpt-oss).
#define MOEKIT_WEIGHTING_SOFTMAX_CHOSEN 1
/// The sigmoid of each chosen expert's score (Llama 4).
#define MOEKIT_WEIGHTING_SIGMOID_CHOSEN 2

/// A router as the fused kernels see it: `experts` E, `k` chosen per token, a scoring
/// function, an optional selection-only correction bias [E] (null for none), an optional
/// group limit (`groups` 0 for none; otherwise `groups` divides E, 1 <= kept <= groups,
/// groupRule 0 = sum of the two largest keys, 1 = the largest), and the weights: the chosen
/// unbiased scores (or, with `weighting` MOEKIT_WEIGHTING_SOFTMAX_CHOSEN, a softmax over
/// them; with MOEKIT_WEIGHTING_SIGMOID_CHOSEN, their sigmoids), divided by their sum plus
/// `epsilon` when `normalize` is nonzero (not for the softmax over the chosen), then
/// multiplied by `scale`. `weighting` comes last, so initialisers that stop before it get
/// the chosen scores (0).
typedef struct moekit_route_params {
    size_t experts;
    size_t k;
    int scoring;
    const float *bias;
    size_t groups;
    size_t kept;
    int groupRule;
    int normalize;
    float epsilon;
    float scale;
    int weighting;
} moekit_route_params;

/// Scratch floats `moekit_route_scored` keeps on its own stack (16 KiB).
#define MOEKIT_ROUTE_STACK_FLOATS 4096

/// Floats of scratch the routing functions below need for these parameters (0 if invalid).
size_t moekit_route_scratch_floats(const moekit_route_params *p);

/// Routes `rows` rows of logits [rows, E] into indices and weights [rows, k], fused per row
/// (scores, keys and the non-finite check in one pass, then selection and weights), for
/// sigmoid and sqrt-softplus scoring. For E a multiple of 16 and k <= 16 (and, with a group
/// limit, up to 8 groups of whole 16-expert vectors, sigmoid scoring, on AVX-512), a row is
/// first scored approximately, and only the experts that a proven error bound leaves in
/// reach of the top k (typically k + 1 to k + 3) are scored exactly and ranked; a row whose
/// kept groups the approximation cannot decide is scored exactly. See RouteKernels.c. Same results, bit for bit, as scoring with
/// moekit_sigmoid / moekit_sqrt_softplus, selecting with moekit_topk (or
/// moekit_group_limited_topk when kept < groups) and weighting as described above: rows in
/// descending key order, the lower index winning ties.
/// Returns MOEKIT_OK; MOEKIT_NONFINITE with *badRow set to the first row holding a NaN or
/// infinite logit or getting a non-finite weight (rows before it are routed); or
/// MOEKIT_INVALID_ARGUMENT (nothing written) for invalid parameters or a null pointer.
/// `scratch` holds moekit_route_scratch_floats(p) floats, or is null when that is at most
/// MOEKIT_ROUTE_STACK_FLOATS (the kernel then uses its own stack buffer). No allocation.
int moekit_route_scored(const moekit_route_params *p, const float *logits, size_t rows,
                        int32_t *indices, float *weights, float *scratch, size_t *badRow);

/// Floats of scratch `moekit_route_softmax` needs for these parameters: E + 4 (k + 1)
/// at most (0 if invalid for it).
size_t moekit_route_softmax_scratch_floats(const moekit_route_params *p);

/// Routes `rows` rows of logits [rows, E] into indices and weights [rows, k] for a router
/// without bias or group limit (`groups` 0) that scores with a softmax over all experts
/// (Qwen3-MoE, Mixtral) or selects on the logits (MOEKIT_SCORING_LOGITS: gpt-oss, Llama 4),
/// with any of the three weightings. Softmax rows select on the logits (the softmax is
/// monotonic): the k + 1 largest logits, and where the probabilities of neighbouring
/// candidates could round to one float (within 2^-20 relative, or below e^-70 of the
/// largest) the row is selected again on moekit_softmax's probabilities. For E a multiple of
/// 16 (at least 32) and at most 16 candidates, one pass over the row finds the lane maxima
/// and checks for NaN and ±inf; the c-th largest lane maximum bounds the candidates, which
/// are exponentiated and sorted 16 lanes at once, four rows in flight; other shapes use the
/// exact top-k of moekit_topk_finite; see SoftmaxRouteKernels.c.
/// Same results, bit for bit, as MoEKit's row-by-row path: moekit_topk_finite on the logits,
/// moekit_exp_shifted of the candidates, moekit_exp_sum for the denominator where the
/// weighting needs it, moekit_softmax_weights for the softmax over the chosen (fallback:
/// moekit_softmax then moekit_topk); rows in descending key order, the lower index winning
/// ties.
/// Returns MOEKIT_OK; MOEKIT_NONFINITE with *badRow set to the first row holding a NaN or
/// infinite logit or getting a non-finite weight (rows before it are routed); or
/// MOEKIT_INVALID_ARGUMENT (nothing written) for parameters it does not serve (a bias, a
/// group limit, sigmoid or sqrt-softplus scoring, renormalised raw logits, an unknown
/// weighting) or a null pointer. `scratch` holds moekit_route_softmax_scratch_floats(p)
/// floats, or is null when that is at most MOEKIT_ROUTE_STACK_FLOATS (the kernel then uses
/// its own stack buffer). No allocation.
int moekit_route_softmax(const moekit_route_params *p, const float *logits, size_t rows,
                         int32_t *indices, float *weights, float *scratch, size_t *badRow);

/// The plain scalar router the benchmarks compare against: libm expf (log1pf, sqrtf), one
/// expert at a time, insertion top-k, no vector code; softmax, sigmoid or sqrt-softplus with
/// the same bias, group limit and weights as above (ties: lower index). Returns MOEKIT_OK,
/// MOEKIT_NONFINITE at the first non-finite logit, or MOEKIT_INVALID_ARGUMENT.
int moekit_route_baseline(const moekit_route_params *p, const float *logits, size_t rows,
                          int32_t *indices, float *weights, float *scratch);

// MARK: - bf16 router GEMM (BF16Kernels.c)

/// Kernels of `moekit_bf16_gemm`.
#define MOEKIT_BF16_KERNEL_NATIVE 1
#define MOEKIT_BF16_KERNEL_PORTABLE 2
#define MOEKIT_BF16_KERNEL_AMX 3

/// out[i] = bf16 bits of x[i], rounded to nearest even (NaN stays NaN; a value above the
/// largest bf16 rounds to infinity).
void moekit_f32_to_bf16(const float *x, size_t n, uint16_t *out);

/// MOEKIT_NONFINITE with *index at the first NaN or infinite bf16 value, else MOEKIT_OK.
int moekit_bf16_first_nonfinite(const uint16_t *x, size_t n, size_t *index);

/// uint32 words of a gate [experts, d] packed by `moekit_bf16_pack_gate`: panels of 32
/// experts × ceil(d / 2) pairs × 32; 0 for zero sizes or on overflow.
size_t moekit_bf16_packed_words(size_t experts, size_t d);

/// Packs a bf16 gate [experts, d] (row-major bits) into `packed`
/// (moekit_bf16_packed_words(experts, d) words).
int moekit_bf16_pack_gate(const uint16_t *gate, size_t experts, size_t d, uint32_t *packed);

/// 1 when this CPU (and OS) can run the AVX512-BF16 kernel, else 0.
int moekit_bf16_native_available(void);

/// 1 when this CPU and OS can run the AMX-BF16 kernel (Linux, tile data granted to the
/// process on the first call), else 0.
int moekit_bf16_amx_available(void);

/// logits [tokens, experts] = bf16(hidden [tokens, d]) · gateᵀ, float32 accumulation, with
/// the packed gate; `kernel` MOEKIT_BF16_KERNEL_AMX (AMX-BF16 tiles), MOEKIT_BF16_KERNEL_NATIVE
/// (AVX512-BF16; each invalid where unavailable) or MOEKIT_BF16_KERNEL_PORTABLE. Native and
/// portable: each logit is the float32 sum, in index order, of the products of the pairs
/// (odd element first). AMX: `tdpbf16ps` sums 16 pairs per step in its own order. Every
/// kernel gives a token the same logits for every batch split.
/// Returns MOEKIT_OK, MOEKIT_NONFINITE with *badRow at the first token whose hidden state
/// is not finite in bf16 (its logits and those after it unspecified), or
/// MOEKIT_INVALID_ARGUMENT. No allocation (32 KiB of stack).
int moekit_bf16_gemm(const float *hidden, size_t tokens, size_t d, const uint32_t *packed, size_t experts,
                     float *logits, int kernel, size_t *badRow);

/// `moekit_bf16_gemm` on hidden states already in bf16: [tokens, d] row-major bits, used as
/// they are. The same kernels, sums and status; the logits are bit-identical to those of
/// `moekit_bf16_gemm` on float32 hidden states that round to these bits.
int moekit_bf16_gemm_bf16_hidden(const uint16_t *hidden, size_t tokens, size_t d, const uint32_t *packed,
                                 size_t experts, float *logits, int kernel, size_t *badRow);

/// `iterations` rounds of 16 independent register-only `vdpbf16ps` (64 FLOPs each); returns
/// a value depending on all of them. 0 without the AVX512-BF16 kernel. The bf16 dot-product
/// peak is 1024 · iterations FLOPs over the time it takes.
float moekit_bf16_dot_peak_loop(size_t iterations);

// MARK: - MoE layer forward (LayerKernels.c)

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

// MARK: - Memory bandwidth (MemoryKernels.c)

/// The sum of x[0 ..< n], read front to back as 64-byte vectors, eight per step, into four
/// partial sums of sixteen lanes (the order differs from a scalar sum). `x` should be 64-byte
/// aligned; otherwise the sum is a plain front-to-back scalar sum (not a bandwidth
/// measurement). n = 0 or a null `x` gives 0. Used to time streaming reads: the result depends on every element, so no read is
/// elided.
float moekit_read_sum(const float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif
