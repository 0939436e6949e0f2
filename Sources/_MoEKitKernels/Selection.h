//===--- Selection.h - Exact top-k selection, inlined into the row kernels -===//
//
// Private to _MoEKitKernels: the selection behind moekit_topk, moekit_topk_finite and
// moekit_group_limited_topk (MoEKitKernels.c), shared with the fused routing kernels
// (RouteKernels.c) so that both inline the same code and choose the same experts.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_SELECTION_H
#define MOEKIT_SELECTION_H

#include "MoEKitKernels.h"
#include "KernelMath.h"

static inline __attribute__((always_inline)) int moekit_nonfinite_inline(const float *x, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= moekit_is_nonfinite(x[i]);
    return bad;
}

// MARK: - Sorting networks

#define MOEKIT_UNPAREN(...) __VA_ARGS__
#define MOEKIT_BITONIC_STEP(partner, blend) do { \
        moekit_f32x16 other = __builtin_shufflevector(sorted, sorted, MOEKIT_UNPAREN partner); \
        moekit_f32x16 lo = other < sorted ? other : sorted; \
        moekit_f32x16 hi = other < sorted ? sorted : other; \
        sorted = __builtin_shufflevector(lo, hi, MOEKIT_UNPAREN blend); \
    } while (0)

// The 16-lane bitonic network as (partner, blend) shuffles per compare-exchange step: six
// steps that build a bitonic sequence, then the four of the last merge.
#define MOEKIT_BITONIC_BUILD_STEPS(STEP) \
    STEP((1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14), (0, 17, 18, 3, 4, 21, 22, 7, 8, 25, 26, 11, 12, 29, 30, 15)); \
    STEP((2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13), (0, 1, 18, 19, 20, 21, 6, 7, 8, 9, 26, 27, 28, 29, 14, 15)); \
    STEP((1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14), (0, 17, 2, 19, 20, 5, 22, 7, 8, 25, 10, 27, 28, 13, 30, 15)); \
    STEP((4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11), (0, 1, 2, 3, 20, 21, 22, 23, 24, 25, 26, 27, 12, 13, 14, 15)); \
    STEP((2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13), (0, 1, 18, 19, 4, 5, 22, 23, 24, 25, 10, 11, 28, 29, 14, 15)); \
    STEP((1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14), (0, 17, 2, 19, 4, 21, 6, 23, 24, 9, 26, 11, 28, 13, 30, 15))
#define MOEKIT_BITONIC_MERGE_STEPS(STEP) \
    STEP((8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), (0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31)); \
    STEP((4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11), (0, 1, 2, 3, 20, 21, 22, 23, 8, 9, 10, 11, 28, 29, 30, 31)); \
    STEP((2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13), (0, 1, 18, 19, 4, 5, 22, 23, 8, 9, 26, 27, 12, 13, 30, 31)); \
    STEP((1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14), (0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31))

/// Sorts a bitonic sequence of 16 lanes ascending (the last merge stage of the network:
/// 4 compare-exchange steps). Each step permutes the lanes, so the result holds the input's
/// values even when some are NaN.
static inline __attribute__((always_inline)) moekit_f32x16 moekit_bitonic_clean16(moekit_f32x16 sorted) {
    MOEKIT_BITONIC_MERGE_STEPS(MOEKIT_BITONIC_STEP);
    return sorted;
}

/// The 16 lanes sorted ascending with a bitonic network (10 compare-exchange steps of
/// min/max and constant shuffles, no branches).
static inline __attribute__((always_inline)) moekit_f32x16 moekit_sort16(moekit_f32x16 sorted) {
    MOEKIT_BITONIC_BUILD_STEPS(MOEKIT_BITONIC_STEP);
    return moekit_bitonic_clean16(sorted);
}

/// One step of the network on (key, index) pairs and a payload: of each two lanes, the
/// better pair (a larger key, or an equal key at a lower index) takes the "lower" place.
#define MOEKIT_PAIR_STEP(partner, blend) do { \
        moekit_f32x16 ov = __builtin_shufflevector(v, v, MOEKIT_UNPAREN partner); \
        moekit_i32x16 oi = __builtin_shufflevector(ix, ix, MOEKIT_UNPAREN partner); \
        moekit_f32x16 op = __builtin_shufflevector(pay, pay, MOEKIT_UNPAREN partner); \
        moekit_i32x16 better = (moekit_i32x16)(ov > v) | ((moekit_i32x16)(ov == v) & (moekit_i32x16)(oi < ix)); \
        moekit_f32x16 bv = better ? ov : v, wv = better ? v : ov; \
        moekit_i32x16 bi = better ? oi : ix, wi = better ? ix : oi; \
        moekit_f32x16 bp = better ? op : pay, wp = better ? pay : op; \
        v = __builtin_shufflevector(bv, wv, MOEKIT_UNPAREN blend); \
        ix = __builtin_shufflevector(bi, wi, MOEKIT_UNPAREN blend); \
        pay = __builtin_shufflevector(bp, wp, MOEKIT_UNPAREN blend); \
    } while (0)

/// 16 (key, index) pairs sorted best first: descending key, equal keys by ascending index
/// (no NaN keys), with moekit_sort16's network (10 branch-free steps in registers), and
/// `payload` moved along with its pair (unused, it costs nothing). The order is strict for
/// distinct indices, so the result is unique; padding lanes should hold -inf with index
/// INT32_MAX so that they come last. Replaces moekit_rank16 plus a scatter into slots
/// where the sorted lanes themselves are wanted.
static inline __attribute__((always_inline))
void moekit_sort16_pairs(moekit_f32x16 *value, moekit_i32x16 *index, moekit_f32x16 *payload) {
    moekit_f32x16 v = *value, pay = *payload;
    moekit_i32x16 ix = *index;
    MOEKIT_BITONIC_BUILD_STEPS(MOEKIT_PAIR_STEP);
    MOEKIT_BITONIC_MERGE_STEPS(MOEKIT_PAIR_STEP);
    *value = v;
    *index = ix;
    *payload = pay;
}
#undef MOEKIT_PAIR_STEP
#undef MOEKIT_BITONIC_BUILD_STEPS
#undef MOEKIT_BITONIC_MERGE_STEPS
#undef MOEKIT_BITONIC_STEP
#undef MOEKIT_UNPAREN

// MARK: - Selection

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

/// Whether (va, ia) ranks below (vb, ib): a smaller key, or an equal key at a higher index.
static inline __attribute__((always_inline)) int moekit_worse(float va, int32_t ia, float vb, int32_t ib) {
    return va < vb || (va == vb && ia > ib);
}

/// Restores the heap order below `root` in a heap of `size` entries whose root is the
/// worst entry (see moekit_worse).
static inline void moekit_sift_down(float *values, int32_t *indices, size_t root, size_t size) {
    float v = values[root];
    int32_t ix = indices[root];
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= size) break;
        if (child + 1 < size && moekit_worse(values[child + 1], indices[child + 1], values[child], indices[child])) child++;
        if (!moekit_worse(values[child], indices[child], v, ix)) break;
        values[root] = values[child];
        indices[root] = indices[child];
        root = child;
    }
    values[root] = v;
    indices[root] = ix;
}

/// The largest k keys by a heap of the k best so far (root: the worst of them), then a heap
/// sort into descending order: O(n log k), for large k where insertion would cost O(n k).
/// Skips NaN keys; returns how many slots it filled.
static size_t moekit_topk_heap(const float *keys, size_t n, size_t k, int32_t *indices, float *values) {
    size_t count = 0, i = 0;
    for (; i < n && count < k; i++) {
        if (keys[i] != keys[i]) continue;
        values[count] = keys[i];
        indices[count] = (int32_t)i;
        count++;
    }
    if (count == k) {
        for (size_t r = k / 2; r-- > 0;) moekit_sift_down(values, indices, r, k);
        for (; i < n; i++) {
            // A later index with an equal key ranks lower, so only a larger key enters.
            if (keys[i] > values[0]) {
                values[0] = keys[i];
                indices[0] = (int32_t)i;
                moekit_sift_down(values, indices, 0, k);
            }
        }
    } else {
        for (size_t r = count / 2; r-- > 0;) moekit_sift_down(values, indices, r, count);
    }
    // Heap sort: move the worst to the end, repeatedly; the result is in descending order.
    for (size_t size = count; size > 1; size--) {
        float v = values[0];
        int32_t ix = indices[0];
        values[0] = values[size - 1];
        indices[0] = indices[size - 1];
        values[size - 1] = v;
        indices[size - 1] = ix;
        moekit_sift_down(values, indices, 0, size - 1);
    }
    return count;
}

/// The exact selection for short rows, large k and the rare cases the vector path hands
/// over (many equal keys, NaN keys): insertion for k <= 16, a heap above. NaN keys rank
/// below every number; they fill the last slots, in ascending index order, only when the
/// row has fewer than k numbers.
static void moekit_topk_scalar(const float *keys, size_t n, size_t k,
                               int32_t *indices, float *values) {
    size_t count = 0;
    if (k <= 16) {
        for (size_t i = 0; i < n; i++) {
            if (keys[i] != keys[i]) continue;
            moekit_insert(keys[i], (int32_t)i, k, &count, values, indices);
        }
    } else {
        count = moekit_topk_heap(keys, n, k, indices, values);
    }
    for (size_t i = 0; i < n && count < k; i++) {
        if (keys[i] != keys[i]) {
            values[count] = keys[i];
            indices[count] = (int32_t)i;
            count++;
        }
    }
}

/// The preconditions every selection entry point checks before touching memory.
static inline __attribute__((always_inline))
int moekit_selection_arguments_valid(const float *keys, size_t n, size_t k, const int32_t *indices, const float *values) {
    return keys && indices && values && k >= 1 && k <= n && n <= (size_t)INT32_MAX;
}

static inline __attribute__((always_inline)) uint32_t moekit_bits(moekit_b16 mask) {
    return __builtin_bit_cast(uint16_t, mask);
}

/// The positions i < n (n a multiple of 16) whose key is at or above `threshold`, in
/// ascending order, into positions[0 ..< count]; returns the count, or 17 as soon as more
/// than 16 qualify. The hit masks of four chunks form one 64-bit word, so the loop runs once
/// per hit and the branch predictor sees few, mostly predictable exits.
static inline __attribute__((always_inline))
int moekit_positions_at_least16(const float *keys, size_t n, float threshold, int32_t *positions) {
    int count = 0;
    for (size_t i = 0; i < n; i += 64) {
        uint64_t word = 0;
        size_t chunks = (n - i) / 16 < 4 ? (n - i) / 16 : 4;
        for (size_t q = 0; q < chunks; q++) {
            moekit_f32x16 v;
            memcpy(&v, keys + i + 16 * q, sizeof v);
            word |= (uint64_t)moekit_bits(__builtin_convertvector(v >= threshold, moekit_b16)) << (16 * q);
        }
        if (count + __builtin_popcountll(word) > 16) return 17;
        while (word) {
            positions[count++] = (int32_t)(i + (size_t)__builtin_ctzll(word));
            word &= word - 1;
        }
    }
    return count;
}

/// min(rank, k) without a branch: which candidates rank below k is data-dependent and
/// mispredicts about half the time.
static inline __attribute__((always_inline)) size_t moekit_min_slot(unsigned rank, size_t k) {
    size_t r = rank;
    size_t below = (size_t)0 - (size_t)(r < k);     // all ones when rank < k
    return k ^ ((r ^ k) & below);
}

/// The rank of each of 16 (key, index) lanes in descending key order, ties to the lower
/// index: the number of lanes with a larger key, or an equal key at a lower index (all pairs,
/// by comparing the lanes with their 15 rotations). Padding lanes should hold -inf with index
/// INT32_MAX so that they never rank before a real one.
static inline __attribute__((always_inline))
moekit_i32x16 moekit_rank16(moekit_f32x16 value, moekit_i32x16 index) {
    moekit_i32x16 rank = 0;
#define MOEKIT_RANK(...) do { \
        moekit_f32x16 v = __builtin_shufflevector(value, value, __VA_ARGS__); \
        moekit_i32x16 x = __builtin_shufflevector(index, index, __VA_ARGS__); \
        rank -= (moekit_i32x16)(v > value) | ((moekit_i32x16)(v == value) & (moekit_i32x16)(x < index)); \
    } while (0)
    MOEKIT_RANK(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0);
    MOEKIT_RANK(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1);
    MOEKIT_RANK(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2);
    MOEKIT_RANK(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3);
    MOEKIT_RANK(5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4);
    MOEKIT_RANK(6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5);
    MOEKIT_RANK(7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6);
    MOEKIT_RANK(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    MOEKIT_RANK(9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8);
    MOEKIT_RANK(10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    MOEKIT_RANK(11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    MOEKIT_RANK(12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    MOEKIT_RANK(13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    MOEKIT_RANK(14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    MOEKIT_RANK(15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
#undef MOEKIT_RANK
    return rank;
}

/// The selection behind `moekit_topk` and `moekit_topk_finite`. With `check`, rejects a
/// row holding NaN or ±inf (returns 1 before selecting anything) and stores the row's
/// largest key in *rowMax, both read off the first pass at no extra cost.
static inline __attribute__((always_inline))
int moekit_topk_impl(const float *keys, size_t n, size_t k, int32_t *indices, float *values,
                     int check, float *rowMax) {
    enum { capacity = 64 };
    if (k > 16 || n < 32) {
        if (check) {
            if (moekit_nonfinite_inline(keys, n)) return 1;
            float m = keys[0];
            for (size_t i = 1; i < n; i++) m = keys[i] > m ? keys[i] : m;
            *rowMax = m;
        }
        moekit_topk_scalar(keys, n, k, indices, values);
        return 0;
    }
    // Pass 1: lane-wise maxima. Each lane maximum is a distinct element of the row, so the
    // k-th largest of the 16 lane maxima (counting repeats) is a lower bound on the row's
    // k-th largest key: no key below it can be chosen.
    size_t chunks = n / 16;
    moekit_f32x16 lanes;
    memcpy(&lanes, keys, sizeof lanes);
    moekit_i32x16 nonfinite = 0;
    if (check) nonfinite |= (moekit_i32x16)((lanes - lanes) != 0.0f);
    for (size_t c = 1; c < chunks; c++) {
        moekit_f32x16 v;
        memcpy(&v, keys + 16 * c, sizeof v);
        lanes = v > lanes ? v : lanes;
        if (check) nonfinite |= (moekit_i32x16)((v - v) != 0.0f);
    }
    if (check) {
        int bad = 0;
        for (size_t j = 0; j < 16; j++) bad |= nonfinite[j];
        for (size_t i = 16 * chunks; i < n; i++) bad |= moekit_is_nonfinite(keys[i]);
        if (bad) return 1;
        float m = lanes[0];
        for (size_t j = 1; j < 16; j++) m = lanes[j] > m ? lanes[j] : m;
        for (size_t i = 16 * chunks; i < n; i++) m = keys[i] > m ? keys[i] : m;
        *rowMax = m;
    }
    moekit_f32x16 sorted = moekit_sort16(lanes);
    float ascending[16];
    memcpy(ascending, &sorted, sizeof ascending);
    float threshold = ascending[16 - k];

    // Pass 2: gather the keys at or above the bound, in ascending index order. The hit
    // masks of four chunks form one 64-bit word, so the loop runs once per candidate and
    // the branch predictor sees few, mostly predictable exits.
    float cv[capacity];
    int32_t ci[capacity];
    for (size_t j = 0; j < capacity; j++) cv[j] = -INFINITY;
    size_t count = 0;
    for (size_t c0 = 0; c0 < chunks; c0 += 4) {
        uint64_t word = 0;
        size_t group = chunks - c0 < 4 ? chunks - c0 : 4;
        for (size_t q = 0; q < group; q++) {
            moekit_f32x16 v;
            memcpy(&v, keys + 16 * (c0 + q), sizeof v);
            word |= (uint64_t)moekit_bits(__builtin_convertvector(v >= threshold, moekit_b16)) << (16 * q);
        }
        size_t base = 16 * c0;
        while (word) {
            size_t j = base + (size_t)__builtin_ctzll(word);
            word &= word - 1;
            if (count < capacity) { cv[count] = keys[j]; ci[count] = (int32_t)j; }
            count++;
        }
    }
    for (size_t i = 16 * chunks; i < n; i++) {
        if (keys[i] >= threshold) {
            if (count < capacity) { cv[count] = keys[i]; ci[count] = (int32_t)i; }
            count++;
        }
    }
    // Many equal keys (more candidates than the buffer holds): rare, still exact. Fewer
    // candidates than k happens only when NaN keys spoiled the bound (a finite row always
    // has k keys at or above it): the scalar path ranks NaN last.
    if (count > capacity || count < k) {
        moekit_topk_scalar(keys, n, k, indices, values);
        return 0;
    }

    // Pass 3: rank each candidate: the keys above it plus the equal keys before it (lower
    // index wins). Ranks below k are the answer, already in order. Unused slots hold -inf,
    // which never counts as above or before a candidate.
    float slotValue[17];
    int32_t slotIndex[17];
    if (count <= 16) {
        // All pairs at once: compare the candidates with the 15 rotations of themselves.
        // Padding lanes hold -inf with index INT32_MAX, so they never rank above or
        // before a real candidate.
        moekit_f32x16 value;
        moekit_i32x16 index;
        memcpy(&value, cv, sizeof value);
        for (size_t j = 0; j < 16; j++) index[j] = j < count ? ci[j] : INT32_MAX;
        moekit_i32x16 rank = moekit_rank16(value, index);
        int32_t ranks[16];
        memcpy(ranks, &rank, sizeof ranks);
        for (size_t i = 0; i < count; i++) {
            size_t slot = moekit_min_slot((unsigned)ranks[i], k);
            slotValue[slot] = cv[i];
            slotIndex[slot] = ci[i];
        }
    } else {
        size_t blocks = (count + 15) / 16;
        for (size_t i = 0; i < count; i++) {
            float key = cv[i];
            unsigned rank = 0;
            for (size_t q = 0; q < blocks; q++) {
                moekit_f32x16 block;
                memcpy(&block, cv + 16 * q, sizeof block);
                uint32_t above = moekit_bits(__builtin_convertvector(block > key, moekit_b16));
                uint32_t equal = moekit_bits(__builtin_convertvector(block == key, moekit_b16));
                size_t first = 16 * q;
                uint32_t before = i >= first + 16 ? 0xFFFFu : (i <= first ? 0u : (1u << (i - first)) - 1u);
                rank += (unsigned)__builtin_popcount(above) + (unsigned)__builtin_popcount(equal & before);
            }
            slotValue[moekit_min_slot(rank, k)] = key;
            slotIndex[moekit_min_slot(rank, k)] = ci[i];
        }
    }
    for (size_t j = 0; j < k; j++) {
        values[j] = slotValue[j];
        indices[j] = slotIndex[j];
    }
    return 0;
}

// MARK: - Group-limited selection

/// The largest of 16 lanes (no NaN), by halving shuffles.
static inline __attribute__((always_inline)) float moekit_max16(moekit_f32x16 v) {
    moekit_f32x16 w = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    v = w > v ? w : v;
    w = __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    v = w > v ? w : v;
    w = __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    v = w > v ? w : v;
    w = __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    v = w > v ? w : v;
    return v[0];
}

/// The score of one group of `size` keys: its largest key (rule 1) or the sum of its two
/// largest, a repeated value counting twice (rule 0; a group of one scores its key).
static inline __attribute__((always_inline))
float moekit_group_score(const float *keys, size_t size, int rule) {
    float first, second;
    if (size % 16 == 0) {
        // Lane-wise top two across the group's vectors; the group's second largest is
        // then the larger of the other lanes' maxima and the top lane's runner-up.
        moekit_f32x16 hi, lo = -INFINITY;
        memcpy(&hi, keys, sizeof hi);
        for (size_t c = 16; c < size; c += 16) {
            moekit_f32x16 v;
            memcpy(&v, keys + c, sizeof v);
            moekit_f32x16 smaller = v < hi ? v : hi;
            hi = v > hi ? v : hi;
            lo = smaller > lo ? smaller : lo;
        }
        first = moekit_max16(hi);
        uint32_t atFirst = moekit_bits(__builtin_convertvector(hi == first, moekit_b16));
        int top = __builtin_ctz(atFirst);
        moekit_i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        second = moekit_max16((moekit_f32x16)(lane == top ? (moekit_i32x16)lo : (moekit_i32x16)hi));
    } else {
        first = keys[0];
        second = -INFINITY;
        for (size_t i = 1; i < size; i++) {     // branch-free running top two
            float v = keys[i];
            float smaller = v < first ? v : first;
            second = smaller > second ? smaller : second;
            first = v > first ? v : first;
        }
    }
    if (rule == 1 || size == 1) return first;
    return first + second;
}

static inline __attribute__((always_inline))
int moekit_group_limited_topk_impl(const float *keys, size_t n, size_t groups, size_t kept, int rule,
                              size_t k, int32_t *indices, float *values, float *scratch) {
    if (!moekit_selection_arguments_valid(keys, n, k, indices, values) || !scratch || groups == 0
        || n % groups != 0 || kept == 0 || kept > groups || k > kept * (n / groups) || (rule != 0 && rule != 1)) {
        return MOEKIT_INVALID_ARGUMENT;
    }
    size_t size = n / groups;
    float *scores = scratch;                    // [groups]
    float *compact = scratch + groups;          // [kept * size]
    int32_t chosen[64];
    int32_t *keptGroups = groups <= 64 ? chosen : (int32_t *)(compact + kept * size);
    for (size_t g = 0; g < groups; g++) scores[g] = moekit_group_score(keys + g * size, size, rule);
    float groupValues[64];
    float *groupValueBuffer = kept <= 64 ? groupValues : (float *)(keptGroups + groups);
    moekit_topk_scalar(scores, groups, kept, keptGroups, groupValueBuffer);
    // Gather the kept groups in ascending group order, so positions in `compact` keep the
    // experts' index order (and the lower-index tie rule).
    for (size_t a = 1; a < kept; a++) {
        int32_t v = keptGroups[a];
        size_t b = a;
        while (b > 0 && keptGroups[b - 1] > v) { keptGroups[b] = keptGroups[b - 1]; b--; }
        keptGroups[b] = v;
    }
    for (size_t j = 0; j < kept; j++) memcpy(compact + j * size, keys + (size_t)keptGroups[j] * size, size * sizeof(float));
    moekit_topk_impl(compact, kept * size, k, indices, values, 0, NULL);
    for (size_t j = 0; j < k; j++) {
        size_t position = (size_t)indices[j];
        indices[j] = (int32_t)((size_t)keptGroups[position / size] * size + position % size);
    }
    return MOEKIT_OK;
}

#endif
