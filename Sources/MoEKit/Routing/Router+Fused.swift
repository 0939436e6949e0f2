//===--- Router+Fused.swift - Routers in one fused kernel call ------------===//

import _MoEKitKernels

extension Router {
    /// The fused kernels a router can be routed by.
    enum FusedKernel {
        /// `moekit_route_scored`: sigmoid and sqrt-softplus scoring, chosen-score weights.
        case scored
        /// `moekit_route_softmax`: softmax or raw-logit scoring, no bias, no group limit.
        case softmax
    }

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

    /// The fused kernel's view of a router without correction bias or group limit that
    /// scores with a softmax over all experts (Qwen3-MoE, Mixtral, Qwen3-Next) or selects on
    /// the raw logits (gpt-oss, Llama 4), any weighting (`moekit_route_softmax`); `nil` for
    /// other routers.
    func softmaxParameters() -> moekit_route_params? {
        let config = configuration
        guard correctionBias == nil, config.scoring == .softmax || config.scoring == .logits,
              config.groupLimit.map({ $0.keptGroups >= $0.groups }) ?? true else { return nil }
        return kernelParameters(bias: nil)
    }

    /// This router as `moekit_route_params` (any scoring; the kernels say which they serve).
    func kernelParameters(bias: UnsafePointer<Float>?) -> moekit_route_params {
        let config = configuration
        let scoring: Int32 = switch config.scoring {
        case .sigmoid: MOEKIT_SCORING_SIGMOID
        case .sqrtSoftplus: MOEKIT_SCORING_SQRT_SOFTPLUS
        case .softmax: MOEKIT_SCORING_SOFTMAX
        case .logits: MOEKIT_SCORING_LOGITS
        }
        let weighting: Int32 = switch config.weighting {
        case .chosenScores: MOEKIT_WEIGHTING_CHOSEN
        case .softmaxOverChosen: MOEKIT_WEIGHTING_SOFTMAX_CHOSEN
        case .sigmoidOfChosen: MOEKIT_WEIGHTING_SIGMOID_CHOSEN
        }
        let limit = config.groupLimit.flatMap { $0.keptGroups < $0.groups ? $0 : nil }
        return moekit_route_params(
            experts: config.experts, k: config.topK, scoring: scoring, bias: bias,
            groups: limit?.groups ?? 0, kept: limit?.keptGroups ?? 0,
            groupRule: limit?.score == .max ? 1 : 0,
            normalize: config.normalizesWeights ? 1 : 0,
            epsilon: config.normalizationEpsilon, scale: config.scalingFactor, weighting: weighting)
    }

    /// Routes `rows` with a fused kernel; returns the first row holding a non-finite
    /// logit or getting a non-finite weight, or `nil`. Scratch lives on the kernel's stack
    /// when it fits (16 KiB: E up to about 1000 scored, about 4000 softmax), so a call
    /// allocates nothing.
    func routeRowsFused(
        _ parameters: moekit_route_params, kernel: FusedKernel = .scored, _ rows: Range<Int>,
        logits: UnsafePointer<Float>,
        indices: UnsafeMutablePointer<Int32>,
        weights: UnsafeMutablePointer<Float>
    ) -> Int? {
        var parameters = parameters
        let experts = configuration.experts, k = configuration.topK
        let floats = switch kernel {
        case .scored: moekit_route_scratch_floats(&parameters)
        case .softmax: moekit_route_softmax_scratch_floats(&parameters)
        }
        // Up to MOEKIT_ROUTE_STACK_FLOATS the kernel keeps its scratch on its own stack.
        let scratch = floats > Int(MOEKIT_ROUTE_STACK_FLOATS) ? UnsafeMutablePointer<Float>.allocate(capacity: floats) : nil
        defer { scratch?.deallocate() }
        var bad = 0
        let x = logits + rows.lowerBound * experts, ix = indices + rows.lowerBound * k, w = weights + rows.lowerBound * k
        let status = switch kernel {
        case .scored: moekit_route_scored(&parameters, x, rows.count, ix, w, scratch, &bad)
        case .softmax: moekit_route_softmax(&parameters, x, rows.count, ix, w, scratch, &bad)
        }
        // MOEKIT_INVALID_ARGUMENT cannot happen: the configuration was validated.
        return status == MOEKIT_OK ? nil : rows.lowerBound + bad
    }
}
