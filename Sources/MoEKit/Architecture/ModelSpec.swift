//===--- ModelSpec.swift - What an MoE model is, for costing --------------===//

/// The attention of a model: one case per design, each carrying its cost model.
public enum AttentionArchitecture: Hashable, Sendable {
    /// MHA / GQA / MQA, with optional sliding-window layers.
    case grouped(GroupedQueryAttention)
    /// Multi-head latent attention.
    case latent(MultiHeadLatentAttention)
    /// DeepSeek Sparse Attention (MLA + lightning indexer).
    case sparse(DeepSeekSparseAttention)
    /// DeepSeek-V4 CSA + HCA + sliding window.
    case compressedHybrid(HybridCompressedAttention)
    /// Linear-attention layers (Gated DeltaNet, KDA) with full-attention layers between them.
    case linearHybrid(LinearHybridAttention)

    /// The cost model behind the protocol.
    public var costModel: any AttentionCostModel {
        switch self {
        case .grouped(let a): return a
        case .latent(let a): return a
        case .sparse(let a): return a
        case .compressedHybrid(let a): return a
        case .linearHybrid(let a): return a
        }
    }

    /// The hidden size `h` the attention projects from and to.
    public var hiddenSize: Int {
        switch self {
        case .grouped(let a): return a.hiddenSize
        case .latent(let a): return a.hiddenSize
        case .sparse(let a): return a.latent.hiddenSize
        case .compressedHybrid(let a): return a.hiddenSize
        case .linearHybrid(let a): return a.hiddenSize
        }
    }
}

/// Published total and active parameter counts, with the counting convention the publisher
/// used and where the figures come from.
public struct PublishedParameters: Hashable, Sendable {
    /// Published total parameters (MTP excluded unless the source says otherwise).
    public var total: Double
    /// Published active parameters per token.
    public var active: Double
    /// The convention under which ``active`` compares with ``ParameterCount/active(_:)``.
    public var activeConvention: ActiveParameterConvention
    /// Where the figures come from.
    public var source: String
}

/// How a model is usually served: the storage formats its presets default to.
public struct ServingDefaults: Hashable, Sendable {
    /// Weight formats.
    public var weights: WeightPrecision
    /// KV-cache and indexer formats.
    public var kvStorage: KVStorage
    /// Where the defaults come from.
    public var source: String
}

/// Everything MoEKit needs to know about a model to cost it, loaded from a Hugging Face
/// `config.json` (``ModelSpec/init(configJSON:name:)``) or a preset (``ModelSpec/preset(named:)``).
///
/// Each size lives in one place and the parts are checked against each other when a spec is
/// built (``init(name:modelType:hiddenSize:layerCount:vocabularySize:tiesWordEmbeddings:mtpLayerCount:maxContext:hyperConnectionStreams:attention:feedForward:serving:published:)``):
/// the attention and FFN layer lists hold ``layerCount`` entries, both use ``hiddenSize``,
/// and the routed experts and top-k are the ``router``'s. The structural properties are
/// read-only outside MoEKit so that a spec stays consistent.
public struct ModelSpec: Hashable, Sendable {
    /// Preset name (`deepseek-v3`) or a name given when loading a config.
    public var name: String
    /// The config's `model_type` (for Kimi K2.5/K2.6: `kimi_k25`).
    public internal(set) var modelType: String
    /// Hidden size `h`.
    public internal(set) var hiddenSize: Int
    /// Transformer layers, MTP excluded.
    public internal(set) var layerCount: Int
    /// Vocabulary size.
    public internal(set) var vocabularySize: Int
    /// Whether the output head shares the embedding matrix.
    public internal(set) var tiesWordEmbeddings: Bool
    /// Multi-token-prediction layers (`num_nextn_predict_layers`), not part of the main model.
    public internal(set) var mtpLayerCount: Int
    /// Longest supported context (`max_position_embeddings`).
    public internal(set) var maxContext: Int
    /// Residual streams of DeepSeek-V4's manifold-constrained hyper-connections (`hc_mult`),
    /// 1 for a plain residual.
    public internal(set) var hyperConnectionStreams: Int
    /// The attention design and its dimensions, one entry per layer.
    public internal(set) var attention: AttentionArchitecture
    /// Dense and MoE FFN layers, one entry per layer; the MoE carries the router.
    public internal(set) var feedForward: FeedForwardSpec
    /// Default storage formats.
    public var serving: ServingDefaults
    /// Published parameter counts, where known (presets only).
    public var published: PublishedParameters?
    /// Published API prices, dated (presets only; empty when none is known).
    public var apiPrices: [APIPrice] = []

    /// Creates a model from its parts, checking that they agree; most callers load a preset or
    /// a `config.json` instead.
    ///
    /// - Throws: ``ModelSpecError/inconsistentSpec(model:_:)`` naming the first problem: a size
    ///   below 1 (hidden size, layers, vocabulary, context, hyper-connection streams, expert
    ///   widths), attention or FFN layer lists whose length is not `layerCount`, an attention
    ///   or FFN hidden size other than `hiddenSize`, MoE layers without experts, dense layers
    ///   without a width, a latent expert width outside `1...hiddenSize`, or a router that cannot run (top-k outside `1...E`, groups that do
    ///   not divide the experts, a correction bias the MoE does not count).
    public init(name: String, modelType: String, hiddenSize: Int, layerCount: Int, vocabularySize: Int,
                tiesWordEmbeddings: Bool, mtpLayerCount: Int, maxContext: Int,
                hyperConnectionStreams: Int = 1, attention: AttentionArchitecture,
                feedForward: FeedForwardSpec, serving: ServingDefaults,
                published: PublishedParameters? = nil) throws(ModelSpecError) {
        self.name = name
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.vocabularySize = vocabularySize
        self.tiesWordEmbeddings = tiesWordEmbeddings
        self.mtpLayerCount = mtpLayerCount
        self.maxContext = maxContext
        self.hyperConnectionStreams = hyperConnectionStreams
        self.attention = attention
        self.feedForward = feedForward
        self.serving = serving
        self.published = published
        try validate()
    }

    /// The attention cost model.
    public var attentionModel: any AttentionCostModel { attention.costModel }

    /// The router of the MoE layers, `nil` for a dense model. Its experts and top-k are the
    /// MoE's (``MixtureOfExperts/routedExperts``, ``MixtureOfExperts/activeExperts``).
    ///
    ///     let kimi = try ModelSpec.preset(named: "kimi-k2.6").router
    ///     // 384 experts, top-8, sigmoid + bias, renormalised, × 2.827
    public var router: RouterConfiguration? { feedForward.moe?.router }

    /// Checks the invariants listed at ``init(name:modelType:hiddenSize:layerCount:vocabularySize:tiesWordEmbeddings:mtpLayerCount:maxContext:hyperConnectionStreams:attention:feedForward:serving:published:)``.
    func validate() throws(ModelSpecError) {
        func fail(_ reason: String) -> ModelSpecError { .inconsistentSpec(model: name, reason) }
        for (what, value) in [("hidden size", hiddenSize), ("layer count", layerCount), ("vocabulary size", vocabularySize),
                              ("maximum context", maxContext), ("hyper-connection streams", hyperConnectionStreams)] where value < 1 {
            throw fail("\(what) must be at least 1, got \(value)")
        }
        guard mtpLayerCount >= 0 else { throw fail("MTP layer count must be at least 0, got \(mtpLayerCount)") }
        let attentionLayers = attentionModel.layerCount
        guard attentionLayers == layerCount else {
            throw fail("the attention has \(attentionLayers) layers but the model has \(layerCount)")
        }
        guard feedForward.layerKinds.count == layerCount else {
            throw fail("the FFN has \(feedForward.layerKinds.count) layers but the model has \(layerCount)")
        }
        guard attention.hiddenSize == hiddenSize else {
            throw fail("the attention's hidden size \(attention.hiddenSize) differs from the model's \(hiddenSize)")
        }
        guard feedForward.hiddenSize == hiddenSize else {
            throw fail("the FFN's hidden size \(feedForward.hiddenSize) differs from the model's \(hiddenSize)")
        }
        if feedForward.denseLayerCount > 0 && feedForward.denseIntermediateSize < 1 {
            throw fail("dense layers need an intermediate size of at least 1, got \(feedForward.denseIntermediateSize)")
        }
        guard let moe = feedForward.moe else {
            if feedForward.moeLayerCount > 0 { throw fail("\(feedForward.moeLayerCount) MoE layers but no experts") }
            return
        }
        guard moe.expertIntermediateSize >= 1 else {
            throw fail("the expert intermediate size must be at least 1, got \(moe.expertIntermediateSize)")
        }
        if let latent = moe.latentSize, !(1...hiddenSize).contains(latent) {
            throw fail("the routed experts' latent width must be in 1...\(hiddenSize) (the hidden size), got \(latent)")
        }
        guard moe.sharedExperts >= 0, moe.sharedExperts == 0 || moe.sharedIntermediateSize >= 1 else {
            throw fail("\(moe.sharedExperts) shared experts of width \(moe.sharedIntermediateSize)")
        }
        do { try moe.router.validate() } catch { throw fail("router: \(error)") }
        guard moe.routerBias || !moe.router.usesCorrectionBias else {
            throw fail("the router selects with a correction bias but the MoE counts no router bias")
        }
    }
}
