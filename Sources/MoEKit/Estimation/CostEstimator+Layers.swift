//===--- CostEstimator+Layers.swift - Per-layer cost breakdowns -----------===//

extension CostEstimator {
    /// Per-layer costs of one decode step of `batchSize` sequences at `context`.
    ///
    /// Summing the layers gives ``DecodeEstimate`` minus the embedding and output head.
    ///
    /// - Complexity: O(*L*) for *L* layers.
    public func layers(decodeAt context: Int, batchSize: Int = 1) throws(EstimationError) -> [LayerCost] {
        try check(context: context)
        guard batchSize >= 1 else { throw .batchSizeOutOfRange(batchSize) }
        return layerCosts(tokens: batchSize, flopsScale: 1) { kind in
            attentionModel.decodeCost(for: kind, context: context, storage: kvStorage)
        } kv: { kind in
            attentionModel.kvCacheBytes(for: kind, context: context, storage: kvStorage)
        }
    }

    /// Per-layer costs of prefilling a `tokens`-long prompt.
    ///
    /// - Complexity: O(*L*) for *L* layers.
    public func layers(prefillOf tokens: Int) throws(EstimationError) -> [LayerCost] {
        try check(context: tokens)
        return layerCosts(tokens: tokens, flopsScale: Double(tokens)) { kind in
            attentionModel.prefillCost(for: kind, tokens: tokens, storage: kvStorage)
        } kv: { kind in
            attentionModel.kvCacheBytes(for: kind, context: tokens, storage: kvStorage)
        }
    }

    private func layerCosts(tokens: Int, flopsScale: Double,
                            attention: (AttentionLayerKind) -> AttentionCost,
                            kv: (AttentionLayerKind) -> Double) -> [LayerCost] {
        let h = model.hiddenSize, ffn = model.feedForward
        let dense = weights.dense.bytesPerParameter, expertBytes = weights.experts.bytesPerParameter
        let hc = Double(model.hyperConnectionParametersPerLayer)
        let distinct = distinctExperts(tokens: tokens)
        var result: [LayerCost] = []
        result.reserveCapacity(model.layerCount)
        for (i, kind) in attentionModel.layerKinds.enumerated() {
            let ffnKind = ffn.layerKinds[i]
            let attentionParameters = Double(attentionModel.parameters(for: kind))
            var flops = ComponentCost(), bytes = ComponentCost()
            flops.attention = 2 * attentionParameters * flopsScale
            bytes.attention = attentionParameters * dense
            flops.hyperConnections = 2 * hc * flopsScale
            bytes.hyperConnections = hc * dense
            switch ffnKind {
            case .dense:
                flops.denseFFN = 2 * Double(ffn.denseLayerParameters) * flopsScale
                bytes.denseFFN = Double(ffn.denseLayerParameters) * dense
            case .moe:
                if let moe = ffn.moe {
                    let expert = Double(moe.expertParameters(hiddenSize: h))
                    flops.routedExperts = 2 * Double(moe.activeExperts) * expert * flopsScale
                    bytes.routedExperts = distinct * expert * expertBytes
                    flops.sharedExperts = 2 * Double(moe.sharedParameters(hiddenSize: h)) * flopsScale
                    bytes.sharedExperts = Double(moe.sharedParameters(hiddenSize: h)) * dense
                    flops.router = 2 * Double(moe.routerParameters(hiddenSize: h)) * flopsScale
                    bytes.router = Double(moe.routerParameters(hiddenSize: h)) * dense
                }
            }
            result.append(LayerCost(index: i, attentionKind: kind, ffnKind: ffnKind, attention: attention(kind),
                                    weightFlops: flops, weightBytes: bytes, kvCacheBytes: kv(kind)))
        }
        return result
    }
}
