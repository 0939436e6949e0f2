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

    public var model: String
    public var accelerator: String
    public var phase: Phase
    public var devices: Int
    public var tensorParallel: Int = 1
    public var expertParallel: Int
    public var redundantExperts: Int = 0
    /// Dense and expert weight formats (`nil`: the model's default).
    public var weights: WeightFormat?
    public var expertWeights: WeightFormat?
    public var kvFormat: KVCacheFormat?
    public var indexerFormat: IndexerKeyFormat?
    public var context: Int
    public var prefillChunk: Int = 16_384
    public var speculation: Speculation?
    public var cacheHitRate: Double = 0
    /// Decode batch rule (ignored for prefill).
    public var batch: BatchRule = .largestFitting(limit: 1024)
    /// Price per device-hour the figure assumes (`nil`: the accelerator's default).
    public var pricePerHour: Double?

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

    public var id: String
    /// One line: who, what, on what.
    public var title: String
    public var metric: Metric
    /// The published value, in the metric's unit.
    public var value: Double
    public var role: Role
    /// Allowed relative error (0.25 = ±25%); `nil` for report rows.
    public var tolerance: Double?
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
