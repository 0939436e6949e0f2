//===--- StepModel.swift - Seconds per decode step and prefill forward ----===//
//
// Every term is a roofline with achieved fractions: time = max(FLOPs / (peak · η_compute),
// bytes / (bandwidth · η_memory)) + kernels · launch cost. Communication is
// latency + bytes / (link bandwidth · η_link). See ServingProjection.swift for the whole model.
//
//===----------------------------------------------------------------------===//

import Foundation

/// The closed-form step model behind ``ServingProjection``: per layer, per phase, for the
/// busiest device.
struct StepModel: Sendable {
    /// What one forward processes on one device.
    enum Phase: Sendable {
        /// `sequences` sequences per device, `queries` tokens each (1 + draft tokens).
        case decode(sequences: Double, queries: Double)
        /// `tokens` new (cache-miss) prompt tokens per device.
        case prefill(tokens: Double)

        var tokens: Double {
            switch self {
            case .decode(let s, let q): return s * q
            case .prefill(let t): return t
            }
        }
        func halved() -> Phase {
            switch self {
            case .decode(let s, let q): return .decode(sequences: s / 2, queries: q)
            case .prefill(let t): return .prefill(tokens: t / 2)
            }
        }
    }

    /// Compute and communication of one layer.
    struct LayerTime {
        var parts = StepBreakdown()
        var communication = 0.0
        var compute: Double { parts.attention + parts.routedExperts + parts.sharedAndDense + parts.other }
    }

    let model: ModelSpec
    let accelerator: Accelerator
    let deployment: Deployment
    let attention: any AttentionCostModel
    let layout: ExpertParallelLayout?
    /// Attention cost per layer kind: decode (per query token, at the deployment's context).
    let decodeAttention: [AttentionLayerKind: AttentionCost]
    /// Attention cost per layer kind, averaged per cache-miss prompt token.
    let prefillAttention: [AttentionLayerKind: AttentionCost]
    /// Devices that hold a copy of the same KV entries, over those that split them: `tp / shards`.
    let kvReplication: Double
    /// The same for linear-attention state, split by head: `tp / min(tp, heads)` (1 without one).
    let stateReplication: Double
    let denseRate: Double, expertRate: Double, attentionRate: Double, memoryRate: Double
    let denseBytes: Double, expertBytes: Double
    let dispatchBytesPerElement: Double
    /// Each main layer's attention kind, FFN kind and the index of its (kind, FFN) pair among
    /// the distinct pairs, worked out once: a step evaluates each distinct layer once.
    let layerPlan: [(kind: AttentionLayerKind, ffn: FeedForwardSpec.LayerKind, pair: Int)]
    /// Distinct (attention kind, FFN kind) pairs.
    let distinctLayers: Int
    /// Tokens a decoding sequence feeds each step: 1 + draft tokens.
    let queriesPerSequence: Double

    init(model: ModelSpec, accelerator: Accelerator, deployment d: Deployment) throws(ServingError) {
        self.model = model
        self.accelerator = accelerator
        self.deployment = d
        attention = model.attentionModel
        let kinds = attention.layerKindCounts.map(\.kind)
        var decode: [AttentionLayerKind: AttentionCost] = [:], prefill: [AttentionLayerKind: AttentionCost] = [:]
        let n = d.context
        let hit = Int((Double(n) * d.cacheHitRate).rounded(.down))
        let missTokens = Double(n - hit)
        for kind in Self.kindsWithMTP(kinds, model: model) where decode[kind] == nil {
            decode[kind] = attention.decodeCost(for: kind, context: n, storage: d.kvStorage)
            let whole = attention.prefillCost(for: kind, tokens: n, storage: d.kvStorage)
            let cached = hit > 0 ? attention.prefillCost(for: kind, tokens: hit, storage: d.kvStorage) : .zero
            var miss = whole
            miss.flops -= cached.flops; miss.indexerFlops -= cached.indexerFlops
            miss.bytesWritten -= cached.bytesWritten
            prefill[kind] = miss.scaled(by: 1 / missTokens)
        }
        decodeAttention = decode
        prefillAttention = prefill
        var pairs: [String: Int] = [:]
        layerPlan = zip(attention.layerKinds, model.feedForward.layerKinds).map { kind, ffn in
            let key = "\(kind)/\(ffn.rawValue)"
            let pair = pairs[key] ?? pairs.count
            pairs[key] = pair
            return (kind, ffn, pair)
        }
        distinctLayers = pairs.count
        queriesPerSequence = 1 + Double(d.speculation?.draftTokens ?? 0)
        let tp = Double(d.tensorParallel)
        kvReplication = tp / Double(Swift.min(d.tensorParallel, Self.kvShards(attention)))
        stateReplication = tp / Double(Swift.min(d.tensorParallel, Swift.max(1, Self.stateShards(attention))))

        let a = accelerator, eta = a.efficiency
        let denseFormat = a.computeFormat(for: d.weights.dense), expertFormat = a.computeFormat(for: d.weights.experts)
        denseRate = a.peak(denseFormat) * eta.compute(denseFormat)
        expertRate = a.peak(expertFormat) * eta.compute(expertFormat)
        attentionRate = a.peak(Self.attentionFormat(d.kvStorage, accelerator: a)) * eta.attention
        memoryRate = a.hbmBandwidth * eta.memory
        denseBytes = d.weights.dense.bytesPerParameter
        expertBytes = d.weights.experts.bytesPerParameter
        // DeepEP dispatches in FP8 (one fp32 scale per 128 elements) when the experts compute in
        // 8 bits or fewer, else in BF16; combine is always BF16.
        dispatchBytesPerElement = expertFormat == .bf16 ? 2 : 1 + 4.0 / 128

        if let moe = model.feedForward.moe {
            let p = ExpertParallelLayout.probabilities(d.expertLoad, experts: moe.routedExperts, topK: moe.activeExperts)
            layout = ExpertParallelLayout(probabilities: p, topK: moe.activeExperts, ranks: d.expertParallel,
                                          redundant: d.redundantExperts)
        } else {
            layout = nil
        }
        let domain = a.scaleUp.domainSize
        // Without a scale-out link a replica cannot span more devices than one scale-up domain.
        let leavesDomain = d.devices > domain
        if leavesDomain && a.scaleOut.bandwidth <= 0 {
            throw .noScaleOut(accelerator: a.name, devices: d.devices, domain: domain)
        }
    }

    /// The format the attention core multiplies in: FP8 when the KV cache is FP8 and the device
    /// has FP8 (FlashMLA's and FlashAttention-3's FP8 paths, as SGLang serves DeepSeek on H20),
    /// else BF16.
    static func attentionFormat(_ storage: KVStorage, accelerator: Accelerator) -> ComputeFormat {
        storage.kv == .fp8 && accelerator.peakFlops[.fp8] != nil ? .fp8 : .bf16
    }

    /// Attention kinds of the main layers plus the one the MTP layer uses.
    static func kindsWithMTP(_ kinds: [AttentionLayerKind], model: ModelSpec) -> [AttentionLayerKind] {
        kinds + [mtpAttentionKind(model)]
    }

    /// The attention of an MTP / draft layer: V4 marks it window-only; others repeat the last layer.
    static func mtpAttentionKind(_ model: ModelSpec) -> AttentionLayerKind {
        if case .compressedHybrid(let v4) = model.attention { return .slidingWindow(v4.window) }
        return model.attentionModel.layerKinds.last ?? .full
    }

    /// Ways the KV cache can be split across tensor-parallel ranks: the KV heads of GQA (and of
    /// a GDN + GQA hybrid's full layers); one for MLA, DSA, V4 and the MLA layers of KDA + MLA, whose single latent or shared head every rank must read whole.
    static func kvShards(_ attention: any AttentionCostModel) -> Int {
        if let hybrid = attention as? LinearHybridAttention, case .grouped(let gqa) = hybrid.full { return gqa.kvHeads }
        return (attention as? GroupedQueryAttention)?.kvHeads ?? 1
    }

    /// Ways a linear layer's state can be split across tensor-parallel ranks: its (value) heads,
    /// as vLLM and sglang shard Gated DeltaNet and KDA heads.
    static func stateShards(_ attention: any AttentionCostModel) -> Int {
        guard let hybrid = attention as? LinearHybridAttention else { return 1 }
        switch hybrid.linear {
        case .gatedDeltaNet(let g): return g.valueHeads
        case .kimiDelta(let k): return k.heads
        }
    }

    /// Replication of the cache of a layer of `kind` (``stateReplication`` for linear layers).
    @inline(__always)
    func replication(_ kind: AttentionLayerKind) -> Double {
        kind == .linear ? stateReplication : kvReplication
    }

    // MARK: - Terms

    /// A roofline term: compute-bound or memory-bound, plus kernel launches.
    func roofline(flops: Double, rate: Double, bytes: Double, kernels: Double) -> Double {
        Swift.max(flops / rate, bytes / memoryRate) + kernels * accelerator.efficiency.kernelOverhead
    }

    /// A weight GEMM of `parameters` weights over `tokens` tokens per device (TP-split weights).
    func gemm(parameters: Double, tokens: Double, dense: Bool = true, kernels: Double) -> Double {
        guard parameters > 0 else { return 0 }
        let bytes = parameters * (dense ? denseBytes : expertBytes) / Double(deployment.tensorParallel)
        return roofline(flops: 2 * parameters * tokens, rate: dense ? denseRate : expertRate, bytes: bytes, kernels: kernels)
    }

    /// One layer of attention kind `kind` and FFN kind `ffn` for `phase`.
    func layer(_ kind: AttentionLayerKind, _ ffn: FeedForwardSpec.LayerKind, _ phase: Phase) -> LayerTime {
        let h = Double(model.hiddenSize), t = phase.tokens
        var out = LayerTime()
        // Attention core.
        let flops: Double, bytes: Double
        switch phase {
        case .decode(let s, let q):
            let c = decodeAttention[kind] ?? .zero
            flops = s * q * c.totalFlops
            bytes = s * replication(kind) * c.totalBytesRead
        case .prefill(let tokens):
            let c = prefillAttention[kind] ?? .zero
            flops = tokens * c.totalFlops
            bytes = tokens * replication(kind) * c.totalBytesRead
        }
        let coreKernels = attention.hasIndexer ? 2.0 : 1.0
        out.parts.attention = roofline(flops: flops, rate: attentionRate, bytes: bytes, kernels: coreKernels)
        let projection = Double(attention.parameters(for: kind) + model.hyperConnectionParametersPerLayer)
        out.parts.attention += gemm(parameters: projection, tokens: t, kernels: 4)
        // FFN.
        let ffnSpec = model.feedForward
        switch ffn {
        case .dense:
            out.parts.sharedAndDense = gemm(parameters: Double(ffnSpec.denseLayerParameters), tokens: t, kernels: 3)
        case .moe:
            guard let moe = ffnSpec.moe, let layout else { break }
            let hidden = model.hiddenSize
            out.parts.sharedAndDense = gemm(parameters: Double(moe.sharedParameters(hiddenSize: hidden) + moe.routerParameters(hiddenSize: hidden)),
                                            tokens: t, kernels: moe.sharedExperts > 0 ? 4 : 1)
            let expert = Double(moe.expertParameters(hiddenSize: hidden))
            let groupTokens = t * Double(deployment.expertParallel)
            let busiest = layout.slowestRank(tokens: groupTokens) { slots, distinct in
                roofline(flops: 2 * expert * slots, rate: expertRate, bytes: distinct * expert * expertBytes, kernels: 3)
            }
            out.parts.routedExperts = busiest.time
            // Traffic is set by the rank that receives the most tokens, which under a skewed load
            // need not be the slowest one (a memory-bound rank of many cold experts).
            let imbalance = Swift.max(1, layout.busiestSlots(tokens: groupTokens) / Swift.max(layout.meanSlots(tokens: groupTokens), 1e-300))
            // A latent MoE dispatches and combines latent-width activations.
            out.communication = expertParallelTime(tokens: t * imbalance, hidden: Double(moe.expertWidth(hiddenSize: hidden)),
                                                   phase: phase, layout: layout)
        }
        out.communication += tensorParallelTime(tokens: t, hidden: h)
        return out
    }

    /// EP dispatch then combine for `tokens` tokens leaving (or, on the busiest rank, arriving at)
    /// one device. Decode uses DeepEP's low-latency kernels (each token sent straight to each
    /// of its experts, one copy per expert); prefill its normal kernels (once per remote rank,
    /// and across the scale-out network once per remote scale-up domain, then forwarded).
    func expertParallelTime(tokens: Double, hidden h: Double, phase: Phase, layout: ExpertParallelLayout) -> Double {
        guard layout.ranks > 1 else { return 0 }
        let up = accelerator.scaleUp, out = accelerator.scaleOut, eta = accelerator.efficiency
        let domain = Swift.min(up.domainSize, layout.ranks)
        var upCopies: Double, outCopies: Double
        switch phase {
        case .decode:
            (upCopies, outCopies) = layout.remoteExpertCopies(domain: domain)
        case .prefill:
            upCopies = layout.remoteRanksPerToken
            outCopies = layout.remoteDomains(domain: domain)
        }
        let latency = outCopies > 0 ? out.latency : up.latency
        func call(_ bytesPerElement: Double) -> Double {
            let perCopy = tokens * h * bytesPerElement
            let upTime = upCopies * perCopy / (up.bandwidth * eta.scaleUp)
            let outTime = outCopies > 0 ? outCopies * perCopy / (out.bandwidth * eta.scaleOut) : 0
            return latency + Swift.max(upTime, outTime)
        }
        return call(dispatchBytesPerElement) + call(2)
    }

    /// Two ring all-reduces per layer of the TP group's BF16 activations (after attention and
    /// after the FFN): `2 (tp − 1)/tp` of the data per device each.
    func tensorParallelTime(tokens: Double, hidden h: Double) -> Double {
        let tp = Double(deployment.tensorParallel)
        guard tp > 1 else { return 0 }
        let link = deployment.tensorParallel > accelerator.scaleUp.domainSize ? accelerator.scaleOut : accelerator.scaleUp
        let eta = deployment.tensorParallel > accelerator.scaleUp.domainSize ? accelerator.efficiency.scaleOut : accelerator.efficiency.scaleUp
        let bytes = 2 * (tp - 1) / tp * tokens * tp * h * 2
        return 2 * (link.latency + bytes / (link.bandwidth * eta))
    }

    // MARK: - Whole step

    /// Output head for `tokens` tokens (logits and sampling).
    func head(tokens: Double) -> Double {
        gemm(parameters: Double(model.vocabularySize) * Double(model.hiddenSize), tokens: tokens, kernels: 2)
    }

    /// Embedding lookup of `tokens` tokens: one row read each.
    func embedding(tokens: Double) -> Double {
        roofline(flops: 0, rate: 1, bytes: tokens * Double(model.hiddenSize) * denseBytes, kernels: 1)
    }

    /// Every main layer for `phase`: with overlap, two micro-batches of half the tokens, each
    /// layer taking `max(compute, communication)` of one micro-batch per micro-batch.
    func layers(_ phase: Phase, overlap: Bool) -> StepBreakdown {
        var cache = [LayerTime?](repeating: nil, count: distinctLayers)
        var total = StepBreakdown()
        let p = overlap ? phase.halved() : phase
        for layer in layerPlan {
            let time: LayerTime
            if let cached = cache[layer.pair] { time = cached } else {
                time = self.layer(layer.kind, layer.ffn, p)
                cache[layer.pair] = time
            }
            var parts = time.parts
            if overlap {
                parts = parts.scaled(by: 2)
                parts.communication = 2 * Swift.max(0, time.communication - time.compute)
            } else {
                parts.communication = time.communication
            }
            total = total + parts
        }
        return total
    }

    /// The decode phase of `sequences` sequences per device, each feeding 1 + draft tokens.
    func decode(sequences: Double) -> Phase { .decode(sequences: sequences, queries: queriesPerSequence) }

    /// One decode step of `sequences` sequences per device: main layers, head, and the draft
    /// module run once per draft token (one MoE layer and the head, on one token per sequence).
    func decodeStep(sequences b: Double, overlap: Bool) -> StepBreakdown {
        let q = queriesPerSequence, drafts = q - 1
        var step = layers(decode(sequences: b), overlap: overlap)
        step.other += head(tokens: b * q) + embedding(tokens: b * q)
        if drafts > 0 {
            let ffn: FeedForwardSpec.LayerKind = model.feedForward.moe == nil ? .dense : .moe
            let mtp = layer(Self.mtpAttentionKind(model), ffn, .decode(sequences: b, queries: 1))
            let draft = mtp.compute + mtp.communication + head(tokens: b) + embedding(tokens: b)
            step.other += drafts * draft
        }
        return step
    }

    /// One prefill forward of `tokens` cache-miss tokens per device (every token is embedded;
    /// the head runs on the last token of each prompt only).
    func prefillForward(tokens c: Double, overlap: Bool) -> StepBreakdown {
        var step = layers(.prefill(tokens: c), overlap: overlap)
        let missPerPrompt = Double(deployment.context) * (1 - deployment.cacheHitRate)
        step.other += head(tokens: Swift.max(1, c / Swift.max(missPerPrompt, 1))) + embedding(tokens: c)
        return step
    }
}
