//===--- ServingBenchmarks.swift - The serving projection's speed ---------===//
//
// Targets (issue "Serving projection"): a `serve` projection with a TPOT search over batch
// 1...4096 under 10 ms; `validate` (every published figure) under 1 s; a frontier of 200 points
// for 4 accelerators under 50 ms. Release build, one thread.
//
//===----------------------------------------------------------------------===//

import Benchmark
import MoEKit

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds,
        warmupIterations: 2, maxDuration: .seconds(3), maxIterations: 500)

    let v3 = try! ModelSpec.preset(named: "deepseek-v3")
    let k26 = try! ModelSpec.preset(named: "kimi-k2.6")
    let h800 = try! Accelerator.preset(named: "h800")
    var production = Deployment(model: v3, devices: 144, context: 4989)
    production.redundantExperts = 32
    production.weights = WeightPrecision(.fp8)
    production.speculation = Speculation(acceptance: 0.85)

    // What `moebench serve` computes: validation, step model, memory, the TPOT search (bisection
    // over 1...min(4096, largest fitting)), prefill and cost.
    Benchmark("serve: DeepSeek-V3 on 144 H800, TPOT search + prefill + cost") { benchmark in
        for _ in benchmark.scaledIterations {
            let p = try ServingProjection(model: v3, accelerator: h800, deployment: production)
            let d = try p.decode(.timePerOutputToken(seconds: 0.0476))
            let f = p.prefill()
            blackHole(p.cost(decode: d.projection, prefill: f))
        }
    }

    Benchmark("validate: every published figure") { benchmark in
        for _ in benchmark.scaledIterations {
            for figure in PublishedServingFigure.catalog { blackHole(try figure.projectedValue()) }
        }
    }

    let accelerators = try! ["h200", "b200", "mi355x", "ascend-910c"].map { try Accelerator.preset(named: $0) }
    let deployment = Deployment(model: k26, devices: 8, context: 65_536)
    Benchmark("frontier: Kimi K2.6, 200 batches x 4 accelerators") { benchmark in
        for _ in benchmark.scaledIterations {
            for a in accelerators {
                let p = try ServingProjection(model: k26, accelerator: a, deployment: deployment)
                blackHole(try p.frontier(points: 200, maximumBatch: 4096))
            }
        }
    }
}
