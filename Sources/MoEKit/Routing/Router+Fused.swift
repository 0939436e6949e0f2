//===--- Router+Fused.swift - Scored routers in one fused kernel call -----===//

import _MoEKitKernels

extension Router {
    /// The fused kernel's view of this router (`moekit_route_scored`), or `nil` when its
    /// family has none: sigmoid and sqrt-softplus scoring with chosen-score weights
    /// (DeepSeek-V3, Kimi K2, DeepSeek-V4), with or without a correction bias and a group
    /// limit. `bias` must point at ``correctionBias`` while the parameters are used.
    func fusedParameters(bias: UnsafePointer<Float>?) -> moekit_route_params? {
        let config = configuration
        guard config.scoring == .sigmoid || config.scoring == .sqrtSoftplus,
              config.weighting == .chosenScores else { return nil }
        return kernelParameters(bias: bias)
    }

    /// This router as `moekit_route_params` (any scoring; the kernels say which they serve).
    func kernelParameters(bias: UnsafePointer<Float>?) -> moekit_route_params {
        let config = configuration
        let scoring: Int32 = switch config.scoring {
        case .sigmoid: MOEKIT_SCORING_SIGMOID
        case .sqrtSoftplus: MOEKIT_SCORING_SQRT_SOFTPLUS
        case .softmax, .logits: MOEKIT_SCORING_SOFTMAX
        }
        let limit = config.groupLimit.flatMap { $0.keptGroups < $0.groups ? $0 : nil }
        return moekit_route_params(
            experts: config.experts, k: config.topK, scoring: scoring, bias: bias,
            groups: limit?.groups ?? 0, kept: limit?.keptGroups ?? 0,
            groupRule: limit?.score == .max ? 1 : 0,
            normalize: config.normalizesWeights ? 1 : 0,
            epsilon: config.normalizationEpsilon, scale: config.scalingFactor)
    }

    /// Routes `rows` with the fused kernel; returns the first row holding a non-finite
    /// logit or getting a non-finite weight, or `nil`. Scratch lives on the kernel's stack
    /// when it fits (16 KiB: E up to about 2000), so a call allocates nothing.
    func routeRowsFused(
        _ parameters: moekit_route_params, _ rows: Range<Int>,
        logits: UnsafePointer<Float>,
        indices: UnsafeMutablePointer<Int32>,
        weights: UnsafeMutablePointer<Float>
    ) -> Int? {
        var parameters = parameters
        let experts = configuration.experts, k = configuration.topK
        let floats = moekit_route_scratch_floats(&parameters)
        // Up to MOEKIT_ROUTE_STACK_FLOATS the kernel keeps its scratch on its own stack.
        let scratch = floats > Int(MOEKIT_ROUTE_STACK_FLOATS) ? UnsafeMutablePointer<Float>.allocate(capacity: floats) : nil
        defer { scratch?.deallocate() }
        var bad = 0
        let status = moekit_route_scored(
            &parameters, logits + rows.lowerBound * experts, rows.count,
            indices + rows.lowerBound * k, weights + rows.lowerBound * k, scratch, &bad)
        // MOEKIT_INVALID_ARGUMENT cannot happen: the configuration was validated.
        return status == MOEKIT_OK ? nil : rows.lowerBound + bad
    }
}
