//===--- MoELayerShape.swift - Sizes of one MoE layer and its memory ------===//

/// The sizes of one MoE layer: hidden size, routed experts and their width, shared experts.
///
/// Every expert is a SwiGLU block (``SwiGLUExperts``); the shared experts run as one block of
/// width `sharedExperts · sharedIntermediateSize`.
public struct MoELayerShape: Hashable, Sendable {
    /// Hidden size `d`.
    public var hiddenSize: Int
    /// Routed experts `E`.
    public var experts: Int
    /// Experts per token `k`.
    public var topK: Int
    /// Routed expert width `I` (`moe_intermediate_size`).
    public var intermediateSize: Int
    /// Shared experts `s` (0 for none).
    public var sharedExperts: Int
    /// Width of one shared expert.
    public var sharedIntermediateSize: Int

    /// A layer shape; the shared-expert width defaults to the routed width.
    public init(hiddenSize: Int, experts: Int, topK: Int, intermediateSize: Int,
                sharedExperts: Int = 0, sharedIntermediateSize: Int? = nil) {
        self.hiddenSize = hiddenSize
        self.experts = experts
        self.topK = topK
        self.intermediateSize = intermediateSize
        self.sharedExperts = sharedExperts
        self.sharedIntermediateSize = sharedIntermediateSize ?? intermediateSize
    }

    /// The MoE layer of a model (its `hidden_size`, `n_routed_experts`, `num_experts_per_tok`,
    /// `moe_intermediate_size`, `n_shared_experts`).
    ///
    /// - Throws: ``MoELayerError/inconsistent(_:)`` for a dense model, and for a latent MoE
    ///   (``MixtureOfExperts/latentSize``, Kimi K3), whose routed experts run in a narrower
    ///   width between a down- and an up-projection that ``MoELayer`` does not model: a layer of
    ///   hidden-width experts would cost about `h/ℓ` times the real experts.
    public init(model: ModelSpec) throws(MoELayerError) {
        guard let moe = model.feedForward.moe else { throw .inconsistent("\(model.name) has no MoE layers") }
        if let latent = moe.latentSize {
            throw .inconsistent("\(model.name)'s routed experts run in a \(latent)-wide latent between down- and up-projections "
                                + "(latent MoE), which the MoE layer does not model; give the shape (experts, top-k, hidden size, "
                                + "expert width) explicitly")
        }
        self.init(hiddenSize: model.hiddenSize, experts: moe.routedExperts, topK: moe.activeExperts,
                  intermediateSize: moe.expertIntermediateSize, sharedExperts: moe.sharedExperts,
                  sharedIntermediateSize: moe.sharedIntermediateSize)
    }

    /// The largest hidden size or expert width, 2^30: GEMM dimensions (`2I` included) must fit
    /// OpenBLAS's 32-bit integers.
    public static let maximumWidth = 1 << 30

    /// Width of the combined shared-expert block, `s · I_shared`.
    public var sharedWidth: Int { sharedExperts * sharedIntermediateSize }

    /// Checks that every size is at least 1 (shared experts at least 0), `k ≤ E`, `E` at most
    /// ``RouterConfiguration/maximumExperts`` and every width at most ``maximumWidth``.
    public func validate() throws(MoELayerError) {
        for (name, value) in [("hidden size", hiddenSize), ("number of experts", experts), ("top-k", topK),
                              ("expert intermediate size", intermediateSize)] where value < 1 {
            throw .invalidSize(name, value)
        }
        guard topK <= experts else { throw .inconsistent("top-k \(topK) is larger than the \(experts) experts") }
        guard sharedExperts >= 0 else { throw .inconsistent("number of shared experts must be at least 0, got \(sharedExperts)") }
        if sharedExperts > 0, sharedIntermediateSize < 1 { throw .invalidSize("shared expert intermediate size", sharedIntermediateSize) }
        guard experts <= RouterConfiguration.maximumExperts else {
            throw .tooLarge("number of experts must be at most \(RouterConfiguration.maximumExperts), got \(experts)")
        }
        let shared = Double(sharedExperts) * Double(max(0, sharedIntermediateSize))
        for (name, value) in [("hidden size", Double(hiddenSize)), ("expert intermediate size", Double(intermediateSize)),
                              ("shared expert width (shared experts × their intermediate size)", shared)]
        where value > Double(Self.maximumWidth) {
            throw .tooLarge("\(name) must be at most \(Self.maximumWidth), got \(Int(exactly: value).map(String.init) ?? "\(value)")")
        }
    }

    /// The bytes a layer of this shape holds, and its buffers for batches of up to `tokens`
    /// tokens, all float32.
    public struct Memory: Hashable, Sendable {
        /// Routed expert weights, `3·E·d·I·4`.
        public var routedWeights: Double
        /// Shared expert weights, `3·d·s·I_shared·4`.
        public var sharedWeights: Double
        /// Router gate `[E, d]` and its transposed copy, `2·E·d·4`.
        public var routerWeights: Double
        /// Activations and routing buffers for the largest batch.
        public var buffers: Double
        /// Everything, in bytes.
        public var total: Double { routedWeights + sharedWeights + routerWeights + buffers }
    }

    /// The memory of a layer, its ``MoELayer/Workspace`` for `tokens` tokens and the caller's
    /// input and output `[T, d]`.
    ///
    /// Buffers: per token the input and output `2·d`, logits `E`, indices, weights and slot
    /// positions `3k`, and with shared experts their activations `3·s·I_shared` and output `d`;
    /// per dispatched row (`T·k` plus up to `E·(block − 1)` padding) the gathered input and
    /// expert output `2·d`, gate/up output `2I`, activation `I` and the permutation entry; all
    /// 4 bytes each.
    public func memory(tokens: Int, options: DispatchOptions = DispatchOptions()) -> Memory {
        let (d, e, k, i) = (Double(hiddenSize), Double(experts), Double(topK), Double(intermediateSize))
        let t = Double(tokens), s = Double(sharedExperts) * Double(sharedIntermediateSize)
        let rows = t * k + e * Double(max(0, options.blockSize - 1))
        let shared = s > 0 ? 3 * s + d : 0
        let buffers = t * (2 * d + e + 3 * k + shared) + rows * (2 * d + 3 * i + 1)
        return Memory(routedWeights: 12 * e * d * i, sharedWeights: 12 * d * s, routerWeights: 8 * e * d,
                      buffers: 4 * buffers)
    }
}
