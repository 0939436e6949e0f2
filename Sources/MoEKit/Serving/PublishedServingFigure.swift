//===--- PublishedServingFigure.swift - Published figures to validate against ===//
//
// Production and benchmark figures with the setup that reproduces them. The calibration rows
// set the shipped efficiency factors; the check rows test that the model generalises; report
// rows are shown but carry no tolerance (their setup is not fully known).
//
//===----------------------------------------------------------------------===//

/// The deployment behind a published figure, by preset names and values (what `moebench
/// serve` takes).
public struct ServingSetup: Hashable, Sendable {
    /// Which phase the figure measures.
    public enum Phase: String, Hashable, Sendable { case decode, prefill }

    /// Model preset name.
    public var model: String
    /// Accelerator preset name.
    public var accelerator: String
    /// Decode or prefill.
    public var phase: Phase
    /// Devices of one replica (``Deployment/devices``).
    public var devices: Int
    /// Tensor-parallel size of each attention group.
    public var tensorParallel: Int = 1
    /// Expert-parallel ranks.
    public var expertParallel: Int
    /// Extra expert replicas.
    public var redundantExperts: Int = 0
    /// Dense and expert weight formats (`nil`: the model's default).
    public var weights: WeightFormat?
    public var expertWeights: WeightFormat?
    /// KV-cache and indexer formats (`nil`: the model's default).
    public var kvFormat: KVCacheFormat?
    public var indexerFormat: IndexerKeyFormat?
    /// Average KV length (decode) or prompt length (prefill), tokens.
    public var context: Int
    /// Cache-miss tokens per device per prefill forward.
    public var prefillChunk: Int = 16_384
    /// MTP, or `nil`.
    public var speculation: Speculation?
    /// Share of input tokens served from the prefix cache.
    public var cacheHitRate: Double = 0
    /// Decode batch rule (ignored for prefill).
    public var batch: BatchRule = .largestFitting(limit: 1024)
    /// Price per device-hour the figure assumes (`nil`: the accelerator's default).
    public var pricePerHour: Double?

    /// The same setup at `pricePerHour` dollars per device-hour.
    public func priced(at pricePerHour: Double) -> ServingSetup {
        var copy = self
        copy.pricePerHour = pricePerHour
        return copy
    }

    /// The projection this setup describes, from the presets.
    ///
    /// - Throws: model, accelerator or deployment errors.
    public func projection() throws -> ServingProjection {
        let spec = try ModelSpec.preset(named: model)
        var device = try Accelerator.preset(named: accelerator)
        if let pricePerHour { device.pricePerHour = pricePerHour }
        var precision = spec.serving.weights
        if let weights { precision.dense = weights }
        if let expertWeights { precision.experts = expertWeights }
        var storage = spec.serving.kvStorage
        if let kvFormat { storage.kv = kvFormat }
        if let indexerFormat { storage.indexer = indexerFormat }
        let d = Deployment(devices: devices, tensorParallel: tensorParallel, expertParallel: expertParallel,
                           redundantExperts: redundantExperts, weights: precision, kvStorage: storage, context: context,
                           prefillChunk: prefillChunk, speculation: speculation, cacheHitRate: cacheHitRate)
        return try ServingProjection(model: spec, accelerator: device, deployment: d)
    }
}

/// A published serving figure, its source, and how close the projection must come.
public struct PublishedServingFigure: Hashable, Sendable {
    /// What the figure measures.
    public enum Metric: String, Hashable, Sendable {
        case decodeTokensPerSecondPerDevice = "decode tokens/s per device"
        case prefillTokensPerSecondPerDevice = "prefill input tokens/s per device"
        case costPerMillionOutputTokens = "USD per million output tokens"
    }
    /// Whether the shipped factors were set on it, it checks them, or it is only shown.
    public enum Role: String, Hashable, Sendable { case calibration, check, report }

    /// A stable identifier (`deepseek-v3-decode-h800`).
    public var id: String
    /// One line: who, what, on what.
    public var title: String
    /// What the figure measures.
    public var metric: Metric
    /// The published value, in the metric's unit.
    public var value: Double
    /// Calibration, check or report.
    public var role: Role
    /// Allowed relative error (0.25 = ±25%); `nil` for report rows.
    public var tolerance: Double?
    /// The deployment that reproduces the figure.
    public var setup: ServingSetup
    /// Where the figure and its setup come from.
    public var source: String

    /// Projects the setup: the projected value in the metric's unit.
    ///
    /// - Throws: model, accelerator or deployment errors.
    public func projectedValue() throws -> Double {
        let p = try setup.projection()
        switch metric {
        case .prefillTokensPerSecondPerDevice:
            return p.prefill().tokensPerSecondPerDevice
        case .decodeTokensPerSecondPerDevice:
            return try p.decode(setup.batch).projection.tokensPerSecondPerDevice
        case .costPerMillionOutputTokens:
            let d = try p.decode(setup.batch).projection
            return p.cost(decode: d).perMillionOutputTokens ?? 0
        }
    }

    /// Relative error of `projected` against the published value: `projected / value − 1`.
    public func relativeError(_ projected: Double) -> Double { projected / value - 1 }

    /// Whether `projected` is within ``tolerance`` (always true for report rows).
    public func passes(_ projected: Double) -> Bool {
        guard let tolerance else { return true }
        return abs(relativeError(projected)) <= tolerance
    }
}
