//===--- KernelMath.h - Building blocks shared by the kernel files -------===//
//
// Private to _MoEKitKernels: the clone-dispatch attribute, vector types and the inlined
// scalar math (exp, log1p on [0, 1]) that the row kernels vectorise. The exp polynomial is
// the classic Cephes single-precision minimax fit (degree 6 after range reduction by ln 2);
// the scale 2^n is applied in two halves so that results in the subnormal range are rounded
// once, not flushed.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_KERNEL_MATH_H
#define MOEKIT_KERNEL_MATH_H

#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)
// Vector helpers are static and always inlined, so the baseline clone's different ABI for
// 16-float vectors never applies to a real call.
#pragma clang diagnostic ignored "-Wpsabi"

// `target_clones` needs ifunc, which glibc's dynamic loader provides; musl and static
// builds do not, so they get the baseline code only. (<math.h> above defines __GLIBC__.)
#if defined(__x86_64__) && defined(__clang__) && defined(__GLIBC__)
#define MOEKIT_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MOEKIT_DISPATCH
#endif

// Under a sanitizer, no clones: the ifunc resolvers that `target_clones` emits run while
// the dynamic loader relocates the library, before the sanitizer runtime is initialised,
// and an instrumented resolver crashes there (every TSan binary segfaulted at load).
// Sanitized builds therefore run the plain portable code.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define MOEKIT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define MOEKIT_SANITIZED 1
#endif
#endif
#if defined(MOEKIT_SANITIZED)
#undef MOEKIT_DISPATCH
#define MOEKIT_DISPATCH
#endif

typedef float moekit_f32x16 __attribute__((ext_vector_type(16)));
typedef _Bool moekit_b16 __attribute__((ext_vector_type(16)));
typedef int32_t moekit_i32x16 __attribute__((ext_vector_type(16)));

// MARK: - Scalar building blocks (inlined into vectorised loops)

static inline __attribute__((always_inline)) float moekit_bits_to_float(int32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline __attribute__((always_inline)) float moekit_exp_inline(float x) {
    const float upper = 88.72283935546875f;    // ln(FLT_MAX), rounded down
    const float lower = -103.97207641601562f;  // below this e^x rounds to 0
    float xc = x > upper ? upper : x;
    xc = xc < lower ? lower : xc;
    xc = xc == xc ? xc : 0.0f;                 // NaN: keep the integer conversion defined
    // n = round(x / ln 2) with the 1.5 * 2^23 trick (exact for |t| < 2^22).
    float t = xc * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f;
    // r = x - n ln 2 in two steps (Cody-Waite): 0.693359375 has 9 significant bits.
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t ni = (int32_t)n;            // in [-150, 128]
    int32_t n1 = ni >> 1;               // floor(n / 2)
    int32_t n2 = ni - n1;
    float s1 = moekit_bits_to_float((n1 + 127) << 23);
    float s2 = moekit_bits_to_float((n2 + 127) << 23);
    float y = (p * s1) * s2;
    y = x > upper ? INFINITY : y;
    y = x < lower ? 0.0f : y;
    y = x == x ? y : x;                        // NaN in, NaN out
    return y;
}

/// log(1 + e) for e in [0, 1], vectorisable. u = 1 + e is split as 2^n · m with m in
/// [sqrt(1/2), sqrt(2)); log(m) is the Cephes single-precision polynomial in m - 1. The
/// result is then corrected by e / (u - 1) (u - 1 is exact), which restores the accuracy
/// that rounding 1 + e lost when e is small.
static inline __attribute__((always_inline)) float moekit_log1p_unit(float e) {
    float u = 1.0f + e;
    int high = u > 1.41421356237f;
    float m = high ? 0.5f * u : u;
    float n = high ? 1.0f : 0.0f;
    float x = m - 1.0f;
    float y = x * x;
    float p = 7.0376836292e-2f;
    p = p * x - 1.1514610310e-1f;
    p = p * x + 1.1676998740e-1f;
    p = p * x - 1.2420140846e-1f;
    p = p * x + 1.4249322787e-1f;
    p = p * x - 1.6668057665e-1f;
    p = p * x + 2.0000714765e-1f;
    p = p * x - 2.4999993993e-1f;
    p = p * x + 3.3333331174e-1f;
    float z = p * x * y;
    z = z + n * -2.12194440e-4f;
    z = z - 0.5f * y;
    float logu = (x + z) + n * 0.693359375f;
    float d = u - 1.0f;
    return d == 0.0f ? e : logu * (e / d);
}

/// 1 when x is NaN or ±inf: x - x is 0 for every finite x and NaN otherwise.
static inline __attribute__((always_inline)) int moekit_is_nonfinite(float x) {
    return !((x - x) == 0.0f);
}


// MARK: - Sixteen lanes at once
//
// The same operations as the scalar functions above, in the same order, on 16 lanes: with
// contraction off each lane's result is bit-identical to the scalar function's, so a row
// kernel may use either for any element (vector body, scalar tail).

static inline __attribute__((always_inline)) moekit_f32x16 moekit_splat(float v) {
    return (moekit_f32x16)v;
}

static inline __attribute__((always_inline)) moekit_f32x16 moekit_select(moekit_i32x16 mask, moekit_f32x16 a, moekit_f32x16 b) {
    return mask ? a : b;
}

static inline __attribute__((always_inline)) moekit_f32x16 moekit_exp16(moekit_f32x16 x) {
    const moekit_f32x16 upper = moekit_splat(88.72283935546875f);
    const moekit_f32x16 lower = moekit_splat(-103.97207641601562f);
    moekit_f32x16 xc = moekit_select(x > upper, upper, x);
    xc = moekit_select(xc < lower, lower, xc);
    xc = moekit_select(xc == xc, xc, moekit_splat(0.0f));
    moekit_f32x16 t = xc * 1.44269504088896341f;
    moekit_f32x16 n = (t + 12582912.0f) - 12582912.0f;
    moekit_f32x16 r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    moekit_f32x16 p = moekit_splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    moekit_i32x16 ni = __builtin_convertvector(n, moekit_i32x16);
    moekit_i32x16 n1 = ni >> 1;
    moekit_i32x16 n2 = ni - n1;
    moekit_f32x16 s1 = (moekit_f32x16)((n1 + 127) << 23);
    moekit_f32x16 s2 = (moekit_f32x16)((n2 + 127) << 23);
    moekit_f32x16 y = (p * s1) * s2;
    y = moekit_select(x > upper, moekit_splat(INFINITY), y);
    y = moekit_select(x < lower, moekit_splat(0.0f), y);
    y = moekit_select(x == x, y, x);
    return y;
}

static inline __attribute__((always_inline)) moekit_f32x16 moekit_log1p_unit16(moekit_f32x16 e) {
    moekit_f32x16 u = 1.0f + e;
    moekit_i32x16 high = u > 1.41421356237f;
    moekit_f32x16 m = moekit_select(high, 0.5f * u, u);
    moekit_f32x16 n = moekit_select(high, moekit_splat(1.0f), moekit_splat(0.0f));
    moekit_f32x16 x = m - 1.0f;
    moekit_f32x16 y = x * x;
    moekit_f32x16 p = moekit_splat(7.0376836292e-2f);
    p = p * x - 1.1514610310e-1f;
    p = p * x + 1.1676998740e-1f;
    p = p * x - 1.2420140846e-1f;
    p = p * x + 1.4249322787e-1f;
    p = p * x - 1.6668057665e-1f;
    p = p * x + 2.0000714765e-1f;
    p = p * x - 2.4999993993e-1f;
    p = p * x + 3.3333331174e-1f;
    moekit_f32x16 z = p * x * y;
    z = z + n * -2.12194440e-4f;
    z = z - 0.5f * y;
    moekit_f32x16 logu = (x + z) + n * 0.693359375f;
    moekit_f32x16 d = u - 1.0f;
    return moekit_select(d == 0.0f, e, logu * (e / d));
}

/// All-ones lanes where x is NaN or ±inf (see moekit_is_nonfinite).
static inline __attribute__((always_inline)) moekit_i32x16 moekit_nonfinite16(moekit_f32x16 x) {
    return ~((x - x) == 0.0f);
}

// MARK: - Scores (scalar and 16 lanes, bit-identical)

/// sigmoid(x) from e = e^-|x| in (0, 1]: 1/(1+e) for x >= 0 and e/(1+e) below, accurate
/// (and not flushed) across the whole float range.
static inline __attribute__((always_inline)) float moekit_sigmoid_inline(float v) {
    float e = moekit_exp_inline(-fabsf(v));
    float d = 1.0f + e;
    return (v >= 0.0f ? 1.0f : e) / d;
}

static inline __attribute__((always_inline)) moekit_f32x16 moekit_sigmoid16(moekit_f32x16 v) {
    moekit_f32x16 e = moekit_exp16(-__builtin_elementwise_abs(v));
    moekit_f32x16 d = 1.0f + e;
    return moekit_select(v >= 0.0f, moekit_splat(1.0f), e) / d;
}

/// sqrt(softplus(x)) with softplus(x) = max(x, 0) + log1p(e^-|x|), the exact form of torch's
/// softplus. Far below zero softplus(x) = e^x (1 - e^x/2 + ...), so sqrt(softplus(x)) =
/// e^(x/2) to within 1e-7 relative, also where e^x itself would underflow.
static inline __attribute__((always_inline)) float moekit_sqrt_softplus_inline(float v) {
    float sp = (v > 0.0f ? v : 0.0f) + moekit_log1p_unit(moekit_exp_inline(-fabsf(v)));
    return v < -16.0f ? moekit_exp_inline(0.5f * v) : __builtin_elementwise_sqrt(sp);
}

static inline __attribute__((always_inline)) moekit_f32x16 moekit_sqrt_softplus16(moekit_f32x16 v) {
    moekit_f32x16 sp = moekit_select(v > 0.0f, v, moekit_splat(0.0f))
        + moekit_log1p_unit16(moekit_exp16(-__builtin_elementwise_abs(v)));
    moekit_f32x16 root = __builtin_elementwise_sqrt(sp);
    // The far-negative branch needs a second exponential: computed only when a lane takes it.
    moekit_i32x16 far = v < -16.0f;
    if (__builtin_reduce_or(far)) root = moekit_select(far, moekit_exp16(0.5f * v), root);
    return root;
}

// MARK: - Approximate scores (16 lanes), for pruning only
//
// Cheap approximations with known error that the fused kernels use to find which experts
// can possibly be chosen; the chosen experts' keys, scores and weights are then always
// computed with the exact functions above. The errors quoted are the largest measured
// against float64 over every 15th float bit pattern (2.9e8 values, all magnitudes), within
// the bounds the comments derive; the kernels allow more than 3x that (RouteKernels.c).

/// e^t for t <= 0 (t clamped to -80), relative error below 6e-5: range reduction by ln 2
/// and a degree-4 Taylor polynomial on |r| <= ln 2 / 2 (remainder r^5/120 · e^|r|).
static inline __attribute__((always_inline)) moekit_f32x16 moekit_exp_approx16(moekit_f32x16 t) {
    t = moekit_select(t < -80.0f, moekit_splat(-80.0f), t);
    moekit_f32x16 n = (t * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    moekit_f32x16 r = t - n * 0.693147182f;
    moekit_f32x16 p = r * (1.0f / 24.0f) + (1.0f / 6.0f);
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    moekit_i32x16 ni = __builtin_convertvector(n, moekit_i32x16);
    return p * (moekit_f32x16)((ni + 127) << 23);
}

/// 1/d for d in [1, 2], relative error below 1.3e-5: the linear minimax start 24/17 - 8/17 d
/// (error at most 1/17) and two Newton steps (error squared each time).
static inline __attribute__((always_inline)) moekit_f32x16 moekit_reciprocal12_approx16(moekit_f32x16 d) {
    moekit_f32x16 y = 1.41176470588f - 0.470588235294f * d;
    y = y * (2.0f - d * y);
    y = y * (2.0f - d * y);
    return y;
}

/// sigmoid(v) within 5e-5 absolute (e^-|v| within 6e-5 relative, 1/(1+e) within 1.3e-5);
/// measured: 1.5e-5.
static inline __attribute__((always_inline)) moekit_f32x16 moekit_sigmoid_approx16(moekit_f32x16 v) {
    moekit_f32x16 e = moekit_exp_approx16(-__builtin_elementwise_abs(v));
    moekit_f32x16 y = moekit_reciprocal12_approx16(1.0f + e);
    return moekit_select(v >= 0.0f, y, e * y);
}

/// sqrt(softplus(v)) within 1e-4 relative: log1p(e) = e · q(e) with q a degree-5 fit of
/// log1p(e)/e on [0, 1] (relative error 1.9e-5), and sqrt(s) = s · rsqrt(s) with the
/// bit-pattern start (error 3.4e-2) and two Newton steps (1.8e-3, then 5e-6). Below
/// v = -80 (e^-|v| clamped) the error is absolute, under e^-40. Measured: 3.0e-5 relative.
static inline __attribute__((always_inline)) moekit_f32x16 moekit_sqrt_softplus_approx16(moekit_f32x16 v) {
    moekit_f32x16 e = moekit_exp_approx16(-__builtin_elementwise_abs(v));
    moekit_f32x16 q = e * -0.023689253f + 0.100287206f;
    q = q * e - 0.208669662f;
    q = q * e + 0.324411809f;
    q = q * e - 0.499187857f;
    q = q * e + 0.999981880f;
    moekit_f32x16 sp = moekit_select(v > 0.0f, v, moekit_splat(0.0f)) + e * q;
    moekit_i32x16 bits = (moekit_i32x16)sp;
    moekit_f32x16 y = (moekit_f32x16)(0x5f375a86 - (bits >> 1));
    moekit_f32x16 half = 0.5f * sp;
    y = y * (1.5f - half * (y * y));
    y = y * (1.5f - half * (y * y));
    return sp * y;
}

#endif
