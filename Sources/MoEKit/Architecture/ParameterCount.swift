//===--- ParameterCount.swift - Total and active parameters, broken down ---===//
//
// Formulas: standard per-layer sums over the config's shapes, derived here. Conventions: see
// ActiveParameterConvention.
//
//===----------------------------------------------------------------------===//

/// Parameters by component: a ``ComponentBreakdown`` of counts.
public typealias ParameterBreakdown = ComponentBreakdown<Int>

/// Whether an active-parameter count includes the input embedding table.
///
/// Publishers differ: DeepSeek-V3's `README_WEIGHTS.md` (`deepseek-ai/DeepSeek-V3`) counts the
/// embedding and the output head in its 36.7B; gpt-oss and DeepSeek-V4 figures match counting the
/// head but not the embedding, and Qwen3's figures match counting both (these two derived here by
/// comparing the published figures with counts from the configs).
public enum ActiveParameterConvention: String, Hashable, Sendable, CaseIterable {
    /// Active = every weight that multiplies the token's activations: attention, router, dense
    /// FFN, shared and `k` routed experts, hyper-connection mixers, output head. The input
    /// embedding (a row lookup, no FLOPs) is left out. MoEKit's default.
    case excludingEmbedding = "excluding-embedding"
    /// As above plus the whole input embedding table.
    case includingEmbedding = "including-embedding"
    /// Neither the input embedding nor the output head: the transformer layers only. GLM-4.5/4.6's
    /// 32B and MiniMax-M2's 10B match this (derived here: their configs give 32.1B and 9.8B this
    /// way, 32.9B and 10.4B with the head).
    case excludingEmbeddingAndHead = "excluding-embedding-and-head"
}

/// Total and per-token active parameters of a model, by component.
///
/// **Conventions.** ``total`` is the main model: embedding, every layer, output head; the MTP
/// module is reported separately in ``mtp`` (published totals such as DeepSeek-V3's 671B exclude
/// it; its checkpoint's 685B includes it). Norm weights and biases other than gpt-oss's are not
/// counted (well under 0.01%). The router is counted on every MoE layer, DeepSeek-V4's three
/// hash-routed layers included (they route by a token-id table; 3 × 1M parameters at most).
/// ``active`` counts, per token, the `k` routed experts and the shared
/// experts of each MoE layer and everything else in full; ``active(_:)`` applies an
/// ``ActiveParameterConvention`` to it.
public struct ParameterCount: Hashable, Sendable {
    /// All parameters of the main model.
    public var total: ParameterBreakdown
    /// Parameters used per token (routed experts: `k` per MoE layer).
    public var active: ParameterBreakdown
    /// Parameters of the MTP layers (not in ``total``).
    public var mtp: Int

    /// Active parameters under `convention` (default ``ActiveParameterConvention/excludingEmbedding``).
    public func active(_ convention: ActiveParameterConvention = .excludingEmbedding) -> Int {
        switch convention {
        case .excludingEmbedding: return active.total - active.embedding
        case .includingEmbedding: return active.total
        case .excludingEmbeddingAndHead: return active.total - active.embedding - active.outputHead
        }
    }
}

extension ModelSpec {
    /// Total and active parameters, by component.
    ///
    /// DeepSeek-V4's manifold-constrained hyper-connections are modelled as, per layer, two
    /// mixers (attention and FFN) that map the flattened `n·h` residual streams to the
    /// `n² + 2n` mixing coefficients of the mHC paper (arXiv 2512.24880): `2 · n·h · (n² + 2n)`
    /// parameters per layer, `n` = `hc_mult`. This is a model of their size, not read from a
    /// checkpoint; for V4-Flash it is 0.03B of 284B.
    ///
    /// - Complexity: O(*L*) for *L* layers.
    public var parameterCount: ParameterCount {
        let h = hiddenSize
        var total = ParameterBreakdown(), active = ParameterBreakdown()
        total.embedding = vocabularySize * h
        total.outputHead = tiesWordEmbeddings ? 0 : vocabularySize * h
        let model = attentionModel
        total.attention = model.totalParameters
        let ffn = feedForward
        total.denseFFN = ffn.denseLayerCount * ffn.denseLayerParameters
        let moeLayers = ffn.moeLayerCount
        var activeRouted = 0
        if let moe = ffn.moe {
            total.routedExperts = moeLayers * moe.routedExperts * moe.expertParameters(hiddenSize: h)
            total.sharedExperts = moeLayers * moe.sharedParameters(hiddenSize: h)
            total.router = moeLayers * moe.routerParameters(hiddenSize: h)
            activeRouted = moeLayers * moe.activeExperts * moe.expertParameters(hiddenSize: h)
        }
        total.hyperConnections = hyperConnectionParametersPerLayer * layerCount
        active = total
        active.routedExperts = activeRouted

        // MTP: one more layer each (attention of the last layer's design — V4 marks it
        // window-only — and an MoE FFN with all experts) plus the projection of the concatenated
        // embedding and hidden state (2h → h); embedding and head are shared (DeepSeek-V3
        // README_WEIGHTS: 11.5B unique MTP parameters).
        var mtp = 0
        if mtpLayerCount > 0 {
            let attentionParameters: Int
            if case .compressedHybrid(let v4) = attention {
                attentionParameters = v4.parameters(for: .slidingWindow(v4.window))
            } else {
                attentionParameters = model.parameters(for: model.layerKinds.last ?? .full)
            }
            var ffnParameters = ffn.denseLayerParameters
            if let moe = ffn.moe {
                ffnParameters = moe.routedExperts * moe.expertParameters(hiddenSize: h)
                    + moe.sharedParameters(hiddenSize: h) + moe.routerParameters(hiddenSize: h)
            }
            mtp = mtpLayerCount * (attentionParameters + ffnParameters + 2 * h * h + hyperConnectionParametersPerLayer)
        }
        return ParameterCount(total: total, active: active, mtp: mtp)
    }

    /// Hyper-connection mixer parameters per layer: `2 · n·h · (n² + 2n)` for `n` streams > 1.
    public var hyperConnectionParametersPerLayer: Int {
        let n = hyperConnectionStreams
        guard n > 1 else { return 0 }
        return 2 * n * hiddenSize * (n * n + 2 * n)
    }
}
