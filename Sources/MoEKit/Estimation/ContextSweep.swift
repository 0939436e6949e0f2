//===--- ContextSweep.swift - Cost against context length -----------------===//

/// A quantity to plot against context length.
public enum CostMetric: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// KV-cache bytes per sequence.
    case kvCache = "kv"
    /// FLOPs of one decode step per token (attention + weights).
    case decodeFlops = "decode-flops"
    /// FLOPs to prefill a prompt of that length.
    case prefillFlops = "prefill-flops"
    /// Bytes read per decoded token at batch size 1 (weights + KV).
    case decodeBytes = "decode-bytes"

    public var description: String { rawValue }

    /// Axis title with units.
    public var title: String {
        switch self {
        case .kvCache: return "KV cache per sequence (bytes)"
        case .decodeFlops: return "Decode FLOPs per token (FLOPs)"
        case .prefillFlops: return "Prefill FLOPs per prompt (FLOPs)"
        case .decodeBytes: return "Bytes read per decoded token (bytes)"
        }
    }

    /// Base unit: `bytes` or `FLOPs`.
    public var unit: String {
        switch self {
        case .kvCache, .decodeBytes: return "bytes"
        case .decodeFlops, .prefillFlops: return "FLOPs"
        }
    }
}

extension CostEstimator {
    /// `metric` at one context (batch size 1).
    ///
    /// - Throws: ``EstimationError/contextOutOfRange(_:)`` outside `1...2^40`.
    public func value(of metric: CostMetric, context: Int) throws(EstimationError) -> Double {
        switch metric {
        case .kvCache: return try kvCacheBytes(context: context)
        case .decodeFlops: return try decode(context: context).totalFlops
        case .prefillFlops: return try prefill(tokens: context).totalFlops
        case .decodeBytes: return try decode(context: context).bytesReadPerToken
        }
    }

    /// `metric` at each of `contexts`.
    ///
    /// - Complexity: O(`contexts.count`), independent of the context lengths.
    public func curve(of metric: CostMetric, contexts: [Int]) throws(EstimationError) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(contexts.count)
        for n in contexts { values.append(try value(of: metric, context: n)) }
        return values
    }
}

/// Sweeps over context lengths for several models at once.
public enum ContextSweep {
    /// `metric` for every estimator at every context: `result[model][point]`.
    ///
    /// This is the benchmark workload "1,000 context points over all presets": see
    /// ``allPresets(metrics:points:range:)``.
    ///
    /// - Complexity: O(models × contexts × metrics).
    public static func evaluate(_ estimators: [CostEstimator], metric: CostMetric, contexts: [Int]) throws(EstimationError) -> [[Double]] {
        var result: [[Double]] = []
        result.reserveCapacity(estimators.count)
        for e in estimators { result.append(try e.curve(of: metric, contexts: contexts)) }
        return result
    }

    /// Every metric for every preset at `points` log-spaced contexts in `range` (default
    /// 1K…1M): `result[metric][model][point]`. With 1,000 points this is the sweep the issue
    /// budgets at under 50 ms in a release build.
    ///
    /// - Throws: ``ModelSpecError`` if the presets cannot be loaded, ``EstimationError`` for a
    ///   bad range or point count.
    public static func allPresets(metrics: [CostMetric] = CostMetric.allCases, points: Int = 1_000,
                                  range: ClosedRange<Int> = 1_024...1_048_576) throws -> [[[Double]]] {
        let contexts = try ContextLength.logSpaced(range, points: points)
        let estimators = try ModelSpec.presets().map { CostEstimator(model: $0) }
        return try metrics.map { m throws(EstimationError) in try evaluate(estimators, metric: m, contexts: contexts) }
    }
}
