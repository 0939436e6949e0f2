//===--- Deployment.swift - How a model is laid out over devices ----------===//
//
// DP attention + EP experts, as in DeepSeek's and SGLang's large-scale serving: attention runs
// data-parallel over `devices / tp` groups (each group its own sequences and their whole KV),
// each group split `tp` ways by heads; routed experts are spread over `ep` ranks.
//
//===----------------------------------------------------------------------===//

/// Speculative decoding with multi-token prediction (MTP) or a draft model.
public struct Speculation: Hashable, Sendable {
    /// Draft tokens proposed per step, `n ≥ 1`.
    public var draftTokens: Int
    /// Probability that one draft token is accepted, given the ones before it were, in `[0, 1)`.
    public var acceptance: Double

    /// `draftTokens` drafts per step, each accepted with probability `acceptance`.
    public init(draftTokens: Int = 1, acceptance: Double) {
        self.draftTokens = draftTokens
        self.acceptance = acceptance
    }

    /// Tokens a step emits per sequence on average: `1 + a + a² + … + aⁿ` (a draft counts only
    /// when every draft before it was accepted; the verified step always yields one token).
    public var tokensPerStep: Double {
        var total = 1.0, p = 1.0
        for _ in 0..<draftTokens { p *= acceptance; total += p }
        return total
    }
}

/// How routing spreads tokens over experts in a deployment.
public enum ExpertLoadModel: Hashable, Sendable {
    /// Every expert equally likely.
    case uniform
    /// Expert popularity `∝ rank^(−s)` (Zipf exponent `s`), as ``SyntheticLogits`` generates.
    case zipf(skew: Double)
    /// A measured distribution (``ExpertLoad/measured(selectionCounts:tokens:)``).
    case measured(ExpertLoad)
}

/// A serving deployment: devices and their parallelism, storage formats, the workload's context,
/// and the serving techniques in use.
///
/// Batch sizes are **per device**: a DP-attention group of `tp` devices decodes `tp · B`
/// sequences. Context is the average KV length of a decoding sequence (decode) and the prompt
/// length (prefill).
public struct Deployment: Hashable, Sendable {
    /// Devices serving one model replica, `≥ 1`.
    public var devices: Int
    /// Tensor-parallel size of each attention group (divides ``devices``).
    public var tensorParallel: Int
    /// Expert-parallel ranks that share the routed experts (divides ``devices``). With fewer
    /// ranks than devices, `devices / ep` EP groups each hold every expert.
    public var expertParallel: Int
    /// Extra expert replicas (EPLB), placed on the hottest experts.
    public var redundantExperts: Int
    /// Weight formats.
    public var weights: WeightPrecision
    /// KV-cache and indexer formats.
    public var kvStorage: KVStorage
    /// Average KV length of a decoding sequence, tokens (decode); prompt length (prefill).
    public var context: Int
    /// Tokens one device processes per prefill forward (chunked prefill).
    public var prefillChunk: Int
    /// MTP / speculative decoding, or `nil`.
    public var speculation: Speculation?
    /// Share of input tokens served from a prefix cache, in `[0, 1)`.
    public var cacheHitRate: Double
    /// Two-micro-batch overlap of communication with compute (DeepSeek DBO, SGLang TBO).
    public var overlap: Bool
    /// How routing loads the experts.
    public var expertLoad: ExpertLoadModel

    /// A deployment; EP defaults to every device, formats to the model's serving defaults
    /// (see ``ServingProjection``), prefill chunk to 16,384 tokens.
    public init(devices: Int, tensorParallel: Int = 1, expertParallel: Int? = nil, redundantExperts: Int = 0,
                weights: WeightPrecision, kvStorage: KVStorage, context: Int, prefillChunk: Int = 16_384,
                speculation: Speculation? = nil, cacheHitRate: Double = 0, overlap: Bool = true,
                expertLoad: ExpertLoadModel = .uniform) {
        self.devices = devices
        self.tensorParallel = tensorParallel
        self.expertParallel = expertParallel ?? devices
        self.redundantExperts = redundantExperts
        self.weights = weights
        self.kvStorage = kvStorage
        self.context = context
        self.prefillChunk = prefillChunk
        self.speculation = speculation
        self.cacheHitRate = cacheHitRate
        self.overlap = overlap
        self.expertLoad = expertLoad
    }

    /// A deployment of `model` with its serving-default formats.
    public init(model: ModelSpec, devices: Int, context: Int) {
        self.init(devices: devices, weights: model.serving.weights, kvStorage: model.serving.kvStorage, context: context)
    }

    /// DP-attention groups: `devices / tp`.
    public var attentionGroups: Int { devices / Swift.max(1, tensorParallel) }

    /// Redundant replicas a deployment may add, as a multiple of the routed experts (so EP can
    /// span up to 17× as many ranks as experts; one hot expert may get many of them).
    public static let maximumRedundancy = 16

    /// The largest number of devices a deployment may have.
    public static let maximumDevices = 1 << 20

    /// Checks the deployment against `model`.
    ///
    /// - Throws: ``ServingError`` naming the first value out of range.
    public func validate(for model: ModelSpec) throws(ServingError) {
        guard (1...Self.maximumDevices).contains(devices) else { throw .outOfRange(field: "devices", value: "\(devices)", expected: "1...\(Self.maximumDevices)") }
        guard tensorParallel >= 1, devices % tensorParallel == 0 else {
            throw .notDivisible(field: "tensor parallel", value: tensorParallel, devices: devices)
        }
        guard expertParallel >= 1, devices % expertParallel == 0 else {
            throw .notDivisible(field: "expert parallel", value: expertParallel, devices: devices)
        }
        // The upper bound depends on the model's experts (checked with them below).
        guard redundantExperts >= 0 else {
            throw .outOfRange(field: "redundant experts", value: "\(redundantExperts)", expected: "0...\(Self.maximumRedundancy) × the routed experts")
        }
        if let moe = model.feedForward.moe {
            let most = Swift.min(Self.maximumRedundancy * moe.routedExperts, RouterConfiguration.maximumExperts - moe.routedExperts)
            guard redundantExperts <= most else {
                throw .outOfRange(field: "redundant experts", value: "\(redundantExperts)", expected: "0...\(most) (\(Self.maximumRedundancy) × the \(moe.routedExperts) routed experts)")
            }
            guard expertParallel <= moe.routedExperts + redundantExperts else {
                throw .tooManyExpertRanks(ep: expertParallel, experts: moe.routedExperts, redundant: redundantExperts)
            }
        }
        guard ContextLength.supported.contains(context) else { throw .outOfRange(field: "context", value: "\(context)", expected: "1...2^40") }
        guard (1...(1 << 24)).contains(prefillChunk) else { throw .outOfRange(field: "prefill chunk", value: "\(prefillChunk)", expected: "1...16777216") }
        guard cacheHitRate.isFinite, cacheHitRate >= 0, cacheHitRate < 1 else {
            throw .outOfRange(field: "cache-hit rate", value: "\(cacheHitRate)", expected: "[0, 1)")
        }
        if let s = speculation {
            guard (1...16).contains(s.draftTokens) else { throw .outOfRange(field: "draft tokens", value: "\(s.draftTokens)", expected: "1...16") }
            guard s.acceptance.isFinite, s.acceptance >= 0, s.acceptance < 1 else {
                throw .outOfRange(field: "acceptance", value: "\(s.acceptance)", expected: "[0, 1)")
            }
        }
        if case .zipf(let s) = expertLoad, !(s.isFinite && s >= 0 && s <= SyntheticLogits.maximumSkew) {
            throw .outOfRange(field: "skew", value: "\(s)", expected: "0...\(Int(SyntheticLogits.maximumSkew))")
        }
        guard let moe = model.feedForward.moe else {
            // A dense model has no routed experts for these to act on.
            if redundantExperts > 0 { throw .notMixtureOfExperts(model: model.name, setting: "redundant experts") }
            if expertLoad != .uniform { throw .notMixtureOfExperts(model: model.name, setting: "an expert load") }
            return
        }
        if case .measured(let load) = expertLoad, let p = load.selectionProbabilities {
            guard p.count == moe.routedExperts else { throw .expertLoadMismatch(counts: p.count, experts: moe.routedExperts) }
            // Each token picks k experts, so the selections per token must add up to k (a report
            // from a top-1 router, or an empty one, would under-count the experts' work).
            let perToken = p.reduce(0, +)
            guard abs(perToken - Double(moe.activeExperts)) <= 1e-6 * Double(moe.activeExperts) else {
                throw .expertLoadSelections(perToken: perToken, topK: moe.activeExperts)
            }
        }
    }
}
