//===--- EstimationBenchmarks.swift - Context sweeps over every preset ----===//
//
// Target (issue "Model specs and attention/MoE cost estimators"): a sweep of 1,000
// log-spaced context points over all presets completes in under 50 ms (release build).
//
//===----------------------------------------------------------------------===//

import Benchmark
import MoEKit

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds,
        warmupIterations: 2, maxDuration: .seconds(3), maxIterations: 200)

    // Everything, presets loaded from their data files each time: 4 metrics × 14 presets ×
    // 1,000 contexts.
    Benchmark("sweep all presets, 4 metrics x 1000 contexts (with preset loading)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try ContextSweep.allPresets(points: 1_000)) }
    }

    // The estimators alone, one metric at a time.
    let estimators = try! ModelSpec.presets().map { CostEstimator(model: $0) }
    let contexts = try! ContextLength.logSpaced(1_024...1_048_576, points: 1_000)
    for metric in CostMetric.allCases {
        Benchmark("sweep all presets, \(metric) x 1000 contexts") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try ContextSweep.evaluate(estimators, metric: metric, contexts: contexts))
            }
        }
    }
}
