//===--- RouterNonFiniteWeightsTests.swift - Finite logits, no NaN weights ===//
//
// Regression tests for a fuzz finding (Fuzz/Sources/FuzzRouter): finite logits made the
// router return NaN weights, with no error, when every chosen score underflowed to 0 and
// the weights were renormalised without an epsilon (0 / 0), and infinite weights when a
// scaling factor overflowed them. The router now throws `nonFiniteWeights(token:)`.
//
//===----------------------------------------------------------------------===//

import Foundation
import Testing
import MoEKit

@Suite("Finite logits never give non-finite weights")
struct RouterNonFiniteWeightsTests {
    /// The input the fuzzer found (E 4, k 2, sigmoid, renormalised, epsilon 0): token 1's
    /// logits are all -4.5e11, whose sigmoid is exactly 0 in float32.
    static let found: [Float] = [0.5, -0.0, -4.5e11, -4.5e11] + [Float](repeating: -4.5e11, count: 4)

    @Test("Chosen scores that sum to 0 without an epsilon are an error naming the token")
    func zeroSumWithoutEpsilon() throws {
        let sigmoid = RouterConfiguration(experts: 4, topK: 2, scoring: .sigmoid, normalizesWeights: true)
        #expect(throws: RoutingError.nonFiniteWeights(token: 1)) {
            try Router(sigmoid).route(logits: Self.found)
        }
        // sqrt(softplus(-4.5e11)) is 0 too.
        let sqrtSoftplus = RouterConfiguration(experts: 4, topK: 2, scoring: .sqrtSoftplus, normalizesWeights: true)
        #expect(throws: RoutingError.nonFiniteWeights(token: 1)) {
            try Router(sqrtSoftplus).route(logits: Self.found)
        }
        // Softmax with a bias that chooses experts whose probabilities underflow (e^-200 = 0).
        let biased = RouterConfiguration(experts: 3, topK: 2, scoring: .softmax, usesCorrectionBias: true)
        #expect(throws: RoutingError.nonFiniteWeights(token: 0)) {
            try Router(biased, correctionBias: [-10, 0, 0]).route(logits: [0, -200, -200])
        }
    }

    @Test("The error names the first such token on any thread count")
    func firstTokenOnThreads() throws {
        let config = RouterConfiguration(experts: 4, topK: 2, scoring: .sigmoid, normalizesWeights: true)
        var logits = [Float](repeating: 0, count: 4 * 300)
        for t in [170, 250] { for e in 0..<4 { logits[4 * t + e] = -4.5e11 } }
        for threads in [1, 2, 3] {
            #expect(throws: RoutingError.nonFiniteWeights(token: 170)) {
                try Router(config).route(logits: logits, threads: threads)
            }
        }
        // A non-finite logit before it is reported first, as before.
        logits[4 * 20 + 3] = .nan
        do {
            _ = try Router(config).route(logits: logits, threads: 2)
            Issue.record("a NaN logit was routed")
        } catch {
            guard case .nonFiniteLogit(let token, let expert, let value) = error else {
                Issue.record("expected a non-finite logit error, got \(error)")
                return
            }
            #expect(token == 20 && expert == 3 && value.isNaN)
        }
    }

    @Test("With DeepSeek-V3's epsilon the same logits give weights 0, and the other row its ratio")
    func epsilonKeepsItFinite() throws {
        let config = RouterConfiguration(experts: 4, topK: 2, scoring: .sigmoid, normalizesWeights: true,
                                         normalizationEpsilon: 1e-20)
        let result = try Router(config).route(logits: Self.found)
        // Token 0: sigmoid(0.5) and sigmoid(-0) = 0.5, renormalised.
        let s0 = 1 / (1 + exp(-0.5)), s1 = 0.5
        #expect(Array(result.experts(ofToken: 0)) == [0, 1])
        let w0 = result.weights(ofToken: 0)
        #expect(abs(Double(w0[w0.startIndex]) - s0 / (s0 + s1)) < 1e-6)
        #expect(abs(Double(w0[w0.startIndex + 1]) - s1 / (s0 + s1)) < 1e-6)
        // Token 1: four equal keys, experts 0 and 1 by the lower-index rule; 0 / 1e-20 = 0.
        #expect(Array(result.experts(ofToken: 1)) == [0, 1])
        #expect(Array(result.weights(ofToken: 1)) == [0, 0])
    }

    @Test("A scaling factor that overflows the weights is an error")
    func scalingOverflow() throws {
        let raw = RouterConfiguration(experts: 2, topK: 1, scoring: .logits, normalizesWeights: false,
                                      scalingFactor: 4)
        // 1e38 · 4 = 4e38 is above Float.greatestFiniteMagnitude (3.4e38); 1e37 · 4 is not.
        #expect(throws: RoutingError.nonFiniteWeights(token: 1)) {
            try Router(raw).route(logits: [1e37, 0, 1e38, 0])
        }
        let fine = try Router(raw).route(logits: [1e37, 0, 0, 2])
        #expect(fine.indices == [0, 1] && fine.weights == [4e37, 8])
    }
}
