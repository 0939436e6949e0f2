//===--- MemoryFootprint.swift - What one device must hold ----------------===//

/// The memory one device needs, by what it holds, against what it has.
///
/// Non-expert weights (attention, dense FFN, shared experts, routers, embedding, head) are
/// replicated in every DP-attention group and split `tp` ways inside it; routed experts are
/// divided over the EP ranks, `ceil((E + redundant) / ep)` per rank and layer. Bytes are
/// decimal (1 GB = 10⁹ B).
public struct MemoryFootprint: Hashable, Sendable {
    /// Non-expert weights, bytes.
    public var weights: Double
    /// Routed-expert weights, bytes.
    public var expertWeights: Double
    /// MTP / draft module weights, bytes (0 without speculation).
    public var draftWeights: Double
    /// KV cache (and indexer keys, and linear layers' recurrent state) of the device's
    /// sequences, bytes.
    public var kvCache: Double
    /// Activations of one forward (a working-set model: `2 B × (8h + 2·max FFN width)` per token).
    public var activations: Double
    /// EP dispatch/combine receive buffers, double-buffered, bytes.
    public var communicationBuffers: Double
    /// What a serving engine may fill: HBM capacity × usable fraction, bytes.
    public var available: Double

    /// Everything the device must hold, bytes.
    public var total: Double { weights + expertWeights + draftWeights + kvCache + activations + communicationBuffers }
    /// Whether it fits.
    public var fits: Bool { total <= available }
    /// Bytes over what is available (0 when it fits).
    public var overflow: Double { Swift.max(0, total - available) }

    /// `(name, bytes)` in a fixed order (the JSON keys).
    public var components: [(name: String, bytes: Double)] {
        [("weights", weights), ("expert_weights", expertWeights), ("draft_weights", draftWeights),
         ("kv_cache", kvCache), ("activations", activations), ("communication_buffers", communicationBuffers)]
    }

    /// The largest component: what to shrink first when it does not fit.
    public var largest: (name: String, bytes: Double) {
        components.max { $0.bytes < $1.bytes } ?? ("weights", weights)
    }
}

extension StepModel {
    /// Memory of one device with `sequences` decoding sequences (decode) or one prefill
    /// forward's prompts (prefill).
    func memory(_ phase: Phase) -> MemoryFootprint {
        let d = deployment, p = model.parameterCount, h = Double(model.hiddenSize)
        let tp = Double(d.tensorParallel)
        let nonExpert = Double(p.total.total - p.total.routedExperts) * denseBytes / tp
        var experts = 0.0, widest = Double(model.feedForward.denseLayerCount > 0 ? model.feedForward.denseIntermediateSize : 0)
        var commPerToken = 0.0
        if let moe = model.feedForward.moe, let layout {
            experts = Double(model.feedForward.moeLayerCount * layout.slotsPerRank * moe.expertParameters(hiddenSize: model.hiddenSize)) * expertBytes
            widest = Swift.max(widest, Double(moe.activeExperts * moe.expertIntermediateSize + moe.sharedExperts * moe.sharedIntermediateSize))
            if layout.ranks > 1 {
                // The busiest rank receives about k token copies per local token (more with imbalance):
                // dispatch + combine buffers, two micro-batches (latent-width for a latent MoE).
                commPerToken = 2 * Double(moe.activeExperts) * Double(moe.expertWidth(hiddenSize: model.hiddenSize))
                    * (dispatchBytesPerElement + 2)
            }
        }
        let mainBytes = nonExpert + experts
        let mainParameters = Double(p.total.total)
        var draft = 0.0
        if d.speculation != nil {
            // MTP layers split like the main model; a model without them gets a one-layer draft.
            let draftParameters = p.mtp > 0 ? Double(p.mtp) : mainParameters / Double(Swift.max(1, model.layerCount))
            draft = draftParameters * mainBytes / Swift.max(mainParameters, 1)
        }
        let tokens = phase.tokens
        let kv: Double
        // The growing cache and the linear layers' constant state, each with its TP replication.
        let state = attention.totalStateBytes(storage: d.kvStorage)
        let perSequence = kvReplication * (attention.totalKVCacheBytes(context: d.context, storage: d.kvStorage) - state)
            + stateReplication * state
        switch phase {
        case .decode(let s, _):
            kv = s * perSequence
        case .prefill(let c):
            // The prompts of one forward: c / (1 − hit) prompt tokens, at least one whole prompt.
            let promptTokens = Swift.max(Double(d.context), c / (1 - d.cacheHitRate))
            kv = promptTokens / Double(d.context) * perSequence
        }
        let activations = tokens * 2 * (8 * h + 2 * widest)
        return MemoryFootprint(weights: nonExpert, expertWeights: experts, draftWeights: draft, kvCache: kv,
                               activations: activations, communicationBuffers: tokens * commPerToken,
                               available: accelerator.hbmCapacity * accelerator.efficiency.usableMemory)
    }
}
