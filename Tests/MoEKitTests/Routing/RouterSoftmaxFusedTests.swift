//===--- RouterSoftmaxFusedTests.swift - The fused softmax-router kernel ---===//

import Foundation
import Testing
import _MoEKitKernels
@testable import MoEKit

/// The row-by-row path of Router+Logits.swift (selection on the logits with
/// `moekit_topk_finite`, the ordering check, the weights), which `moekit_route_softmax` must
/// reproduce bit for bit: indices, weights and the first row that cannot be routed.
func rowByRowRoute(_ router: Router, logits: [Float]) -> (indices: [Int32], weights: [Float], badToken: Int?) {
    let e = router.configuration.experts, k = router.configuration.topK, tokens = logits.count / e
    var indices = [Int32](repeating: 0, count: tokens * k), weights = [Float](repeating: 0, count: tokens * k)
    let bad = logits.withUnsafeBufferPointer { x in
        indices.withUnsafeMutableBufferPointer { ix in
            weights.withUnsafeMutableBufferPointer { w in
                router.routeRows(0..<tokens, logits: x.baseAddress!, indices: ix.baseAddress!, weights: w.baseAddress!,
                                 fused: false)
            }
        }
    }
    return (indices, weights, bad)
}

/// Softmax and raw-logit routers the fused kernel serves: the presets, every weighting, and
/// the shapes on and off its 16-lane path (E a multiple of 16 and at least 32, k + 1 <= 16).
let softmaxFusedConfigurations: [(String, RouterConfiguration)] = [
    ("qwen3-moe", try! RouterConfiguration.preset(named: "qwen3-moe")),
    ("qwen3-next", try! RouterConfiguration.preset(named: "qwen3-next")),
    ("qwen3.5-moe", try! RouterConfiguration.preset(named: "qwen3.5-moe")),
    ("mixtral (E = 8)", try! RouterConfiguration.preset(named: "mixtral")),
    ("gpt-oss", try! RouterConfiguration.preset(named: "gpt-oss")),
    ("llama-4", try! RouterConfiguration.preset(named: "llama-4")),
    ("softmax E=128 k=1", RouterConfiguration(experts: 128, topK: 1, scoring: .softmax)),
    ("softmax E=128 k=15 (16 candidates)", RouterConfiguration(experts: 128, topK: 15, scoring: .softmax)),
    ("softmax E=128 k=16 (17 candidates)", RouterConfiguration(experts: 128, topK: 16, scoring: .softmax)),
    ("softmax E=128 k=127", RouterConfiguration(experts: 128, topK: 127, scoring: .softmax)),
    // k = E: every expert, in probability order. (Renormalised, the weights would be 128
    // float32 probabilities divided by their float32 sum, about 1e-6 from the reference.)
    ("softmax k=E=128, not normalised",
     RouterConfiguration(experts: 128, topK: 128, scoring: .softmax, normalizesWeights: false, scalingFactor: 2)),
    ("softmax k=E=24", RouterConfiguration(experts: 24, topK: 24, scoring: .softmax)),
    ("softmax E=100 k=5, not normalised, x 2.5",
     RouterConfiguration(experts: 100, topK: 5, scoring: .softmax, normalizesWeights: false, scalingFactor: 2.5)),
    ("softmax E=48 k=7, eps 1e-20", RouterConfiguration(experts: 48, topK: 7, scoring: .softmax, normalizationEpsilon: 1e-20)),
    ("softmax E=16 k=3", RouterConfiguration(experts: 16, topK: 3, scoring: .softmax)),
    ("softmax E=1 k=1", RouterConfiguration(experts: 1, topK: 1, scoring: .softmax)),
    ("softmax E=1024 k=8, softmax over chosen",
     RouterConfiguration(experts: 1024, topK: 8, scoring: .softmax, weighting: .softmaxOverChosen)),
    ("softmax E=64 k=6, sigmoid of chosen, normalised",
     RouterConfiguration(experts: 64, topK: 6, scoring: .softmax, weighting: .sigmoidOfChosen, normalizationEpsilon: 1e-20)),
    ("softmax E=128 k=8, not normalised", RouterConfiguration(experts: 128, topK: 8, scoring: .softmax, normalizesWeights: false)),
    ("softmax E=64 k=4, groups kept 4/4 (no limit)", RouterConfiguration(
        experts: 64, topK: 4, scoring: .softmax, groupLimit: .init(groups: 4, keptGroups: 4, score: .max))),
    ("logits E=96 k=4, sigmoid of chosen, normalised",
     RouterConfiguration(experts: 96, topK: 4, scoring: .logits, weighting: .sigmoidOfChosen)),
    ("logits E=32 k=2, raw logits x 3",
     RouterConfiguration(experts: 32, topK: 2, scoring: .logits, normalizesWeights: false, scalingFactor: 3)),
]

@Suite("Fused softmax-router kernel")
struct RouterSoftmaxFusedTests {
    /// Rows of every kind the kernel treats differently, `tokens` each.
    static func inputs(_ e: Int, tokens: Int, seed: UInt64) -> [(String, [Float])] {
        var g = SeededGenerator(seed: seed)
        let random = randomLogits(tokens * e, seed: seed)
        // bf16-rounded logits at a coarse scale: many exact ties, also among the top k + 1.
        let ties = randomLogits(tokens * e, seed: seed + 1, scale: 0.5).map(bfloat16Rounded)
        // Extreme values: e^(x - max) underflowing, huge negative logits, rows of one value
        // (every lane maximum equal: more than 16 candidates), ±80.
        let specials: [Float] = [80, -80, 0, -0.0, 17, -17, 88, -104, -1e30, 1e30, 3e38, -3e38, 1e-30]
        var extreme = [Float]()
        for t in 0..<tokens {
            switch t % 4 {
            case 0: extreme += [Float](repeating: Float(t % 7) - 3, count: e)
            case 1: extreme += (0..<e).map { $0 % 3 == 0 ? 80 : -80 }
            default: for _ in 0..<e { extreme.append(specials[Int(g.next() % UInt64(specials.count))]) }
            }
        }
        // Logits within 64 ulps of 1: neighbouring candidates' exponentials are closer than
        // 2^-20 relative, so nearly every row is selected again on the probabilities.
        let nearTies = (0..<(tokens * e)).map { _ in 1 + Float(g.next() % 64) * 0x1p-23 }
        // One logit of each 16 is the row's largest: the 16 lane maxima are equal, so every
        // one of them is a candidate, with the rest below.
        let equalLaneMaxima = (0..<(tokens * e)).map { i in i % 16 == 5 ? Float(2) : g.nextSignedUnitFloat() }
        return [("random", random), ("bf16 ties", ties), ("extreme", extreme), ("near ties", nearTies),
                ("equal lane maxima", equalLaneMaxima)]
    }

    @Test("Same bits as the row-by-row path, 1 and 3 threads", arguments: softmaxFusedConfigurations.indices)
    func sameBits(_ i: Int) throws {
        let (name, config) = softmaxFusedConfigurations[i]
        let router = try Router(config)
        #expect(router.softmaxParameters() != nil, "\(name): not served by moekit_route_softmax")
        for (label, logits) in Self.inputs(config.experts, tokens: 200, seed: UInt64(i) * 17 + 3) {
            let expected = rowByRowRoute(router, logits: logits)
            for threads in [1, 3] {
                do {
                    let got = try router.route(logits: logits, threads: threads)
                    #expect(expected.badToken == nil, "\(name), \(label): routed a row the row-by-row path rejects")
                    #expect(got.indices == expected.indices, "\(name), \(label), \(threads) threads: indices")
                    #expect(got.weights.map(\.bitPattern) == expected.weights.map(\.bitPattern),
                            "\(name), \(label), \(threads) threads: weights")
                } catch {
                    // Finite logits, so only weights can fail (e.g. raw logits x 3 overflowing):
                    // the same token as the row-by-row path.
                    #expect(error == .nonFiniteWeights(token: expected.badToken ?? -1), "\(name), \(label): \(error)")
                }
            }
        }
    }

    @Test("Against the scalar reference, 1 and 3 threads", arguments: softmaxFusedConfigurations.indices)
    func reference(_ i: Int) throws {
        let (name, config) = softmaxFusedConfigurations[i]
        let tokens = 200
        for threads in [1, 3] {
            let random = randomLogits(tokens * config.experts, seed: UInt64(i) + 500)
            expectMatches(try compareWithReference(config, tokens: tokens, logits: random, threads: threads),
                          "\(name) random, \(threads) threads")
            let ties = random.map { bfloat16Rounded($0 * 0.25) }
            expectMatches(try compareWithReference(config, tokens: tokens, logits: ties, threads: threads),
                          "\(name) bf16, \(threads) threads", nearTiesAreRare: false)
        }
    }

    @Test("Hand-worked rows: ties to the lower index, the weights written out")
    func handWorked() throws {
        // Qwen3-style: softmax, top-2 renormalised. Logits [1, 3, 3, 0]: experts 1 and 2 tie,
        // the lower first; p1 / (p1 + p2) = 1/2 each, exactly.
        let qwen = try Router(RouterConfiguration(experts: 4, topK: 2, scoring: .softmax))
        let q = try qwen.route(logits: [1, 3, 3, 0])
        #expect(q.indices == [1, 2] && q.weights == [0.5, 0.5])
        // Same on a 32-expert row (the 16-lane path): the two 3s at experts 20 and 7.
        var row = [Float](repeating: 0, count: 32)
        row[20] = 3; row[7] = 3; row[9] = 2
        let q32 = try Router(RouterConfiguration(experts: 32, topK: 3, scoring: .softmax)).route(logits: row)
        #expect(q32.indices == [7, 20, 9])
        // Weights e^0, e^0, e^-1 over their sum 2 + e^-1 = 2.36787944: 0.42231879, 0.42231879, 0.15536241.
        for (got, want) in zip(q32.weights, [0.42231879, 0.42231879, 0.15536241] as [Float]) {
            #expect(abs(got - want) <= 2e-7)
        }
        // gpt-oss-style: top 3 of the logits [0, 2, 1, 2], softmax over them: the same numbers.
        let gpt = try Router(RouterConfiguration(experts: 4, topK: 3, scoring: .logits,
                                                 weighting: .softmaxOverChosen, normalizesWeights: false))
        let g = try gpt.route(logits: [0, 2, 1, 2])
        #expect(g.indices == [1, 3, 2])
        for (got, want) in zip(g.weights, [0.42231879, 0.42231879, 0.15536241] as [Float]) {
            #expect(abs(got - want) <= 2e-7)
        }
    }

    @Test("A NaN or infinite logit names its token and expert, whatever the thread count and shape",
          arguments: ["qwen3-moe", "mixtral", "gpt-oss", "llama-4"])
    func nonFinite(_ name: String) throws {
        let router = try Router(try RouterConfiguration.preset(named: name))
        let e = router.configuration.experts
        var logits = randomLogits(300 * e, seed: 9)
        logits[150 * e + e / 2] = .infinity
        logits[151 * e] = -.infinity
        logits[170 * e + 1] = .nan
        for threads in [1, 3] {
            #expect(throws: RoutingError.nonFiniteLogit(token: 150, expert: e / 2, value: .infinity)) {
                try router.route(logits: logits, threads: threads)
            }
        }
        #expect(rowByRowRoute(router, logits: logits).badToken == 150)
        // A NaN in the first row, in the last lane of the row.
        logits[e - 1] = .nan
        do {
            _ = try router.route(logits: logits, threads: 3)
            Issue.record("\(name): a NaN logit was routed")
        } catch {
            guard case .nonFiniteLogit(let token, let expert, let value) = error else {
                Issue.record("\(name): expected a non-finite logit error, got \(error)")
                return
            }
            #expect(token == 0 && expert == e - 1 && value.isNaN)
        }
    }

    @Test("Invalid parameters are rejected before anything is written")
    func invalidArguments() throws {
        let router = try Router(.qwen3MoE)
        let valid = try #require(router.softmaxParameters())
        var logits = randomLogits(2 * 128, seed: 1)
        var indices = [Int32](repeating: -7, count: 16), weights = [Float](repeating: -7, count: 16)
        var bad = 0
        func status(_ p: moekit_route_params, scratch: UnsafeMutablePointer<Float>? = nil) -> Int32 {
            var p = p
            return moekit_route_softmax(&p, &logits, 2, &indices, &weights, scratch, &bad)
        }
        var biased = valid
        let bias = [Float](repeating: 0, count: 128)
        let statusWithBias = bias.withUnsafeBufferPointer { b in
            biased.bias = b.baseAddress
            return status(biased)
        }
        #expect(statusWithBias == MOEKIT_INVALID_ARGUMENT)
        var grouped = valid
        grouped.groups = 8; grouped.kept = 4
        var sigmoid = valid
        sigmoid.scoring = MOEKIT_SCORING_SIGMOID
        var rawNormalised = valid
        rawNormalised.scoring = MOEKIT_SCORING_LOGITS
        var unknownWeighting = valid
        unknownWeighting.weighting = 3
        var zeroK = valid
        zeroK.k = 0
        var kAboveE = valid
        kAboveE.k = 129
        for p in [grouped, sigmoid, rawNormalised, unknownWeighting, zeroK, kAboveE] {
            #expect(status(p) == MOEKIT_INVALID_ARGUMENT)
            #expect(moekit_route_softmax_scratch_floats([p]) == 0)
        }
        // Scratch above the kernel's stack buffer must come from the caller.
        var wide = valid
        wide.experts = 8192
        #expect(status(wide) == MOEKIT_INVALID_ARGUMENT)
        #expect(indices.allSatisfy { $0 == -7 } && weights.allSatisfy { $0 == -7 })
        // E + 4 (k + 1) floats: probabilities [E], then the candidates' values, exponentials,
        // indices and chosen probabilities.
        #expect(moekit_route_softmax_scratch_floats([valid]) == 128 + 4 * 9)
        #expect(status(valid) == MOEKIT_OK)
    }
}
