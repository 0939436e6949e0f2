//===--- RoutingBenchmarks.swift - Router kernels, release build, 1 thread ===//
//
// Targets (issue "Routing at the machine's limit"), T = 4096 tokens, one thread unless stated:
//   - routing from logits: Kimi K2 (sigmoid + bias, top-8 of 384) <= 0.25 µs/token and >= 10x the
//     plain scalar C router of the same family ("route scalar-baseline ..." below, same run);
//     DeepSeek-V3 grouped top-8 of 256 <= 0.25 µs; DeepSeek-V4-Pro sqrt-softplus top-6 of 384
//     <= 0.35 µs; softmax top-8 of 128 <= 0.15 µs
//   - bf16 router GEMM 4096x7168x384 >= 1.8x the fp32 OpenBLAS GEMM of the same shape, on the
//     kernel BFloat16.Kernel.selected picks (AMX-BF16, then AVX512-BF16, then portable;
//     MOEKIT_BF16_KERNEL=avx512bf16 or MOEKIT_FORCE_PORTABLE=1 run the others)
//   - the one-token router (GEMV + routing, no allocation, calling thread), fp32 and bf16;
//     `moebench` prints it next to the time to stream the gate at the measured bandwidth
//   - malloc count 0 on every routing path
// Earlier targets still hold: router GEMM within 10% of the bare sgemm, whole router within
// 5% of GEMM + routing. The "µs/token" figure is wall clock / 4096.
//
//===----------------------------------------------------------------------===//

import Benchmark
import MoEKit

/// Seeded inputs for one router shape, allocated once.
final class RouterFixture: @unchecked Sendable {
    let router: Router
    let gemm: RouterGEMM
    let tokens: Int
    var hidden: [Float]
    var logits: [Float]
    var indices: [Int32]
    var weights: [Float]

    let baseline: ScalarBaselineRouter?
    let bf16GEMM: RouterGEMM?

    init(_ config: RouterConfiguration, tokens: Int = 4096, hidden d: Int = 7168, bf16: Bool = false) {
        var g = SeededGenerator(seed: 42)
        let bias = config.usesCorrectionBias ? g.uniformFloats(count: config.experts, scale: 0.05) : nil
        router = try! Router(config, correctionBias: bias)
        let gate = g.uniformFloats(count: config.experts * d, scale: 3 / Float(d).squareRoot())
        gemm = try! RouterGEMM(gate: gate, experts: config.experts, hiddenSize: d)
        bf16GEMM = bf16 ? try! RouterGEMM(gate: gate, experts: config.experts, hiddenSize: d, weightFormat: .bfloat16) : nil
        baseline = ScalarBaselineRouter(router)
        self.tokens = tokens
        hidden = g.uniformFloats(count: tokens * d)
        logits = [Float](repeating: 0, count: tokens * config.experts)
        indices = [Int32](repeating: 0, count: tokens * config.topK)
        weights = [Float](repeating: 0, count: tokens * config.topK)
        hidden.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer { try! gemm.logits(hidden: h, into: $0) }
        }
    }

    func route() {
        logits.withUnsafeBufferPointer { l in
            indices.withUnsafeMutableBufferPointer { i in
                weights.withUnsafeMutableBufferPointer { w in try! router.route(logits: l, indices: i, weights: w) }
            }
        }
    }

    func routeBaseline() {
        logits.withUnsafeBufferPointer { l in
            indices.withUnsafeMutableBufferPointer { i in
                weights.withUnsafeMutableBufferPointer { w in try! baseline!.route(logits: l, indices: i, weights: w) }
            }
        }
    }

    func bf16RouterGEMM() {
        hidden.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer { try! bf16GEMM!.logits(hidden: h, into: $0) }
        }
    }

    func wholeRouterBF16() {
        hidden.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer { l in
                indices.withUnsafeMutableBufferPointer { i in
                    weights.withUnsafeMutableBufferPointer { w in
                        try! router.route(hidden: h, gemm: bf16GEMM!, logits: l, indices: i, weights: w)
                    }
                }
            }
        }
    }

    func routerGEMM() {
        hidden.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer { try! gemm.logits(hidden: h, into: $0) }
        }
    }

    func bareSGEMM() {
        hidden.withUnsafeBufferPointer { h in
            gemm.gate.withUnsafeBufferPointer { w in
                logits.withUnsafeMutableBufferPointer { l in
                    BLAS.multiplyTransposed(h.baseAddress!, w.baseAddress!, into: l.baseAddress!,
                                            m: tokens, n: gemm.experts, k: gemm.hiddenSize)
                }
            }
        }
    }

    func wholeRouter() {
        hidden.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer { l in
                indices.withUnsafeMutableBufferPointer { i in
                    weights.withUnsafeMutableBufferPointer { w in
                        try! router.route(hidden: h, gemm: gemm, logits: l, indices: i, weights: w)
                    }
                }
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    BLAS.threads = 1
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds, warmupIterations: 2,
        maxDuration: .seconds(3), maxIterations: 200)

    // Routing from logits (T = 4096): the kernels alone.
    // The routers of the bundled model presets (a failure to read them is a packaging error).
    let preset = { (name: String) in try! RouterConfiguration.preset(named: name) }
    let routes: [(String, RouterConfiguration)] = [
        ("kimi-k2 sigmoid+bias top-8 of 384", preset("kimi-k2")),
        ("deepseek-v3 grouped top-8 of 256", preset("deepseek-v3")),
        ("qwen3 softmax top-8 of 128", preset("qwen3-moe")),
        ("softmax top-8 of 256", { var c = preset("qwen3-moe"); c.experts = 256; return c }()),
        ("gpt-oss top-4 of 128", preset("gpt-oss")),
        ("deepseek-v4-pro sqrtsoftplus top-6 of 384", preset("deepseek-v4-pro")),
    ]
    for (name, config) in routes {
        let fixture = RouterFixture(config, hidden: 64)
        Benchmark("route \(name), T=4096") { benchmark in
            for _ in benchmark.scaledIterations { fixture.route() }
            blackHole(fixture.indices)
        }
        if fixture.baseline != nil {
            Benchmark("route scalar-baseline \(name), T=4096") { benchmark in
                for _ in benchmark.scaledIterations { fixture.routeBaseline() }
                blackHole(fixture.indices)
            }
        }
    }

    // The router GEMM against the bare sgemm of the same shape, and the whole router.
    let kimi = RouterFixture(preset("kimi-k2"), bf16: true)
    let gemmConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .milliseconds, warmupIterations: 1,
        maxDuration: .seconds(4), maxIterations: 20)
    Benchmark("sgemm bare 4096x7168x384", configuration: gemmConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { kimi.bareSGEMM() }
        blackHole(kimi.logits)
    }
    Benchmark("router GEMM 4096x7168x384", configuration: gemmConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { kimi.routerGEMM() }
        blackHole(kimi.logits)
    }
    Benchmark("whole router kimi-k2 T=4096", configuration: gemmConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { kimi.wholeRouter() }
        blackHole(kimi.indices)
    }
    Benchmark("router GEMM bf16 4096x7168x384", configuration: gemmConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { kimi.bf16RouterGEMM() }
        blackHole(kimi.logits)
    }

    // One token (interactive decode): GEMV + routing on the calling thread, no allocation.
    let single = RouterFixture(preset("kimi-k2"), tokens: 1, bf16: true)
    let singleConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, warmupIterations: 5,
        maxDuration: .seconds(3), maxIterations: 2000)
    Benchmark("whole router kimi-k2 T=1 fp32", configuration: singleConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { single.wholeRouter() }
        blackHole(single.indices)
    }
    Benchmark("whole router kimi-k2 T=1 bf16", configuration: singleConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { single.wholeRouterBF16() }
        blackHole(single.indices)
    }

    // A decode-sized batch, where the router GEMM's layout choice matters most.
    let small = RouterFixture(preset("kimi-k2"), tokens: 16)
    let smallConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, warmupIterations: 3,
        maxDuration: .seconds(3), maxIterations: 500)
    Benchmark("sgemm bare 16x7168x384", configuration: smallConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { small.bareSGEMM() }
        blackHole(small.logits)
    }
    Benchmark("router GEMM 16x7168x384", configuration: smallConfiguration) { benchmark in
        for _ in benchmark.scaledIterations { small.routerGEMM() }
        blackHole(small.logits)
    }
}
