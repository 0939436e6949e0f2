//===--- CostEstimator.swift - Whole-model decode and prefill costs -------===//
//
// Per-token decode at context n and prefill of n tokens: FLOPs, weight bytes, KV bytes.
// Weight FLOPs are 2 × active parameters per token (a multiply-add is 2 FLOPs); attention comes
// from the design's AttentionCostModel; expert bytes from the expected distinct experts.
//
//===----------------------------------------------------------------------===//

/// Estimates what a model costs per token, for chosen storage formats.
///
/// ```swift
/// let v3 = try ModelSpec.preset(named: "deepseek-v3")
/// let estimator = CostEstimator(model: v3)
/// let step = try estimator.decode(context: 131_072)
/// print(step.totalFlops, step.kvBytesRead, step.kvCacheBytesPerSequence)
/// ```
///
/// Every estimate is closed-form: a context of 2^40 tokens costs as much to estimate as one of
/// 1,000.
///
/// - Complexity: O(*k*) per estimate for *k* distinct attention layer kinds (at most 3 in the
///   presets); O(*L*) for the per-layer breakdowns; O(*E*) more with a measured expert load.
public struct CostEstimator: Sendable {
    /// The model.
    public let model: ModelSpec
    /// KV-cache and indexer formats.
    public var kvStorage: KVStorage
    /// Weight formats.
    public var weights: WeightPrecision
    /// How routing spreads tokens over experts (uniform by default).
    public var expertLoad: ExpertLoad

    let attentionModel: any AttentionCostModel
    let attentionGroups: [(kind: AttentionLayerKind, count: Int)]
    let parameters: ParameterCount
    let moeLayers: Int

    /// An estimator for `model`, with the model's serving defaults unless formats are given.
    public init(model: ModelSpec, kvStorage: KVStorage? = nil, weights: WeightPrecision? = nil,
                expertLoad: ExpertLoad = .uniform) {
        self.model = model
        self.kvStorage = kvStorage ?? model.serving.kvStorage
        self.weights = weights ?? model.serving.weights
        self.expertLoad = expertLoad
        attentionModel = model.attentionModel
        attentionGroups = attentionModel.layerKindCounts
        parameters = model.parameterCount
        moeLayers = model.feedForward.moeLayerCount
    }

    /// The KV storage for `model` with the given formats replacing its defaults.
    ///
    /// - Throws: ``EstimationError/unsupportedFormat(model:design:option:)`` when an indexer
    ///   format is given for a design without a lightning indexer, and
    ///   ``EstimationError/unsupportedOption(model:design:option:reason:)`` when a state format is
    ///   given for a design without linear-attention layers.
    public static func kvStorage(for model: ModelSpec, kv: KVCacheFormat?, indexer: IndexerKeyFormat?,
                                 state: RecurrentStateFormat? = nil) throws(EstimationError) -> KVStorage {
        var storage = model.serving.kvStorage
        if let kv { storage.kv = kv }
        if let state {
            guard model.attentionModel.hasRecurrentState else {
                throw .unsupportedOption(model: model.name, design: model.attentionModel.design.rawValue,
                                         option: "a recurrent-state format (\(state))",
                                         reason: "it has no linear-attention layers")
            }
            storage.state = state
        }
        if let indexer {
            guard model.attentionModel.hasIndexer else {
                throw .unsupportedFormat(model: model.name, design: model.attentionModel.design.rawValue,
                                         option: "an indexer key format (\(indexer))")
            }
            storage.indexer = indexer
        }
        return storage
    }

    /// Parameter counts of the model.
    public var parameterCount: ParameterCount { parameters }

    @inline(__always)
    func check(context: Int) throws(EstimationError) {
        guard ContextLength.supported.contains(context) else { throw .contextOutOfRange(context) }
    }

    // MARK: - Whole model

    /// Constant per-sequence state of linear-attention layers, all layers (part of
    /// ``kvCacheBytes(context:)``; 0 for designs without one).
    public var stateBytesPerSequence: Double {
        attentionModel.totalStateBytes(storage: kvStorage)
    }

    /// KV-cache bytes of one sequence at `context` tokens, all layers, constant state included.
    ///
    /// - Throws: ``EstimationError/contextOutOfRange(_:)`` outside `1...2^40`.
    public func kvCacheBytes(context: Int) throws(EstimationError) -> Double {
        try check(context: context)
        var total = 0.0
        for g in attentionGroups {
            total += Double(g.count) * attentionModel.kvCacheBytes(for: g.kind, context: context, storage: kvStorage)
        }
        return total
    }

    /// Weight FLOPs per token: 2 × active parameters by component (no embedding FLOPs).
    public var weightFlopsPerToken: ComponentCost {
        let a = parameters.active
        var c = ComponentCost()
        c.attention = 2 * Double(a.attention)
        c.denseFFN = 2 * Double(a.denseFFN)
        c.routedExperts = 2 * Double(a.routedExperts)
        c.sharedExperts = 2 * Double(a.sharedExperts)
        c.router = 2 * Double(a.router)
        c.outputHead = 2 * Double(a.outputHead)
        c.hyperConnections = 2 * Double(a.hyperConnections)
        return c
    }

    /// Weight bytes read once for `tokens` tokens processed together: every non-expert weight,
    /// the distinct routed experts the tokens touch, and one embedding row per token.
    public func weightBytes(tokens: Int) -> ComponentCost {
        let t = parameters.total, dense = weights.dense.bytesPerParameter
        var c = ComponentCost()
        c.embedding = Double(tokens) * Double(model.hiddenSize) * dense
        c.attention = Double(t.attention) * dense
        c.denseFFN = Double(t.denseFFN) * dense
        c.sharedExperts = Double(t.sharedExperts) * dense
        c.router = Double(t.router) * dense
        c.outputHead = Double(t.outputHead == 0 ? t.embedding : t.outputHead) * dense
        c.hyperConnections = Double(t.hyperConnections) * dense
        if let moe = model.feedForward.moe {
            c.routedExperts = Double(moeLayers) * distinctExperts(tokens: tokens)
                * Double(moe.expertParameters(hiddenSize: model.hiddenSize)) * weights.experts.bytesPerParameter
        }
        return c
    }

    /// Expected distinct routed experts `tokens` tokens touch in one MoE layer.
    public func distinctExperts(tokens: Int) -> Double {
        model.feedForward.moe?.expectedDistinctExperts(tokens: tokens, load: expertLoad) ?? 0
    }

    /// One decode step of `batchSize` sequences at `context` tokens.
    ///
    /// - Throws: ``EstimationError`` for a context outside `1...2^40` or a batch below 1.
    public func decode(context: Int, batchSize: Int = 1) throws(EstimationError) -> DecodeEstimate {
        try check(context: context)
        guard batchSize >= 1 else { throw .batchSizeOutOfRange(batchSize) }
        var attention = AttentionCost.zero, kv = 0.0
        for g in attentionGroups {
            let n = Double(g.count)
            attention += attentionModel.decodeCost(for: g.kind, context: context, storage: kvStorage).scaled(by: n)
            kv += n * attentionModel.kvCacheBytes(for: g.kind, context: context, storage: kvStorage)
        }
        return DecodeEstimate(context: context, batchSize: batchSize, attention: attention,
                              weightFlops: weightFlopsPerToken, weightBytesPerStep: weightBytes(tokens: batchSize),
                              kvCacheBytesPerSequence: kv, stateBytesPerSequence: stateBytesPerSequence,
                              distinctExpertsPerLayer: distinctExperts(tokens: batchSize))
    }

    /// Prefill of one `tokens`-long prompt.
    ///
    /// - Throws: ``EstimationError/contextOutOfRange(_:)`` outside `1...2^40`.
    public func prefill(tokens: Int) throws(EstimationError) -> PrefillEstimate {
        try check(context: tokens)
        var attention = AttentionCost.zero, kv = 0.0
        for g in attentionGroups {
            let n = Double(g.count)
            attention += attentionModel.prefillCost(for: g.kind, tokens: tokens, storage: kvStorage).scaled(by: n)
            kv += n * attentionModel.kvCacheBytes(for: g.kind, context: tokens, storage: kvStorage)
        }
        return PrefillEstimate(tokens: tokens, attention: attention,
                               weightFlops: weightFlopsPerToken.scaled(by: Double(tokens)),
                               weightBytes: weightBytes(tokens: tokens), kvCacheBytes: kv, stateBytes: stateBytesPerSequence)
    }
}
