//===--- ServingProjection+Assumptions.swift - Every default, stated ------===//

/// One assumption a projection rests on: a key, its value, and why.
public struct ServingAssumption: Hashable, Sendable {
    /// A stable snake_case key (`efficiency.memory`, `attention_layout`).
    public var key: String
    /// The value used, as text.
    public var value: String
    /// Where it comes from or what it means.
    public var note: String
}

extension ServingProjection {
    /// Every modelling choice and default behind this projection, in a fixed order: the layout,
    /// the formats each GEMM runs in, the expert load, the efficiency factors with their sources,
    /// the communication model, the cache tier and the price.
    public var assumptions: [ServingAssumption] {
        let a = accelerator, d = deployment, eta = a.efficiency
        func source(_ key: String) -> String {
            a.sources[key].map { "\($0.source) (\($0.date))" } ?? "accelerator '\(a.name)'"
        }
        func number(_ x: Double) -> String {
            x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
        }
        var list: [ServingAssumption] = []
        func add(_ key: String, _ value: String, _ note: String) { list.append(ServingAssumption(key: key, value: value, note: note)) }
        add("attention_layout", "data-parallel over \(d.attentionGroups) groups of tp \(d.tensorParallel)",
            "each group holds its own sequences and their whole KV cache (DeepSeek / SGLang DP attention); heads split tp ways; MLA-style KV is read whole by every TP rank")
        add("expert_layout", "EP \(d.expertParallel), \(d.redundantExperts) redundant, \(steps.layout?.slotsPerRank ?? 0) slots per rank",
            "redundant replicas on the experts with the highest load per replica, packed heaviest first onto the least-loaded rank (EPLB)")
        let load: String
        switch d.expertLoad {
        case .uniform: load = "uniform"
        case .zipf(let s): load = "zipf skew \(s)"
        case .measured: load = "measured counts"
        }
        add("expert_load", load, "the busiest rank sets the pace: its routed tokens plus √(2 ln ep · tokens) for the maximum over ranks; its weight bytes are the distinct replicas it touches, Σ 1 − (1 − p)^T")
        add("compute_format.dense", a.computeFormat(for: d.weights.dense).rawValue, "non-expert GEMMs: weights \(d.weights.dense) on \(a.name)")
        add("compute_format.experts", a.computeFormat(for: d.weights.experts).rawValue, "routed-expert GEMMs: weights \(d.weights.experts) on \(a.name)")
        add("compute_format.attention", StepModel.attentionFormat(d.kvStorage, accelerator: a).rawValue,
            "the attention core runs in FP8 when the KV cache is FP8 and the device has FP8 (FlashMLA / FlashAttention-3 FP8), else in BF16")
        for f in ComputeFormat.allCases where eta.compute[f] != nil {
            add("efficiency.compute.\(f)", number(eta.compute(f)), source("efficiency.compute.\(f)"))
        }
        add("efficiency.attention", number(eta.attention), source("efficiency.attention"))
        add("efficiency.memory", number(eta.memory), source("efficiency.memory"))
        add("efficiency.scale_up", number(eta.scaleUp), source("efficiency.scale_up"))
        add("efficiency.scale_out", number(eta.scaleOut), source("efficiency.scale_out"))
        add("kernel_overhead_seconds", number(eta.kernelOverhead), source("efficiency.kernel_overhead"))
        add("usable_memory", number(eta.usableMemory), source("efficiency.usable_memory"))
        add("term_time", "max(FLOPs / (peak × efficiency), bytes / (HBM bandwidth × memory efficiency)) + kernels × launch cost",
            "per layer: attention core, attention projections, dense FFN or shared experts + router, routed experts on the busiest rank")
        add("communication", "decode: DeepEP low-latency (a token sent once to each of its experts on other ranks); prefill: DeepEP normal (once per remote scale-up domain, then forwarded)",
            "dispatch in \(steps.dispatchBytesPerElement == 2 ? "BF16" : "FP8 with a scale per 128"), combine in BF16; each call latency + bytes / (link bandwidth × efficiency); the busiest rank's share scales the bytes; TP: two ring all-reduces per layer")
        add("overlap", d.overlap ? "two micro-batches, used when faster" : "off",
            "with overlap each layer takes max(compute, communication) per micro-batch, weights read once per micro-batch")
        if let s = d.speculation {
            add("speculation", "\(s.draftTokens) draft token(s), acceptance \(number(s.acceptance))",
                "a step verifies 1 + n tokens per sequence and emits 1 + a + … + aⁿ; each draft runs the MTP layer (or one MoE layer for a model without one) and the head")
        }
        add("decode_context", "\(d.context)", "average KV length of a decoding sequence")
        add("prefill", "chunk \(d.prefillChunk) tokens per device, prompt \(d.context), cache hit rate \(number(d.cacheHitRate))",
            "cache-miss tokens attend to the whole prompt; cached prefix KV read from the cache tier overlaps compute")
        add("cache_tier", "\(a.cacheTier.name), \(number(a.cacheTier.bandwidth)) B/s per device", source("cache_tier.bandwidth"))
        add("price_per_hour", number(a.pricePerHour), source("price_per_hour"))
        return list
    }
}
