//===--- LayerBenchmarks.swift - Dispatch, combine and the MoE layer ------===//
//
// Targets (issue "Token dispatch, combine, load statistics and a measured MoE layer"),
// release build, one thread:
//   - dispatch of T = 4096, k = 8 over 384 experts (Kimi K2's routing of seeded logits):
//     at most 0.15 µs per token, i.e. 614 µs per call, with no allocation per call;
//   - expert GEMMs at >= 70% of the sgemm peak for groups of 256+ tokens per expert. The
//     layer here (E = 16, k = 2, T = 2048: 256 rows per expert on average; Kimi K2's expert
//     shape d = 7168, I = 2048) spends 99.9% of its 361 GFLOP in the expert GEMMs, so its
//     whole-forward GFLOP/s bounds the expert GEMMs' from below; compare it with
//     "sgemm 2048^3" from the same run. `moebench layer --experts 16 --topk 2 --tokens 2048
//     --moe-intermediate 2048 --shared-experts 0` reports the GEMM stages alone.
//
//===----------------------------------------------------------------------===//

import Benchmark
import MoEKit

/// Kimi K2 routing of T = 4096 seeded tokens, a reusable dispatch plan and combine buffers.
final class DispatchFixture: @unchecked Sendable {
    let routing: RoutingResult
    var plan: DispatchPlan
    var chunkPlan: DispatchPlan
    let chunk = 512, hidden = 7168
    var expertOutputs: [Float]
    var output: [Float]

    init() {
        var g = SeededGenerator(seed: 3)
        var bias = [Float](repeating: 0, count: 384)
        for e in bias.indices { bias[e] = 0.05 * g.nextSignedUnitFloat() }
        let logits = g.uniformFloats(count: 4096 * 384, scale: 2)
        routing = try! Router(.kimiK2, correctionBias: bias).route(logits: logits)
        plan = try! DispatchPlan(indices: routing.indices, topK: 8, experts: 384)
        chunkPlan = try! DispatchPlan(indices: Array(routing.indices[0..<(chunk * 8)]), topK: 8, experts: 384)
        expertOutputs = g.uniformFloats(count: chunk * 8 * hidden)
        output = [Float](repeating: 0, count: chunk * hidden)
    }

    func dispatch() {
        routing.indices.withUnsafeBufferPointer { try! plan.dispatch(indices: $0, topK: 8) }
    }

    func combine() {
        expertOutputs.withUnsafeBufferPointer { o in
            routing.weights.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    try! chunkPlan.combine(o, weights: UnsafeBufferPointer(rebasing: w[0..<(chunk * 8)]),
                                           hiddenSize: hidden, into: y)
                }
            }
        }
    }
}

/// A layer of 16 Kimi-K2-shaped experts, top-2, no shared expert, and its workspace.
final class LayerFixture: @unchecked Sendable {
    let layer: MoELayer
    let workspace: MoELayer.Workspace
    let hidden: [Float]
    var output: [Float]
    static let tokens = 2048

    init() {
        let shape = MoELayerShape(hiddenSize: 7168, experts: 16, topK: 2, intermediateSize: 2048)
        let router = RouterConfiguration(experts: 16, topK: 2, scoring: .softmax)
        layer = try! MoELayer.random(shape: shape, router: router, seed: 11)
        workspace = try! MoELayer.Workspace(layer: layer, capacity: Self.tokens)
        var g = SeededGenerator(seed: 12)
        hidden = g.uniformFloats(count: Self.tokens * 7168)
        output = [Float](repeating: 0, count: Self.tokens * 7168)
    }

    func forward() {
        hidden.withUnsafeBufferPointer { h in
            output.withUnsafeMutableBufferPointer { try! layer.forward(hidden: h, into: $0, workspace: workspace) }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    BLAS.threads = 1
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds, warmupIterations: 3,
        maxDuration: .seconds(3), maxIterations: 500)

    let dispatch = DispatchFixture()
    Benchmark("dispatch kimi-k2 T=4096 k=8 E=384") { benchmark in
        for _ in benchmark.scaledIterations { dispatch.dispatch() }
        blackHole(dispatch.plan.paddedLength)
    }
    Benchmark("combine T=512 k=8 d=7168") { benchmark in
        for _ in benchmark.scaledIterations { dispatch.combine() }
        blackHole(dispatch.output)
    }

    let slow = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, warmupIterations: 1,
        maxDuration: .seconds(10), maxIterations: 5)
    var g = SeededGenerator(seed: 7)
    let a = g.uniformFloats(count: 2048 * 2048), b = g.uniformFloats(count: 2048 * 2048)
    var c = [Float](repeating: 0, count: 2048 * 2048)
    Benchmark("sgemm 2048^3 (17.2 GFLOP)", configuration: slow) { benchmark in
        for _ in benchmark.scaledIterations {
            c.withUnsafeMutableBufferPointer { BLAS.multiply(a, b, into: $0.baseAddress!, m: 2048, n: 2048, k: 2048) }
        }
        blackHole(c)
    }
    let layer = LayerFixture()
    Benchmark("MoE layer E=16 k=2 T=2048 d=7168 I=2048 (361 GFLOP)", configuration: slow) { benchmark in
        for _ in benchmark.scaledIterations { layer.forward() }
        blackHole(layer.output)
    }
}
