//===--- FeedForwardSpec.swift - Dense and MoE FFN layers of a model ------===//
//
// Dense layers: `first_k_dense_replace` (DeepSeek, Kimi), `mlp_only_layers` and
// `decoder_sparse_step` (Qwen3-MoE), as the Hugging Face configs and transformers modeling files
// (`deepseek_v3`, `qwen3_moe`) define them.
//
//===----------------------------------------------------------------------===//

/// The feed-forward blocks of a model: which layers are dense, which are MoE, and their sizes.
public struct FeedForwardSpec: Hashable, Sendable {
    /// What the FFN of one layer is.
    public enum LayerKind: String, Hashable, Sendable {
        /// A dense SwiGLU block of width `denseIntermediateSize`.
        case dense
        /// An MoE block (router, routed and shared experts).
        case moe
    }

    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Width of dense layers (`intermediate_size`); unused when every layer is MoE.
    public var denseIntermediateSize: Int
    /// The experts of MoE layers, or `nil` for a dense model.
    public var moe: MixtureOfExperts?
    /// The FFN kind of each layer (MTP excluded).
    public var layerKinds: [LayerKind]

    /// A feed-forward layout with one ``LayerKind`` per layer.
    public init(hiddenSize: Int, denseIntermediateSize: Int, moe: MixtureOfExperts?, layerKinds: [LayerKind]) {
        self.hiddenSize = hiddenSize
        self.denseIntermediateSize = denseIntermediateSize
        self.moe = moe
        self.layerKinds = layerKinds
    }

    /// Number of dense layers.
    public var denseLayerCount: Int { layerKinds.count { $0 == .dense } }
    /// Number of MoE layers.
    public var moeLayerCount: Int { layerKinds.count { $0 == .moe } }

    /// Parameters of one dense FFN block: `3·h·d_ff`.
    public var denseLayerParameters: Int { 3 * hiddenSize * denseIntermediateSize }
}
