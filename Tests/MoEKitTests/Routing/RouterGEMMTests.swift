//===--- RouterGEMMTests.swift - Router GEMM against a naive loop ---------===//

import Testing
@testable import MoEKit

@Suite("Router GEMM")
struct RouterGEMMTests {
    /// logits[t, e] = Σ_h hidden[t, h] · gate[e, h] (+ bias[e]) in Double.
    func naive(_ hidden: [Float], _ gate: [Float], tokens: Int, experts: Int, d: Int, bias: [Float]?) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * experts)
        for t in 0..<tokens {
            for e in 0..<experts {
                var s = 0.0
                for h in 0..<d { s += Double(hidden[t * d + h]) * Double(gate[e * d + h]) }
                out[t * experts + e] = s + Double(bias?[e] ?? 0)
            }
        }
        return out
    }

    @Test("Matches a naive double-precision loop (sgemv per token up to T = 3, sgemm above)",
          arguments: [1, 2, 3, 4, 7, 64])
    func matchesNaive(tokens: Int) throws {
        let experts = 48, d = 96
        var g = SeededGenerator(seed: UInt64(tokens))
        let hidden = g.uniformFloats(count: tokens * d), gate = g.uniformFloats(count: experts * d, scale: 0.2)
        let bias = tokens % 2 == 0 ? g.uniformFloats(count: experts) : nil
        let gemm = try RouterGEMM(gate: gate, experts: experts, hiddenSize: d, gateBias: bias)
        var logits = [Float](repeating: .nan, count: tokens * experts)
        try hidden.withUnsafeBufferPointer { h in
            try logits.withUnsafeMutableBufferPointer { try gemm.logits(hidden: h, into: $0) }
        }
        let reference = naive(hidden, gate, tokens: tokens, experts: experts, d: d, bias: bias)
        for i in logits.indices {
            #expect(abs(Double(logits[i]) - reference[i]) <= 1e-5 * (1 + abs(reference[i])))
        }
        #expect(gemm.flops(tokens: tokens) == Double(2 * tokens * experts * d))
    }

    @Test("Whole router equals GEMM then routing")
    func wholeRouter() throws {
        var g = SeededGenerator(seed: 3)
        let d = 64, tokens = 33
        let gate = g.uniformFloats(count: 256 * d, scale: 0.3), hidden = g.uniformFloats(count: tokens * d)
        let bias = g.uniformFloats(count: 256, scale: 0.05)
        let gemm = try RouterGEMM(gate: gate, experts: 256, hiddenSize: d)
        let router = try Router(.deepSeekV3, correctionBias: bias)
        var logits = [Float](repeating: 0, count: tokens * 256)
        try hidden.withUnsafeBufferPointer { h in
            try logits.withUnsafeMutableBufferPointer { try gemm.logits(hidden: h, into: $0) }
        }
        #expect(try router.route(hidden: hidden, gemm: gemm) == router.route(logits: logits))
    }

    @Test("Bad shapes and weights throw")
    func badInput() throws {
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "gate weight", expected: 12, actual: 11)) {
            try RouterGEMM(gate: [Float](repeating: 0, count: 11), experts: 3, hiddenSize: 4)
        }
        #expect(throws: RoutingError.nonFiniteInput(buffer: "gate weight", index: 2, value: .infinity)) {
            try RouterGEMM(gate: [0, 0, .infinity, 0], experts: 1, hiddenSize: 4)
        }
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "gate bias", expected: 1, actual: 2)) {
            try RouterGEMM(gate: [0, 0, 0, 0], experts: 1, hiddenSize: 4, gateBias: [0, 0])
        }
        let gemm = try RouterGEMM(gate: [Float](repeating: 1, count: 8 * 4), experts: 8, hiddenSize: 4)
        #expect(throws: RoutingError.raggedBuffer(buffer: "hidden states", count: 5, rowLength: 4)) {
            try Router(.mixtral).route(hidden: [1, 2, 3, 4, 5], gemm: gemm)
        }
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "gate weight rows", expected: 384, actual: 8)) {
            try Router(.kimiK2).route(hidden: [1, 2, 3, 4], gemm: gemm)
        }
        do {
            _ = try Router(.mixtral).route(hidden: [0, 0, 0, 0, .nan, 0, 0, 0], gemm: gemm)
            Issue.record("a NaN hidden state must be reported")
        } catch {
            guard case .nonFiniteLogit(token: 1, expert: 0, value: let v) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(v.isNaN)
        }
    }
}
