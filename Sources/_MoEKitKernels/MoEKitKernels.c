//===--- MoEKitKernels.c - Row kernels behind MoEKit's routers ------------===//
//
// See MoEKitKernels.h. The exp polynomial is the classic Cephes single-precision
// minimax fit (degree 6 after range reduction by ln 2); the scale 2^n is applied in
// two halves so that results in the subnormal range are rounded once, not flushed.
//
//===----------------------------------------------------------------------===//
#include "MoEKitKernels.h"

#include <math.h>
#include <string.h>

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define MOEKIT_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MOEKIT_DISPATCH
#endif

typedef float moekit_f32x16 __attribute__((ext_vector_type(16)));
typedef _Bool moekit_b16 __attribute__((ext_vector_type(16)));

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
    return y;
}

/// 1 when x is NaN or ±inf: x - x is 0 for every finite x and NaN otherwise.
static inline __attribute__((always_inline)) int moekit_is_nonfinite(float x) {
    return !((x - x) == 0.0f);
}

float moekit_exp(float x) { return moekit_exp_inline(x); }

// MARK: - Scoring

MOEKIT_DISPATCH
int moekit_sigmoid(const float *x, const float *bias, float *scores, float *keys, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        bad |= moekit_is_nonfinite(v);
        // e = e^-|x| in (0, 1]: sigmoid is 1/(1+e) for x >= 0 and e/(1+e) below,
        // accurate (and not flushed) across the whole float range.
        float e = moekit_exp_inline(-fabsf(v));
        float d = 1.0f + e;
        scores[i] = (v >= 0.0f ? 1.0f : e) / d;
    }
    if (bias) {
        for (size_t i = 0; i < n; i++) keys[i] = scores[i] + bias[i];
    }
    return bad;
}

MOEKIT_DISPATCH
int moekit_sqrt_softplus(const float *x, const float *bias, float *scores, float *keys, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        bad |= moekit_is_nonfinite(v);
        // softplus(x) = max(x, 0) + log1p(e^-|x|), exact form of torch's softplus (beta 1).
        float sp = (v > 0.0f ? v : 0.0f) + log1pf(expf(-fabsf(v)));
        scores[i] = sqrtf(sp);
    }
    if (bias) {
        for (size_t i = 0; i < n; i++) keys[i] = scores[i] + bias[i];
    }
    return bad;
}

MOEKIT_DISPATCH
int moekit_nonfinite(const float *x, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= moekit_is_nonfinite(x[i]);
    return bad;
}

MOEKIT_DISPATCH
int moekit_softmax(const float *x, float *p, size_t n) {
    if (n == 0) return 0;
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

// MARK: - Selection

/// The smallest float greater than v (v finite or -inf).
static inline float moekit_next_up(float v) {
    return nextafterf(v, INFINITY);
}

/// Inserts (v, ix) into a descending list of `*count` entries (capacity k). Called in
/// ascending index order, so an equal key goes after the ones already present.
static inline void moekit_insert(float v, int32_t ix, size_t k, size_t *count,
                                 float *values, int32_t *indices) {
    size_t c = *count;
    if (c == k) {
        if (!(v > values[k - 1])) return;
        c = k - 1;
    } else {
        *count = c + 1;
    }
    size_t pos = c;
    while (pos > 0 && values[pos - 1] < v) {
        values[pos] = values[pos - 1];
        indices[pos] = indices[pos - 1];
        pos--;
    }
    values[pos] = v;
    indices[pos] = ix;
}

static void moekit_topk_scalar(const float *keys, size_t n, size_t k,
                               int32_t *indices, float *values) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        moekit_insert(keys[i], (int32_t)i, k, &count, values, indices);
    }
}

MOEKIT_DISPATCH
void moekit_topk(const float *keys, size_t n, size_t k, int32_t *indices, float *values) {
    if (k > 16 || n < 32) {
        moekit_topk_scalar(keys, n, k, indices, values);
        return;
    }
    // Pass 1: lane-wise maxima. Each lane maximum is a distinct element of the row, so the
    // k-th largest of the 16 lane maxima is a lower bound on the row's k-th largest key.
    size_t chunks = n / 16;
    moekit_f32x16 lanes;
    memcpy(&lanes, keys, sizeof lanes);
    for (size_t c = 1; c < chunks; c++) {
        moekit_f32x16 v;
        memcpy(&v, keys + 16 * c, sizeof v);
        lanes = v > lanes ? v : lanes;
    }
    float bound[16];
    memcpy(bound, &lanes, sizeof bound);
    for (size_t a = 1; a < 16; a++) {        // insertion sort, descending
        float v = bound[a];
        size_t b = a;
        while (b > 0 && bound[b - 1] < v) { bound[b] = bound[b - 1]; b--; }
        bound[b] = v;
    }
    float threshold = bound[k - 1];

    // Pass 2: visit only the keys at or above the bound, in ascending index order.
    size_t count = 0;
    for (size_t c = 0; c < chunks; c++) {
        moekit_f32x16 v;
        memcpy(&v, keys + 16 * c, sizeof v);
        moekit_b16 hit = __builtin_convertvector(v >= threshold, moekit_b16);
        uint32_t bits = __builtin_bit_cast(uint16_t, hit);
        while (bits) {
            size_t j = (size_t)__builtin_ctz(bits);
            bits &= bits - 1;
            float key = keys[16 * c + j];
            if (key >= threshold) {
                moekit_insert(key, (int32_t)(16 * c + j), k, &count, values, indices);
                if (count == k) {
                    float next = moekit_next_up(values[k - 1]);
                    threshold = next > threshold ? next : threshold;
                }
            }
        }
    }
    for (size_t i = 16 * chunks; i < n; i++) {
        moekit_insert(keys[i], (int32_t)i, k, &count, values, indices);
    }
}
