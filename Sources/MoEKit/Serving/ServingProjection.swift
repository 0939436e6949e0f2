//===--- ServingProjection.swift - Time, throughput, memory, dollars -------===//
//
// The closed-form serving model: a decode step and a prefill forward on the busiest device,
// per layer, from the attention cost models, parameter counts, expert load and the
// accelerator's peaks and achieved fractions. Formulas: the "How the projection works"
// section of the README and the "Projecting Serving Cost" DocC article.
//
//===----------------------------------------------------------------------===//

import Foundation

/// How the decode batch per device is chosen.
public enum BatchRule: Hashable, Sendable {
    /// Exactly this many sequences per device.
    case fixed(Int)
    /// The largest batch (up to ``ServingProjection/maximumSearchBatch``) whose time per output
    /// token is at most `seconds` and that fits in memory.
    case timePerOutputToken(seconds: Double)
    /// The largest batch that fits in memory, up to `limit` (the cheapest tokens).
    case largestFitting(limit: Int)
}

/// One decode operating point.
public struct DecodeProjection: Hashable, Sendable {
    /// Sequences per device.
    public var batchPerDevice: Int
    /// Seconds of one step (all layers, head, draft module).
    public var stepTime: Double
    /// Tokens one sequence gains per step: `1 + a + … + aⁿ` with speculation, else 1.
    public var tokensPerStep: Double
    /// Seconds per output token of one sequence: step time / tokens per step.
    public var timePerOutputToken: Double { stepTime / tokensPerStep }
    /// Output tokens per second of one sequence.
    public var tokensPerSecondPerUser: Double { tokensPerStep / stepTime }
    /// Output tokens per second of one device.
    public var tokensPerSecondPerDevice: Double { Double(batchPerDevice) * tokensPerSecondPerUser }
    /// Where the step's time goes.
    public var breakdown: StepBreakdown
    /// Whether the two-micro-batch overlap was used (it is when it makes the step faster).
    public var overlapped: Bool
    /// Memory of one device at this batch.
    public var memory: MemoryFootprint
}

/// How the decode batch was chosen, and whether the rule could be met.
public struct DecodeChoice: Hashable, Sendable {
    /// The operating point.
    public var projection: DecodeProjection
    /// The rule that chose it.
    public var rule: BatchRule
    /// For a TPOT target: whether some batch met it (if not, ``projection`` is the fastest
    /// batch that fits, batch 1). Always true for the other rules.
    public var targetMet: Bool
    /// The largest batch that fits in memory (0 when not even one sequence fits).
    public var largestFittingBatch: Int
}

/// One prefill operating point.
public struct PrefillProjection: Hashable, Sendable {
    /// Cache-miss prompt tokens one device processes per forward.
    public var chunkTokens: Int
    /// Seconds of one forward.
    public var forwardTime: Double
    /// Seconds to read back the cached prefix KV of one forward's prompts (overlapped with compute).
    public var cacheReadTime: Double
    /// Cache-miss input tokens per second per device.
    public var missTokensPerSecondPerDevice: Double
    /// Input tokens per second per device, cache hits counted as served.
    public var tokensPerSecondPerDevice: Double
    /// Seconds to the first token of one prompt: its cache-miss tokens in chunks, plus the
    /// read-back of its cached prefix.
    public var timeToFirstToken: Double
    /// Where a forward's time goes.
    public var breakdown: StepBreakdown
    /// Whether the two-micro-batch overlap was used.
    public var overlapped: Bool
    /// Memory of one device during a forward.
    public var memory: MemoryFootprint
}

/// Dollars per million tokens at the accelerator's price per device-hour.
public struct ServingCost: Hashable, Sendable {
    /// Price per device-hour, US dollars.
    public var pricePerHour: Double
    /// Per million output tokens (decode devices).
    public var perMillionOutputTokens: Double?
    /// Per million cache-miss input tokens (prefill devices).
    public var perMillionInputTokens: Double?
    /// Per million cache-hit input tokens: reading their KV back from the cache tier.
    public var perMillionCachedInputTokens: Double
    /// The cache tier those reads come from.
    public var cacheTier: CacheTier
    /// KV bytes per cached token read back (all layers, at the deployment's context).
    public var cachedBytesPerToken: Double
}

/// A serving projection: one model on one accelerator in one deployment.
///
/// ```swift
/// let k2 = try ModelSpec.preset(named: "kimi-k2.6")
/// let h200 = try Accelerator.preset(named: "h200")
/// var d = Deployment(model: k2, devices: 8, context: 65_536)
/// d.speculation = Speculation(acceptance: 0.8)
/// let p = try ServingProjection(model: k2, accelerator: h200, deployment: d)
/// let decode = try p.decode(.timePerOutputToken(seconds: 0.033))
/// print(decode.projection.tokensPerSecondPerDevice, p.cost(decode: decode.projection).perMillionOutputTokens!)
/// ```
///
/// - Complexity: one step is O(*L* + *E* + *R*) for *L* layers, *E* experts and *R* redundant
///   replicas; a TPOT search evaluates O(log ``maximumSearchBatch``) steps.
public struct ServingProjection: Sendable {
    /// The model.
    public let model: ModelSpec
    /// The device.
    public let accelerator: Accelerator
    /// The layout and workload.
    public let deployment: Deployment
    let steps: StepModel

    /// The largest batch per device a TPOT search or frontier considers.
    public static let maximumSearchBatch = 4096

    /// Validates `deployment` against `model` and `accelerator` and prepares the step model.
    ///
    /// - Throws: ``ServingError`` naming the first value out of range.
    public init(model: ModelSpec, accelerator: Accelerator, deployment: Deployment) throws(ServingError) {
        try deployment.validate(for: model)
        self.model = model
        self.accelerator = accelerator
        self.deployment = deployment
        steps = try StepModel(model: model, accelerator: accelerator, deployment: deployment)
    }

    // MARK: - Decode

    /// Tokens one sequence gains per step.
    public var tokensPerStep: Double { deployment.speculation?.tokensPerStep ?? 1 }

    /// The decode operating point at `batch` sequences per device (memory may not fit: see
    /// ``DecodeProjection/memory``).
    ///
    /// - Throws: ``ServingError/outOfRange(field:value:expected:)`` for a batch outside
    ///   `1...1_048_576`.
    public func decode(batchPerDevice batch: Int) throws(ServingError) -> DecodeProjection {
        guard (1...(1 << 20)).contains(batch) else { throw .outOfRange(field: "batch per device", value: "\(batch)", expected: "1...1048576") }
        let b = Double(batch)
        let plain = steps.decodeStep(sequences: b, overlap: false)
        var step = plain, overlapped = false
        if deployment.overlap && batch >= 2 {
            let split = steps.decodeStep(sequences: b, overlap: true)
            if split.total < plain.total { step = split; overlapped = true }
        }
        return DecodeProjection(batchPerDevice: batch, stepTime: step.total, tokensPerStep: tokensPerStep,
                                breakdown: step, overlapped: overlapped, memory: decodeMemory(batch))
    }

    /// Memory of one device decoding `batch` sequences.
    func decodeMemory(_ batch: Int) -> MemoryFootprint {
        steps.memory(steps.decode(sequences: Double(batch)))
    }

    /// The largest decode batch per device that fits in memory, up to `limit` (0 when one
    /// sequence does not fit).
    ///
    /// - Complexity: O(log `limit`) memory evaluations.
    public func largestFittingBatch(limit: Int = 1 << 20) -> Int {
        guard limit >= 1, decodeMemory(1).fits else { return 0 }
        var lo = 1, hi = limit
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2
            if decodeMemory(mid).fits { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The decode operating point chosen by `rule`.
    ///
    /// A TPOT target is searched by bisection over `1...min(maximumSearchBatch, largest
    /// fitting)`: TPOT grows with the batch. When no batch meets it, the result is batch 1 with
    /// ``DecodeChoice/targetMet`` false (a verdict, not an error).
    ///
    /// - Throws: ``ServingError`` for a fixed batch out of range or a non-positive target.
    public func decode(_ rule: BatchRule) throws(ServingError) -> DecodeChoice {
        let fitting = largestFittingBatch(limit: 1 << 20)
        switch rule {
        case .fixed(let b):
            return DecodeChoice(projection: try decode(batchPerDevice: b), rule: rule, targetMet: true, largestFittingBatch: fitting)
        case .largestFitting(let limit):
            guard limit >= 1 else { throw .outOfRange(field: "batch limit", value: "\(limit)", expected: "1...") }
            let b = Swift.max(1, Swift.min(limit, fitting))
            return DecodeChoice(projection: try decode(batchPerDevice: b), rule: rule, targetMet: fitting >= 1, largestFittingBatch: fitting)
        case .timePerOutputToken(let target):
            guard target.isFinite, target > 0 else { throw .outOfRange(field: "TPOT target", value: "\(target)", expected: "(0, inf) seconds") }
            let upper = Swift.min(Self.maximumSearchBatch, fitting)
            let first = try decode(batchPerDevice: 1)
            guard upper >= 1, first.timePerOutputToken <= target else {
                return DecodeChoice(projection: first, rule: rule, targetMet: false, largestFittingBatch: fitting)
            }
            var lo = 1, hi = upper, best = first
            while lo < hi {
                let mid = lo + (hi - lo + 1) / 2
                let p = try decode(batchPerDevice: mid)
                if p.timePerOutputToken <= target { lo = mid; best = p } else { hi = mid - 1 }
            }
            if best.batchPerDevice != lo { best = try decode(batchPerDevice: lo) }
            return DecodeChoice(projection: best, rule: rule, targetMet: true, largestFittingBatch: fitting)
        }
    }

    /// Decode operating points at `points` log-spaced batches from 1 to `maximumBatch` (default:
    /// the largest that fits, at most ``maximumSearchBatch``): the throughput-versus-interactivity
    /// frontier.
    ///
    /// - Complexity: O(`points`) steps.
    public func frontier(points: Int = 32, maximumBatch: Int? = nil) throws(ServingError) -> [DecodeProjection] {
        guard (1...10_000).contains(points) else { throw .outOfRange(field: "frontier points", value: "\(points)", expected: "1...10000") }
        let top = maximumBatch ?? Swift.max(1, Swift.min(Self.maximumSearchBatch, largestFittingBatch(limit: Self.maximumSearchBatch)))
        var batches: [Int] = []
        for i in 0..<points {
            let x = points == 1 ? Double(top) : pow(Double(top), Double(i) / Double(points - 1))
            let b = Swift.max(1, Swift.min(top, Int(x.rounded())))
            if batches.last != b { batches.append(b) }
        }
        var result: [DecodeProjection] = []
        for b in batches { result.append(try decode(batchPerDevice: b)) }
        return result
    }

    // MARK: - Prefill

    /// One prefill forward of ``Deployment/prefillChunk`` cache-miss tokens per device.
    public func prefill() -> PrefillProjection {
        let d = deployment, c = Double(d.prefillChunk)
        let plain = steps.prefillForward(tokens: c, overlap: false)
        var step = plain, overlapped = false
        if d.overlap && d.prefillChunk >= 2 {
            let split = steps.prefillForward(tokens: c, overlap: true)
            if split.total < plain.total { step = split; overlapped = true }
        }
        let hit = d.cacheHitRate
        let served = c / (1 - hit)
        let cacheRead = (served - c) * cachedBytesPerToken / accelerator.cacheTier.bandwidth
        let cycle = Swift.max(step.total, cacheRead)
        let missPerPrompt = Double(d.context) * (1 - hit)
        let forwards = Swift.max(1, (missPerPrompt / c).rounded(.up))
        let ownRead = Double(d.context) * hit * cachedBytesPerToken / accelerator.cacheTier.bandwidth
        return PrefillProjection(chunkTokens: d.prefillChunk, forwardTime: step.total, cacheReadTime: cacheRead,
                                 missTokensPerSecondPerDevice: c / step.total, tokensPerSecondPerDevice: served / cycle,
                                 timeToFirstToken: forwards * step.total + ownRead, breakdown: step,
                                 overlapped: overlapped, memory: steps.memory(.prefill(tokens: c)))
    }

    // MARK: - Cost

    /// KV bytes per token of a sequence at the deployment's context (all layers): what a cache
    /// hit reads back.
    public var cachedBytesPerToken: Double {
        steps.attention.totalKVCacheBytes(context: deployment.context, storage: deployment.kvStorage) / Double(deployment.context)
    }

    /// Dollars per million tokens: device-seconds per token × price per device-second.
    /// Output from `decode`, cache-miss input from `prefill`, cache-hit input from reading its
    /// KV back at the cache tier's bandwidth.
    public func cost(decode: DecodeProjection? = nil, prefill: PrefillProjection? = nil) -> ServingCost {
        let perSecond = accelerator.pricePerHour / 3600
        let million = 1e6
        return ServingCost(
            pricePerHour: accelerator.pricePerHour,
            perMillionOutputTokens: decode.map { million * perSecond / $0.tokensPerSecondPerDevice },
            perMillionInputTokens: prefill.map { million * perSecond / $0.missTokensPerSecondPerDevice },
            perMillionCachedInputTokens: million * perSecond * cachedBytesPerToken / accelerator.cacheTier.bandwidth,
            cacheTier: accelerator.cacheTier, cachedBytesPerToken: cachedBytesPerToken)
    }
}
