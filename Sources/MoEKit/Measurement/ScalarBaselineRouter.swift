//===--- ScalarBaselineRouter.swift - The plain router speedups are quoted against ===//

import _MoEKitKernels

/// A plain scalar C router, the point of comparison for MoEKit's routing kernels: libm
/// `expf` (`log1pf`, `sqrtf`) one expert at a time, an insertion top-k, no vector code, as
/// a straightforward implementation of the same family would be written. Benchmarks time it
/// next to ``Router/route(logits:indices:weights:threads:)`` and print the ratio.
///
/// It routes softmax, sigmoid and sqrt-softplus routers with chosen-score weights, with
/// the same correction bias, group limit, renormalisation and scaling as the ``Router`` it
/// is made from, and the same tie rule (lower index); its scores round differently (libm),
/// so its weights match MoEKit's to about 1e-6 relative, not bit for bit.
public struct ScalarBaselineRouter: Sendable {
    /// The router whose computation this baseline repeats.
    public let router: Router

    /// A baseline for `router`, or `nil` for a family it does not cover (raw-logit
    /// scoring, softmax-over-chosen weights).
    public init?(_ router: Router) {
        let config = router.configuration
        guard config.scoring != .logits, config.weighting == .chosenScores else { return nil }
        self.router = router
    }

    /// Routes logits `[T, E]` into indices and weights `[T, k]`, one thread.
    ///
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` or
    ///   ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` for wrong sizes;
    ///   ``RoutingError/nonFiniteLogit(token:expert:value:)`` for a NaN or infinite logit.
    /// - Complexity: O(*T* · *E* · *k*) worst case; allocates O(*E*) scratch per call.
    public func route(
        logits: UnsafeBufferPointer<Float>,
        indices: UnsafeMutableBufferPointer<Int32>,
        weights: UnsafeMutableBufferPointer<Float>
    ) throws(RoutingError) {
        let config = router.configuration
        let experts = config.experts, k = config.topK
        let tokens = try Router.tokenCount(logits: logits.count, indices: indices.count,
                                           weights: weights.count, experts: experts, topK: k)
        guard tokens > 0 else { return }
        let status = router.correctionBias.withUnsafeBufferPointerIfPresent { bias -> Int32 in
            var parameters = router.kernelParameters(bias: bias)
            let floats = moekit_route_scratch_floats(&parameters)
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, floats)) { scratch in
                moekit_route_baseline(&parameters, logits.baseAddress, tokens, indices.baseAddress,
                                      weights.baseAddress, scratch.baseAddress)
            }
        }
        if status != MOEKIT_OK {
            let bad = logits.firstIndex { !$0.isFinite } ?? 0
            throw .nonFiniteLogit(token: bad / experts, expert: bad % experts, value: logits[bad])
        }
    }
}
