//===--- RouteWeights.h - The chosen experts' weights, as the routers compute them -===//
//
// Private to _MoEKitKernels: the last step of every fused routing kernel (RouteKernels.c,
// SoftmaxRouteKernels.c), in the operations and order of Router+Logits.swift, so that every
// path gives the same bits.
//
//===----------------------------------------------------------------------===//
#ifndef MOEKIT_ROUTE_WEIGHTS_H
#define MOEKIT_ROUTE_WEIGHTS_H

#include "MoEKitKernels.h"
#include "KernelMath.h"

/// Scales the weights `w` [k] by the parameters' scale (unless it is 1); returns nonzero
/// when a weight is not finite.
static inline __attribute__((always_inline)) int moekit_scale_weights(const moekit_route_params *p, float *w) {
    size_t k = p->k;
    if (p->scale != 1.0f) {
        for (size_t j = 0; j < k; j++) w[j] = w[j] * p->scale;
    }
    int bad = 0;
    for (size_t j = 0; j < k; j++) bad |= moekit_is_nonfinite(w[j]);
    return bad;
}

/// The chosen scores in `w` [k] as weights: divided by their sum (in index order) plus
/// epsilon when the parameters renormalise, then scaled; returns nonzero when a weight is
/// not finite.
static inline __attribute__((always_inline)) int moekit_chosen_score_weights(const moekit_route_params *p, float *w) {
    size_t k = p->k;
    if (p->normalize) {
        float sum = 0.0f;
        for (size_t j = 0; j < k; j++) sum += w[j];
        float denominator = sum + p->epsilon;
        for (size_t j = 0; j < k; j++) w[j] = w[j] / denominator;
    }
    return moekit_scale_weights(p, w);
}

#endif
