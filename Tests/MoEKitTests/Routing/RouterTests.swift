//===--- RouterTests.swift - Routing against the scalar reference ---------===//

import Foundation
import Testing
@testable import MoEKit

/// Random logits with a seeded generator: `scale · N(0, 1)`-like (sum of uniforms).
func randomLogits(_ count: Int, seed: UInt64, scale: Float = 2) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        scale * (g.nextSignedUnitFloat() + g.nextSignedUnitFloat() + g.nextSignedUnitFloat())
    }
}

/// Rounds to bfloat16 (round to nearest even), as checkpoints' bf16 logits are.
func bfloat16Rounded(_ x: Float) -> Float {
    let bits = x.bitPattern
    let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
    return Float(bitPattern: rounded & 0xFFFF_0000)
}

/// Routes `tokens` rows with MoEKit and with the reference, and returns the comparison.
func compareWithReference(
    _ config: RouterConfiguration, tokens: Int, logits: [Float], bias: [Float]? = nil, threads: Int = 1
) throws -> RoutingComparison {
    let router = try Router(config, correctionBias: bias)
    let result = try router.route(logits: logits, threads: threads)
    #expect(result.tokens == tokens)
    #expect(result.indices.count == tokens * config.topK)
    let reference = ReferenceRouter(config: config, bias: bias)
    var comparison = RoutingComparison()
    for t in 0..<tokens {
        let row = Array(logits[(t * config.experts)..<((t + 1) * config.experts)])
        comparison.compare(token: t, logits: row, bias: bias, expected: reference.route(row),
                           indices: result.experts(ofToken: t), weights: result.weights(ofToken: t))
    }
    return comparison
}

func expectMatches(_ c: RoutingComparison, _ label: String, nearTiesAreRare: Bool = true,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(c.failures.isEmpty, "\(label): \(c.failures.prefix(3))", sourceLocation: sourceLocation)
    // On random inputs near ties are rounding coincidences; more than 1% of rows would mean
    // a real difference.
    if nearTiesAreRare {
        #expect(c.nearTieRows * 100 <= max(1, c.rows), "\(label): \(c.nearTieRows) of \(c.rows) rows differ at near ties",
                sourceLocation: sourceLocation)
    }
}

@Suite("Router against the scalar reference")
struct RouterReferenceTests {
    @Test("Every preset on random logits", arguments: RouterConfiguration.presetNames)
    func preset(_ name: String) throws {
        let config = try RouterConfiguration.preset(named: name)
        let tokens = 300
        let logits = randomLogits(tokens * config.experts, seed: UInt64(name.utf8.count) &* 7919)
        var g = SeededGenerator(seed: 99)
        let bias = config.usesCorrectionBias ? g.uniformFloats(count: config.experts, scale: 0.3) : nil
        let c = try compareWithReference(config, tokens: tokens, logits: logits, bias: bias)
        expectMatches(c, name)
        #expect(c.exactRows > tokens * 95 / 100)
    }

    @Test("Shapes: E from 2 to 1024, k from 1 to 16, every scoring")
    func shapes() throws {
        let shapes: [(e: Int, k: Int, t: Int)] = [
            (2, 1, 50), (2, 2, 20), (3, 2, 40), (7, 3, 30), (8, 2, 100), (16, 16, 20), (31, 5, 40),
            (32, 8, 60), (33, 9, 50), (48, 16, 40), (64, 6, 80), (100, 7, 40), (128, 8, 120),
            (160, 6, 60), (255, 11, 30), (256, 8, 120), (384, 8, 2048), (384, 16, 40), (512, 13, 30),
            (1000, 16, 15), (1024, 1, 20), (1024, 8, 20), (1024, 16, 12), (40, 20, 20), (200, 64, 6),
        ]
        for (i, s) in shapes.enumerated() {
            for scoring in RouterConfiguration.Scoring.allCases {
                var config = RouterConfiguration(experts: s.e, topK: s.k, scoring: scoring)
                config.weighting = scoring == .logits ? .softmaxOverChosen : .chosenScores
                config.normalizesWeights = i % 2 == 0
                config.scalingFactor = i % 3 == 0 ? 2.5 : 1
                let logits = randomLogits(s.t * s.e, seed: UInt64(i * 10 + 1))
                let c = try compareWithReference(config, tokens: s.t, logits: logits)
                expectMatches(c, "E=\(s.e) k=\(s.k) \(scoring)")
            }
        }
    }

    @Test("Softmax scoring with every weighting, with and without a bias")
    func softmaxWeightings() throws {
        var g = SeededGenerator(seed: 21)
        let bias = g.uniformFloats(count: 72, scale: 0.01)
        for weighting in RouterConfiguration.Weighting.allCases {
            for normalize in [true, false] {
                for epsilon: Float in [0, 1e-20] {
                    for withBias in [false, true] {
                        let config = RouterConfiguration(
                            experts: 72, topK: 5, scoring: .softmax, usesCorrectionBias: withBias,
                            weighting: weighting, normalizesWeights: normalize, normalizationEpsilon: epsilon,
                            scalingFactor: 2)
                        let logits = randomLogits(120 * 72, seed: 22)
                        expectMatches(try compareWithReference(config, tokens: 120, logits: logits, bias: withBias ? bias : nil),
                                      "\(weighting) normalise \(normalize) eps \(epsilon) bias \(withBias)")
                    }
                }
            }
        }
    }

    @Test("Correction bias selects but does not weight, for every scoring")
    func biasOnlySelects() throws {
        for scoring in RouterConfiguration.Scoring.allCases {
            let config = RouterConfiguration(experts: 96, topK: 6, scoring: scoring, usesCorrectionBias: true,
                                             weighting: scoring == .logits ? .softmaxOverChosen : .chosenScores,
                                             normalizationEpsilon: 1e-20, scalingFactor: 1.5)
            var g = SeededGenerator(seed: 5)
            let bias = g.uniformFloats(count: 96, scale: 0.5)
            let logits = randomLogits(200 * 96, seed: 11)
            expectMatches(try compareWithReference(config, tokens: 200, logits: logits, bias: bias), "\(scoring)")
        }
        // Hand-worked: expert 1 has the larger score, expert 0 wins only by its bias, and
        // its weight is its own unbiased score.
        let config = RouterConfiguration(experts: 2, topK: 1, scoring: .sigmoid, normalizesWeights: false)
        let result = try Router(config, correctionBias: [1, 0]).route(logits: [0, 2])
        #expect(result.indices == [0])
        #expect(result.weights == [0.5])   // sigmoid(0), not sigmoid(0) + 1
    }

    @Test("Group-limited selection: random inputs, both group scores, many shapes")
    func groups() throws {
        let cases: [(e: Int, g: Int, kept: Int, k: Int)] = [
            (256, 8, 4, 8), (160, 8, 3, 6), (64, 4, 1, 4), (64, 64, 8, 8), (96, 3, 2, 10), (384, 1, 1, 8),
            (40, 20, 3, 6), (256, 128, 10, 8), (512, 8, 2, 16), (48, 3, 3, 16),
        ]
        for (i, c) in cases.enumerated() {
            for rule in RouterConfiguration.GroupScore.allCases {
                for scoring in [RouterConfiguration.Scoring.sigmoid, .softmax] {
                    let config = RouterConfiguration(
                        experts: c.e, topK: c.k, scoring: scoring, usesCorrectionBias: scoring == .sigmoid,
                        groupLimit: .init(groups: c.g, keptGroups: c.kept, score: rule),
                        normalizationEpsilon: 1e-20, scalingFactor: 2.5)
                    var g = SeededGenerator(seed: UInt64(i))
                    let bias = scoring == .sigmoid ? g.uniformFloats(count: c.e, scale: 0.2) : nil
                    let logits = randomLogits(150 * c.e, seed: UInt64(100 + i))
                    expectMatches(try compareWithReference(config, tokens: 150, logits: logits, bias: bias),
                                  "E=\(c.e) groups \(c.kept)/\(c.g) \(rule) \(scoring)")
                }
            }
        }
    }

    @Test("bf16-rounded logits: many exact ties, lower index wins")
    func bfloat16Ties() throws {
        for name in ["kimi-k2", "deepseek-v3", "qwen3-moe", "gpt-oss", "deepseek-v4-pro", "mixtral"] {
            var config = try RouterConfiguration.preset(named: name)
            config.usesCorrectionBias = false
            let tokens = 400
            // Few distinct bf16 values (coarse scale), so equal logits are frequent.
            let logits = randomLogits(tokens * config.experts, seed: 3, scale: 0.5).map(bfloat16Rounded)
            let c = try compareWithReference(config, tokens: tokens, logits: logits)
            expectMatches(c, name)
        }
    }

    @Test("Large and tiny logits: no NaN, saturation ties resolved by index")
    func extremes() throws {
        let specials: [Float] = [1e30, -1e30, 100, -100, 88, -88, 104, -104, 17, -17, 1e-30, 0, .greatestFiniteMagnitude,
                                 -.greatestFiniteMagnitude, 3.4e38, -3.4e38]
        for name in RouterConfiguration.presetNames {
            var config = try RouterConfiguration.preset(named: name)
            config.usesCorrectionBias = false
            var g = SeededGenerator(seed: 17)
            let tokens = 60
            let logits = (0..<(tokens * config.experts)).map { _ in
                specials[Int(g.next() % UInt64(specials.count))]
            }
            let router = try Router(config)
            let result = try router.route(logits: logits)
            #expect(!result.weights.contains { !$0.isFinite }, "\(name): non-finite weight")
            // Saturated sigmoids (1.0) and underflowed probabilities (0.0) tie on purpose here.
            expectMatches(try compareWithReference(config, tokens: tokens, logits: logits), name, nearTiesAreRare: false)
        }
    }

    @Test("Threads do not change results")
    func threads() throws {
        let config = try RouterConfiguration.deepSeekV3
        var g = SeededGenerator(seed: 1)
        let bias = g.uniformFloats(count: 256, scale: 0.1)
        let logits = randomLogits(1000 * 256, seed: 2)
        let router = try Router(config, correctionBias: bias)
        #expect(try router.route(logits: logits, threads: 1) == router.route(logits: logits, threads: 3))
    }

    /// Token counts where the old split (chunks of ceil(T / workers)) ran past the last token
    /// (4289 with 67 workers), plus counts just around the 64-tokens-per-worker threshold.
    static let awkwardTokenCounts = [1, 63, 64, 65, 129, 4289, 6271, 65_537]

    @Test("Any thread count from 1 to 1024 gives the 1-thread result, bit for bit",
          arguments: [(RouterConfiguration.Scoring.sigmoid, true), (.softmax, false)])
    func anyThreadCount(scoring: RouterConfiguration.Scoring, biased: Bool) throws {
        let config = RouterConfiguration(experts: 16, topK: 3, scoring: scoring, usesCorrectionBias: biased)
        var g = SeededGenerator(seed: 7)
        let router = try Router(config, correctionBias: biased ? g.uniformFloats(count: 16, scale: 0.2) : nil)
        for tokens in Self.awkwardTokenCounts {
            let logits = randomLogits(tokens * 16, seed: UInt64(tokens))
            let single = try router.route(logits: logits, threads: 1)
            for threads in [2, 3, 67, 100, 1024] {
                let many = try router.route(logits: logits, threads: threads)
                #expect(many.indices == single.indices, "T=\(tokens), threads=\(threads)")
                #expect(many.weights.map(\.bitPattern) == single.weights.map(\.bitPattern), "T=\(tokens), threads=\(threads)")
            }
        }
    }

    @Test("Workers split the rows into in-bound ranges that cover every token once")
    func workSplit() {
        for tokens in Self.awkwardTokenCounts + [0, 2, 1000] {
            for threads in [1, 2, 3, 67, 100, 1024, 4096] {
                let parts = Router.workerCount(threads: threads, tokens: tokens)
                #expect((1...max(1, tokens / 64)).contains(parts))
                var next = 0, sizes: [Int] = []
                for part in 0..<parts {
                    let rows = Router.rows(ofPart: part, parts: parts, tokens: tokens)
                    #expect(rows.lowerBound == next && rows.upperBound <= tokens, "T=\(tokens), part \(part) of \(parts)")
                    next = rows.upperBound
                    sizes.append(rows.count)
                }
                #expect(next == tokens, "T=\(tokens), \(parts) parts")
                #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
            }
        }
        // More parts than rows: every range stays in bounds, the last ones empty.
        #expect((0..<10).map { Router.rows(ofPart: $0, parts: 10, tokens: 3) }.map(\.count) == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("Zero tokens")
    func empty() throws {
        let result = try Router(.kimiK2).route(logits: [])
        #expect(result.tokens == 0 && result.indices.isEmpty && result.weights.isEmpty)
    }
}
