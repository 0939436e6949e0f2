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
public struct ModelSpec: Hashable, Sendable {
    /// Preset name (`deepseek-v3`) or a name given when loading a config.
    public var name: String
    /// The config's `model_type` (for Kimi K2.5/K2.6: `kimi_k25`).
    public var modelType: String
    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Transformer layers, MTP excluded.
    public var layerCount: Int
    /// Vocabulary size.
    public var vocabularySize: Int
    /// Whether the output head shares the embedding matrix.
    public var tiesWordEmbeddings: Bool
    /// Multi-token-prediction layers (`num_nextn_predict_layers`), not part of the main model.
    public var mtpLayerCount: Int
    /// Longest supported context (`max_position_embeddings`).
    public var maxContext: Int
    /// Residual streams of DeepSeek-V4's manifold-constrained hyper-connections (`hc_mult`),
    /// 1 for a plain residual.
    public var hyperConnectionStreams: Int
    /// The attention design and its dimensions.
    public var attention: AttentionArchitecture
    /// Dense and MoE FFN layers.
    public var feedForward: FeedForwardSpec
    /// Default storage formats.
    public var serving: ServingDefaults
    /// Published parameter counts, where known (presets only).
    public var published: PublishedParameters?
    /// Published API prices, dated (presets only; empty when none is known).
    public var apiPrices: [APIPrice] = []

    /// Creates a model from its parts; most callers load a preset or a `config.json` instead.
    public init(name: String, modelType: String, hiddenSize: Int, layerCount: Int, vocabularySize: Int,
                tiesWordEmbeddings: Bool, mtpLayerCount: Int, maxContext: Int,
                hyperConnectionStreams: Int = 1, attention: AttentionArchitecture,
                feedForward: FeedForwardSpec, serving: ServingDefaults, published: PublishedParameters? = nil) {
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
    }

    /// The attention cost model.
    public var attentionModel: any AttentionCostModel { attention.costModel }
}
