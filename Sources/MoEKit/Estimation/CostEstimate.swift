//===--- CostEstimate.swift - Results of decode and prefill estimates -----===//

/// The cost of one decode step: `batchSize` sequences, each at `context` tokens, each producing
/// one token.
///
/// Per-token fields are per sequence; weight bytes are read once per step and shared by the
/// batch.
public struct DecodeEstimate: Hashable, Sendable {
    /// Context n of every sequence (the new token included).
    public var context: Int
    /// Sequences decoded together, B.
    public var batchSize: Int
    /// Attention core and indexer cost per token, all layers.
    public var attention: AttentionCost
    /// Weight FLOPs per token (`2 ×` active parameters, by component; the embedding lookup has none).
    public var weightFlops: ComponentCost
    /// Weight bytes read by the whole step (expert weights: distinct experts the batch touches).
    public var weightBytesPerStep: ComponentCost
    /// KV-cache bytes one sequence holds at `context`, constant state included.
    public var kvCacheBytesPerSequence: Double
    /// Of ``kvCacheBytesPerSequence``, the constant per-sequence state of linear-attention
    /// layers (0 for designs without one).
    public var stateBytesPerSequence: Double = 0
    /// Expected distinct routed experts the step touches per MoE layer (0 for dense models).
    public var distinctExpertsPerLayer: Double

    /// Attention FLOPs per token (core + indexer).
    public var attentionFlops: Double { attention.totalFlops }
    /// All FLOPs per token: attention + weights.
    public var totalFlops: Double { attention.totalFlops + weightFlops.total }
    /// KV and indexer bytes read per token.
    public var kvBytesRead: Double { attention.totalBytesRead }
    /// Weight bytes per token: the step's weight bytes divided by the batch.
    public var weightBytesPerToken: Double { weightBytesPerStep.total / Double(batchSize) }
    /// All bytes read per token: weights (shared by the batch) + this sequence's KV.
    public var bytesReadPerToken: Double { weightBytesPerToken + kvBytesRead }
}

/// The cost of prefilling one `tokens`-long prompt (causal).
public struct PrefillEstimate: Hashable, Sendable {
    /// Prompt length n.
    public var tokens: Int
    /// Attention cost summed over the prompt, all layers.
    public var attention: AttentionCost
    /// Weight FLOPs for the whole prompt (`2 ×` active parameters × n, by component).
    public var weightFlops: ComponentCost
    /// Weight bytes read once for the whole prompt (routed experts: the distinct experts n tokens
    /// touch).
    public var weightBytes: ComponentCost
    /// KV-cache bytes the prompt leaves, constant state included.
    public var kvCacheBytes: Double
    /// Of ``kvCacheBytes``, the constant state of linear-attention layers.
    public var stateBytes: Double = 0

    /// Attention FLOPs (core + indexer).
    public var attentionFlops: Double { attention.totalFlops }
    /// All FLOPs for the prompt.
    public var totalFlops: Double { attention.totalFlops + weightFlops.total }
    /// FLOPs per prompt token.
    public var flopsPerToken: Double { totalFlops / Double(tokens) }
}

/// The cost of one layer in one decode step or prefill.
public struct LayerCost: Hashable, Sendable {
    /// Layer index (0-based).
    public var index: Int
    /// What the layer's attention attends to.
    public var attentionKind: AttentionLayerKind
    /// Dense or MoE FFN.
    public var ffnKind: FeedForwardSpec.LayerKind
    /// Attention core and indexer cost (per token for decode, whole prompt for prefill).
    public var attention: AttentionCost
    /// Weight FLOPs of this layer by component (attention, dense FFN or routed + shared experts,
    /// router, hyper-connections).
    public var weightFlops: ComponentCost
    /// Weight bytes this layer reads (per decode step for the batch, or once per prefill).
    public var weightBytes: ComponentCost
    /// KV-cache bytes this layer holds per sequence.
    public var kvCacheBytes: Double

    /// Attention + weight FLOPs of the layer.
    public var totalFlops: Double { attention.totalFlops + weightFlops.total }
}
