//===--- LinearHybridAttention.swift - Linear layers with full ones between ===//
//
// Qwen3-Next / Qwen3.5: three Gated DeltaNet layers, then one gated GQA layer (config.json
// `full_attention_interval` 4 or `layer_types`; transformers `Qwen3NextAttention`: `q_proj`
// outputs queries and an equal-width sigmoid gate, `attn_output_gate`). Kimi Linear / K3: three
// KDA layers, then one MLA layer (`linear_attn_config.kda_layers` / `full_attn_layers`), K3's MLA
// with a full-rank sigmoid output gate `g_proj` (h → n_h·d_v) before `o_proj`
// (`mla_use_output_gate`; vLLM's Kimi K3 model, `g_proj = ColumnParallelLinear(hidden_size,
// num_heads * v_head_dim)`).
//
//===----------------------------------------------------------------------===//

/// A hybrid of linear-attention layers (``AttentionLayerKind/linear``) and full-attention layers
/// (``AttentionLayerKind/full``) in a per-layer schedule.
///
/// Each cost dispatches on the layer kind: linear layers to ``linear`` (constant state,
/// constant decode cost), full layers to ``full`` (a cache growing with the context). An
/// output gate on the full layers adds one `h × n_h·d_v` projection (`d_v` = `d_h` for GQA):
/// parameters and weight FLOPs only, no attention FLOPs or cache.
///
/// At long context the full layers dominate: Qwen3-Next's 12 of 48 layers keep a GQA cache of
/// `2·2·256·2` = 2,048 B per token each, while each of its 36 linear layers holds 2,146,304 B
/// (FP32 state) whatever the context, 77 MB in all.
///
/// - Complexity: every cost is O(1) in the context length.
public struct LinearHybridAttention: AttentionCostModel, Hashable {
    /// The linear-attention design of the hybrid.
    public enum LinearLayers: Hashable, Sendable {
        /// Gated DeltaNet (Qwen3-Next, Qwen3.5).
        case gatedDeltaNet(GatedDeltaNet)
        /// Kimi Delta Attention (Kimi Linear, Kimi K3).
        case kimiDelta(KimiDeltaAttention)

        /// The cost model behind the protocol.
        public var costModel: any AttentionCostModel {
            switch self {
            case .gatedDeltaNet(let a): return a
            case .kimiDelta(let a): return a
            }
        }
    }

    /// The full-attention design of the hybrid.
    public enum FullLayers: Hashable, Sendable {
        /// Grouped-query attention (Qwen3-Next, Qwen3.5).
        case grouped(GroupedQueryAttention)
        /// Multi-head latent attention (Kimi Linear, Kimi K3).
        case latent(MultiHeadLatentAttention)

        /// The cost model behind the protocol.
        public var costModel: any AttentionCostModel {
            switch self {
            case .grouped(let a): return a
            case .latent(let a): return a
            }
        }

        /// Width of the attention output an output gate multiplies: `n_h·d_h` (GQA) or
        /// `n_h·d_v` (MLA).
        public var outputWidth: Int {
            switch self {
            case .grouped(let a): return a.queryHeads * a.headDim
            case .latent(let a): return a.heads * a.valueHeadDim
            }
        }
    }

    /// Hidden size `h`.
    public var hiddenSize: Int
    /// The linear layers' design.
    public var linear: LinearLayers
    /// The full layers' design.
    public var full: FullLayers
    /// Whether the full layers gate their output with a sigmoid of an `h × outputWidth`
    /// projection (Qwen3-Next's doubled query projection; K3's `mla_use_output_gate`).
    public var fullOutputGate: Bool
    /// The kind of each layer: ``AttentionLayerKind/linear`` or ``AttentionLayerKind/full``.
    public var layerKinds: [AttentionLayerKind]

    /// A hybrid with the given schedule. The layer counts of `linear` and `full` are set to the
    /// schedule's (costs use the schedule; the inner models' counts only describe it).
    public init(hiddenSize: Int, linear: LinearLayers, full: FullLayers, fullOutputGate: Bool,
                layerKinds: [AttentionLayerKind]) {
        self.hiddenSize = hiddenSize
        self.fullOutputGate = fullOutputGate
        self.layerKinds = layerKinds
        let linearLayers = layerKinds.count { $0 == .linear }, fullLayers = layerKinds.count - linearLayers
        switch linear {
        case .gatedDeltaNet(var a): a.layers = linearLayers; self.linear = .gatedDeltaNet(a)
        case .kimiDelta(var a): a.layers = linearLayers; self.linear = .kimiDelta(a)
        }
        switch full {
        case .grouped(var a): a.layerKinds = Array(repeating: .full, count: fullLayers); self.full = .grouped(a)
        case .latent(var a): a.layers = fullLayers; self.full = .latent(a)
        }
    }

    public var design: AttentionDesign {
        if case .gatedDeltaNet = linear { return .gatedDeltaNetHybrid }
        return .kimiDeltaHybrid
    }

    public var hasIndexer: Bool { false }

    /// Parameters of the output gate of one full layer: `h · outputWidth` (0 without a gate).
    public var outputGateParameters: Int { fullOutputGate ? hiddenSize * full.outputWidth : 0 }

    /// The linear design's parameters for linear layers; the full design's plus the output gate
    /// for the others.
    public func parameters(for kind: AttentionLayerKind) -> Int {
        kind == .linear ? linear.costModel.parameters(for: kind)
            : full.costModel.parameters(for: kind) + outputGateParameters
    }

    /// The linear design's state for linear layers; 0 for full layers.
    public func stateBytes(for kind: AttentionLayerKind, storage: KVStorage) -> Double {
        kind == .linear ? linear.costModel.stateBytes(for: kind, storage: storage) : 0
    }

    /// The linear design's constant state for linear layers; the full design's cache, growing
    /// with `context`, for the others.
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        model(kind).kvCacheBytes(for: kind, context: context, storage: storage)
    }

    /// Decode cost of a layer of `kind`: constant for linear layers (``GatedDeltaNet``,
    /// ``KimiDeltaAttention``), the full design's at `context` for the others.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        model(kind).decodeCost(for: kind, context: context, storage: storage)
    }

    /// Prefill cost of a layer of `kind`: linear in `tokens` for linear layers (chunked delta
    /// rule), the full design's for the others.
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        model(kind).prefillCost(for: kind, tokens: tokens, storage: storage)
    }

    @inline(__always)
    private func model(_ kind: AttentionLayerKind) -> any AttentionCostModel {
        kind == .linear ? linear.costModel : full.costModel
    }
}
