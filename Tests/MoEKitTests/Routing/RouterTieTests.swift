//===--- RouterTieTests.swift - Hand-worked ties and weights --------------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Ties and hand-worked routes")
struct RouterTieTests {
    @Test("All-equal logits choose experts 0..<k with equal weights", arguments: RouterConfiguration.presetNames)
    func allEqual(_ name: String) throws {
        let config = try RouterConfiguration.preset(named: name)
        let result = try Router(config).route(logits: [Float](repeating: 0.25, count: 3 * config.experts))
        for t in 0..<3 {
            // With groups, the lower groups win the tie first; their experts are 0..<k too.
            #expect(Array(result.experts(ofToken: t)) == (0..<Int32(config.topK)).map { $0 })
        }
        let w = result.weights(ofToken: 0)
        #expect(w.allSatisfy { $0 == w.first! })
        if config.normalizesWeights || config.weighting == .softmaxOverChosen {
            #expect(abs(w.reduce(0, +) - config.scalingFactor) <= 1e-6 * config.scalingFactor)
        }
    }

    @Test("Equal keys are listed by ascending index; the lower index takes the last place")
    func orderOfEqualKeys() throws {
        let config = RouterConfiguration(experts: 8, topK: 3, scoring: .logits, weighting: .softmaxOverChosen,
                                         normalizesWeights: false)
        // From routing.md §3.1: torch.topk gives [1, 6, 4]; the lower-index rule gives [1, 3, 4].
        let result = try Router(config).route(logits: [0.1, 0.5, 0.3, 0.5, 0.5, 0.2, 0.5, 0])
        #expect(result.indices == [1, 3, 4])
        // 384 values with five ties at 2.0 (routing.md §3.1): lower-index wins gives 7, 100, 200.
        var row = randomLogits(384, seed: 8, scale: 0.3)
        for i in [7, 100, 200, 300, 383] { row[i] = 2 }
        let wide = RouterConfiguration(experts: 384, topK: 3, scoring: .logits, weighting: .softmaxOverChosen)
        #expect(try Router(wide).route(logits: row).indices == [7, 100, 200])
    }

    @Test("Groups with equal scores: the lower group wins")
    func groupTie() throws {
        // 4 groups of 2; groups 1 and 3 tie on top-2 sum (0.9 + 0.1 = 0.6 + 0.4), group 0 is best.
        let keys: [Float] = [0.95, 0.9, 0.9, 0.1, 0.0, 0.0, 0.6, 0.4]
        let config = RouterConfiguration(
            experts: 8, topK: 3, scoring: .logits,
            groupLimit: .init(groups: 4, keptGroups: 2, score: .topTwoSum), normalizesWeights: false)
        let result = try Router(config).route(logits: keys)
        // Kept groups: 0 (1.85) and 1 (1.0 = 0.9 + 0.1); group 3 (0.6 + 0.4 = 1.0) loses the tie.
        #expect(result.indices == [0, 1, 2])
        // The top-2 sum counts a repeated value twice: group 1 = {0.5, 0.5} scores 1.0 and
        // beats group 2 = {0.9, 0.0}.
        let repeated: [Float] = [0.5, 0.5, 0.9, 0.0]
        let c2 = RouterConfiguration(experts: 4, topK: 1, scoring: .logits,
                                     groupLimit: .init(groups: 2, keptGroups: 1, score: .topTwoSum),
                                     normalizesWeights: false)
        #expect(try Router(c2).route(logits: repeated).indices == [0])
        var c3 = c2
        c3.groupLimit!.score = .max
        #expect(try Router(c3).route(logits: repeated).indices == [2])
    }

    @Test("Different logits with equal probabilities are a tie: the lower index wins")
    func probabilityTies() throws {
        // 0.01 and the next float up differ by 1 ulp; their float32 probabilities are equal.
        let a: Float = 0.01
        let logits: [Float] = [a, a.nextUp, -5, -5, -6, -7, -8, -9]
        #expect(try Router(.mixtral).route(logits: logits).indices == [0, 1])
        var one = try RouterConfiguration.mixtral
        one.topK = 1
        #expect(try Router(one).route(logits: logits).indices == [0])
        // A zero correction bias changes nothing.
        #expect(try Router(one, correctionBias: [Float](repeating: 0, count: 8)).route(logits: logits).indices == [0])
        // The same through group selection by maximum probability.
        let grouped = RouterConfiguration(experts: 4, topK: 1, scoring: .softmax,
                                          groupLimit: .init(groups: 2, keptGroups: 1, score: .max))
        #expect(try Router(grouped).route(logits: [a, -5, a.nextUp, -5]).indices == [0])
    }

    @Test("Mixtral weights: softmax of the two chosen logits (hand-worked)")
    func mixtralByHand() throws {
        let logits: [Float] = [0.5, -1, 2, 0, 1.5, -3, 0.25, 1]
        let result = try Router(.mixtral).route(logits: logits)
        #expect(result.indices == [2, 4])
        // e^2 / (e^2 + e^1.5) = 1 / (1 + e^-0.5) = 0.622459331...
        #expect(abs(result.weights[0] - 0.62245933) < 1e-6)
        #expect(abs(result.weights[1] - 0.37754067) < 1e-6)
    }

    @Test("Kimi K2 weights: renormalised sigmoid × 2.827 (hand-worked)")
    func kimiByHand() throws {
        var logits = [Float](repeating: -5, count: 384)
        let chosen: [(Int, Float)] = [(3, 2), (10, 1), (50, 0.5), (100, 0), (200, -0.5), (300, -1), (301, -1.5), (383, -2)]
        for (e, v) in chosen { logits[e] = v }
        let result = try Router(.kimiK2).route(logits: logits)
        #expect(result.indices == chosen.map { Int32($0.0) })
        let s = chosen.map { 1 / (1 + exp(-Double($0.1))) }
        let sum = s.reduce(0, +)
        for j in 0..<8 {
            #expect(abs(Double(result.weights[j]) - s[j] / sum * 2.827) < 1e-6)
        }
        #expect(abs(result.weights.reduce(0, +) - 2.827) < 1e-5)
    }

    @Test("DeepSeek-V2: softmax over all 160 experts, no renormalisation, × 16")
    func deepSeekV2ByHand() throws {
        var logits = [Float](repeating: 0, count: 160)
        logits[0] = 3   // group 0
        logits[25] = 2  // group 1
        logits[45] = 1  // group 2
        logits[150] = 4 // group 7
        let result = try Router(.deepSeekV2).route(logits: logits)
        // Kept groups by max: 7 (4), 0 (3), 1 (2). Chosen: 150, 0, 25, then the zero logits of
        // groups 7, 0 and 1 in index order: 1, 2, 3.
        #expect(result.indices == [150, 0, 25, 1, 2, 3])
        let denominator = exp(4.0) + exp(3.0) + exp(2.0) + exp(1.0) + 156
        #expect(abs(Double(result.weights[0]) - 16 * exp(4.0) / denominator) < 1e-5)
        #expect(abs(Double(result.weights[5]) - 16 / denominator) < 1e-6)
    }
}
