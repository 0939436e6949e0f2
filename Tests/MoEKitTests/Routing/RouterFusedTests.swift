//===--- RouterFusedTests.swift - The fused scored-router kernel ----------===//

import Foundation
import Testing
import _MoEKitKernels
@testable import MoEKit

/// The unfused computation, written out from the row kernels that existed before the fused
/// one (scores and keys, then top-k or group-limited top-k, then the weights): the fused
/// kernel must give the same bits.
func unfusedRoute(_ router: Router, logits: [Float]) -> (indices: [Int32], weights: [Float]) {
    let config = router.configuration
    let e = config.experts, k = config.topK, tokens = logits.count / e
    var indices = [Int32](repeating: 0, count: tokens * k), weights = [Float](repeating: 0, count: tokens * k)
    var scores = [Float](repeating: 0, count: e), keys = [Float](repeating: 0, count: e)
    var values = [Float](repeating: 0, count: k)
    let limit = config.groupLimit.flatMap { $0.keptGroups < $0.groups ? $0 : nil }
    var groupScratch = [Float](repeating: 0, count: limit.map { 3 * $0.groups + $0.keptGroups * (e / $0.groups) } ?? 1)
    for t in 0..<tokens {
        let row = Array(logits[(t * e)..<((t + 1) * e)])
        var chosen = [Int32](repeating: 0, count: k)
        router.correctionBias.withUnsafeBufferPointerIfPresent { bias in
            if config.scoring == .sigmoid {
                _ = moekit_sigmoid(row, bias, &scores, &keys, e)
            } else {
                _ = moekit_sqrt_softplus(row, bias, &scores, &keys, e)
            }
        }
        let selectOn = router.correctionBias == nil ? scores : keys
        if let limit {
            _ = moekit_group_limited_topk(selectOn, e, limit.groups, limit.keptGroups, limit.score == .max ? 1 : 0,
                                          k, &chosen, &values, &groupScratch)
        } else {
            _ = moekit_topk(selectOn, e, k, &chosen, &values)
        }
        var w = chosen.map { scores[Int($0)] }
        var sum: Float = 0
        for j in 0..<k { sum += w[j] }
        if config.normalizesWeights { w = w.map { $0 / (sum + config.normalizationEpsilon) } }
        if config.scalingFactor != 1 { w = w.map { $0 * config.scalingFactor } }
        indices.replaceSubrange((t * k)..<((t + 1) * k), with: chosen)
        weights.replaceSubrange((t * k)..<((t + 1) * k), with: w)
    }
    return (indices, weights)
}

/// Scored routers the fused kernel serves: the presets and shapes off the fast paths
/// (E not a multiple of 16, k above 16, groups scored by their maximum, no bias).
let fusedConfigurations: [(String, RouterConfiguration, Bool)] = [
    ("kimi-k2", try! RouterConfiguration.preset(named: "kimi-k2"), true),
    ("deepseek-v3", try! RouterConfiguration.preset(named: "deepseek-v3"), true),
    ("deepseek-v4-pro", try! RouterConfiguration.preset(named: "deepseek-v4-pro"), true),
    ("deepseek-v4-flash", try! RouterConfiguration.preset(named: "deepseek-v4-flash"), true),
    ("sigmoid E=100 k=5, no bias", RouterConfiguration(experts: 100, topK: 5, scoring: .sigmoid), false),
    ("sqrtsoftplus E=64 k=20", RouterConfiguration(experts: 64, topK: 20, scoring: .sqrtSoftplus, scalingFactor: 1.5), true),
    ("sigmoid groups 3/12 max, E=96", RouterConfiguration(
        experts: 96, topK: 6, scoring: .sigmoid, usesCorrectionBias: true,
        groupLimit: .init(groups: 12, keptGroups: 3, score: .max), normalizationEpsilon: 1e-20, scalingFactor: 2.5), true),
]

@Suite("Fused scored-router kernel")
struct RouterFusedTests {
    static func inputs(_ e: Int, seed: UInt64) -> [(String, [Float])] {
        let tokens = 67
        var g = SeededGenerator(seed: seed)
        let random = randomLogits(tokens * e, seed: seed)
        // bf16-rounded logits: many exact ties.
        let ties = randomLogits(tokens * e, seed: seed + 1, scale: 0.5).map(bfloat16Rounded)
        // Extreme values: the far-negative sqrt-softplus branch, exp overflow and underflow,
        // tiny and huge magnitudes, whole rows of one value.
        let specials: [Float] = [-100, -88, -20, -16.5, -16, -1e-30, 0, 1e-30, 16, 30, 88, 100, 3e38, -3e38]
        var extreme = [Float]()
        for t in 0..<tokens {
            if t % 5 == 0 { extreme += [Float](repeating: Float(t) - 30, count: e); continue }
            for _ in 0..<e { extreme.append(specials[Int(g.next() % UInt64(specials.count))]) }
        }
        return [("random", random), ("bf16 ties", ties), ("extreme", extreme)]
    }

    @Test("Same bits as the unfused kernels, 1 and 3 threads", arguments: fusedConfigurations.indices)
    func sameBits(_ i: Int) throws {
        let (name, config, biased) = fusedConfigurations[i]
        var g = SeededGenerator(seed: 5)
        let bias = biased ? g.uniformFloats(count: config.experts, scale: 0.3) : nil
        let router = try Router(config, correctionBias: bias)
        #expect(router.fusedParameters(bias: nil) != nil)
        for (label, logits) in Self.inputs(config.experts, seed: UInt64(i) * 31 + 1) {
            let expected = unfusedRoute(router, logits: logits)
            for threads in [1, 3] {
                let result = Result { () throws(RoutingError) in try router.route(logits: logits, threads: threads) }
                switch result {
                case .success(let got):
                    #expect(got.indices == expected.indices, "\(name), \(label), \(threads) threads: indices")
                    #expect(got.weights.map(\.bitPattern) == expected.weights.map(\.bitPattern),
                            "\(name), \(label), \(threads) threads: weights")
                case .failure(let error):
                    // Rows whose chosen scores all underflow to 0 (no epsilon) have no weights:
                    // the unfused computation must agree that they are not finite.
                    let isWeights = if case .nonFiniteWeights = error { true } else { false }
                    #expect(isWeights && expected.weights.contains { !$0.isFinite }, "\(name), \(label): \(error)")
                }
            }
        }
    }

    @Test("Against the scalar reference, 1 and 3 threads", arguments: fusedConfigurations.indices)
    func reference(_ i: Int) throws {
        let (name, config, biased) = fusedConfigurations[i]
        var g = SeededGenerator(seed: 8)
        let bias = biased ? g.uniformFloats(count: config.experts, scale: 0.3) : nil
        let tokens = 200
        for threads in [1, 3] {
            let random = randomLogits(tokens * config.experts, seed: UInt64(i) + 100)
            expectMatches(try compareWithReference(config, tokens: tokens, logits: random, bias: bias, threads: threads),
                          "\(name) random, \(threads) threads")
            let ties = random.map { bfloat16Rounded($0 * 0.25) }
            expectMatches(try compareWithReference(config, tokens: tokens, logits: ties, bias: bias, threads: threads),
                          "\(name) bf16, \(threads) threads", nearTiesAreRare: false)
        }
    }

    /// The kernel scores every expert approximately and only the experts whose approximate
    /// key is within twice the approximation error of the k-th exactly (RoutePruning.h).
    /// These rows put many keys closer together than that error (logits 1e-6 apart, a bias
    /// that cancels the score differences), so the cut keeps several experts it cannot tell
    /// apart, or more than 16 of them (the whole row is then scored exactly).
    @Test("Pruning: keys closer than the approximation error, same bits as the unfused kernels",
          arguments: [(32, 1), (48, 7), (384, 8), (384, 6), (1024, 16), (256, 16)])
    func nearTies(_ shape: (experts: Int, k: Int)) throws {
        let e = shape.experts
        var g = SeededGenerator(seed: UInt64(e * 31 + shape.k))
        for scoring in [RouterConfiguration.Scoring.sigmoid, .sqrtSoftplus] {
            let config = RouterConfiguration(experts: e, topK: shape.k, scoring: scoring, usesCorrectionBias: true)
            var logits = [Float]()
            var biases = [[Float]]()
            // A bias that undoes the score differences of an arithmetic run of logits.
            let base: [Float] = (0..<e).map { 1.5 + Float($0 % 40) * 1e-6 }
            let scores: [Float] = base.map { scoring == .sigmoid ? 1 / (1 + exp(-$0)) : ($0 + log1p(exp(-$0))).squareRoot() }
            biases.append(scores.map { 0.25 - $0 })
            biases.append([Float](repeating: 0, count: e))
            biases.append(g.uniformFloats(count: e, scale: 3))
            let tokens = 12
            for t in 0..<tokens {
                for i in 0..<e {
                    switch t % 4 {
                    case 0: logits.append(base[i])                                  // run of nearly equal logits
                    case 1: logits.append(i % 3 == 0 ? 2 + Float(i) * 1e-7 : -1)    // a third nearly tied on top
                    case 2: logits.append(Float(g.next() % 1000) * 1e-3 - 0.5)      // coarse grid: exact ties
                    default: logits.append(i < 20 ? 40 + Float(i) * 1e-5 : 39.99)   // large scores, sqrt-softplus error scales
                    }
                }
            }
            for bias in biases {
                let router = try Router(config, correctionBias: bias)
                let expected = unfusedRoute(router, logits: logits)
                for threads in [1, 3] {
                    let got = try router.route(logits: logits, threads: threads)
                    #expect(got.indices == expected.indices, "E=\(e) k=\(shape.k) \(scoring): indices")
                    #expect(got.weights.map(\.bitPattern) == expected.weights.map(\.bitPattern),
                            "E=\(e) k=\(shape.k) \(scoring): weights")
                }
            }
        }
    }

    @Test("A NaN or infinite logit names its token and expert, whatever the thread count")
    func nonFinite() throws {
        let router = try Router(.kimiK2, correctionBias: [Float](repeating: 0.01, count: 384))
        var logits = randomLogits(200 * 384, seed: 3)
        logits[150 * 384 + 17] = .infinity
        logits[170 * 384 + 3] = .nan
        for threads in [1, 3] {
            #expect(throws: RoutingError.nonFiniteLogit(token: 150, expert: 17, value: .infinity)) {
                try router.route(logits: logits, threads: threads)
            }
        }
    }
}

@Suite("Scalar baseline router")
struct ScalarBaselineRouterTests {
    @Test("Matches the reference on every family it covers",
          arguments: ["kimi-k2", "deepseek-v3", "deepseek-v4-pro", "qwen3-moe", "mixtral", "deepseek-v2"])
    func matchesReference(_ name: String) throws {
        let config = try RouterConfiguration.preset(named: name)
        var g = SeededGenerator(seed: 12)
        let bias = config.usesCorrectionBias ? g.uniformFloats(count: config.experts, scale: 0.3) : nil
        let router = try Router(config, correctionBias: bias)
        let baseline = try #require(ScalarBaselineRouter(router))
        let tokens = 100
        let logits = randomLogits(tokens * config.experts, seed: 77)
        var indices = [Int32](repeating: 0, count: tokens * config.topK)
        var weights = [Float](repeating: 0, count: tokens * config.topK)
        try logits.withUnsafeBufferPointer { l in
            try indices.withUnsafeMutableBufferPointer { i in
                try weights.withUnsafeMutableBufferPointer { w in try baseline.route(logits: l, indices: i, weights: w) }
            }
        }
        let reference = ReferenceRouter(config: config, bias: bias)
        var comparison = RoutingComparison()
        let k = config.topK
        for t in 0..<tokens {
            let row = Array(logits[(t * config.experts)..<((t + 1) * config.experts)])
            comparison.compare(token: t, logits: row, bias: bias, expected: reference.route(row),
                               indices: indices[(t * k)..<((t + 1) * k)], weights: weights[(t * k)..<((t + 1) * k)])
        }
        #expect(comparison.failures.isEmpty, "\(name): \(comparison.failures.prefix(2))")
    }

    @Test("No baseline for raw-logit routers; NaN input is an error")
    func coverageAndErrors() throws {
        #expect(ScalarBaselineRouter(try Router(.gptOSS)) == nil)
        let baseline = try #require(ScalarBaselineRouter(try Router(.qwen3MoE)))
        var logits = [Float](repeating: 0, count: 2 * 128)
        logits[128 + 5] = .nan
        var indices = [Int32](repeating: 0, count: 16), weights = [Float](repeating: 0, count: 16)
        #expect(throws: RoutingError.self) {
            try logits.withUnsafeBufferPointer { l in
                try indices.withUnsafeMutableBufferPointer { i in
                    try weights.withUnsafeMutableBufferPointer { w in try baseline.route(logits: l, indices: i, weights: w) }
                }
            }
        }
    }
}
