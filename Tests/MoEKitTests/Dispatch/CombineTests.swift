//===--- CombineTests.swift - Gather and combine round trips --------------===//

import MoEKit
import Testing

@Suite("Gather and combine")
struct CombineTests {
    /// A routed batch: indices and weights `[T, k]`, hidden `[T, d]`.
    func batch(tokens: Int, topK: Int, experts: Int, hidden d: Int, seed: UInt64) throws -> (RoutingResult, [Float]) {
        var g = SeededGenerator(seed: seed)
        let logits = g.uniformFloats(count: tokens * experts, scale: 3)
        let config = RouterConfiguration(experts: experts, topK: topK, scoring: .softmax)
        let routed = try Router(config).route(logits: logits)
        return (routed, g.uniformFloats(count: tokens * d))
    }

    @Test("Identity experts give back the weighted input, bit for bit", arguments: [
        (1, 1, 1, 1, 1, nil), (37, 8, 64, 48, 1, nil), (37, 8, 64, 19, 8, nil), (200, 2, 8, 33, 4, 0.6),
    ] as [(Int, Int, Int, Int, Int, Double?)])
    func identityRoundTrip(tokens: Int, topK: Int, experts: Int, d: Int, block: Int, factor: Double?) throws {
        let (routed, hidden) = try batch(tokens: tokens, topK: topK, experts: experts, hidden: d, seed: UInt64(tokens))
        let plan = try DispatchPlan(indices: routed.indices, topK: topK, experts: experts,
                                    options: .init(blockSize: block, capacityFactor: factor))
        let rows = try plan.gather(hidden, hiddenSize: d)
        // Padding rows are zero, and each kept row is its token's hidden state.
        for (r, p) in plan.permutation.enumerated() {
            let row = rows[(r * d)..<((r + 1) * d)]
            if p < 0 { #expect(row.allSatisfy { $0 == 0 }) }
            else { #expect(Array(row) == Array(hidden[(Int(p) / topK * d)..<(Int(p) / topK * d + d)])) }
        }
        let y = try plan.combine(rows, weights: routed.weights, hiddenSize: d)
        // Reference: Σ over kept slots in slot order, from zero, in float32.
        var mismatches = 0
        for t in 0..<tokens {
            for c in 0..<d {
                var acc: Float = 0
                for j in 0..<topK where plan.positions[t * topK + j] >= 0 {
                    acc += routed.weights[t * topK + j] * hidden[t * d + c]
                }
                if y[t * d + c] != acc { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "\(mismatches) elements differ from the reference sum")
        if factor == nil {
            // Without drops the weights sum to 1 (renormalised softmax), so y ≈ x.
            for i in 0..<(tokens * d) { #expect(abs(y[i] - hidden[i]) <= 1e-6 * max(1, abs(hidden[i]))) }
        } else {
            #expect(plan.droppedSlots > 0, "the capacity factor should drop slots in this case")
        }
    }

    @Test("Distinct per-slot outputs are weighted, summed in slot order and added to the addend")
    func weightedSlots() throws {
        // T = 2, k = 2, E = 2, d = 3: token 0 → experts [1, 0], token 1 → [0, 1].
        let plan = try DispatchPlan(indices: [1, 0, 0, 1], topK: 2, experts: 2)
        // Rows in expert order: expert 0: slots 1, 2; expert 1: slots 0, 3.
        let outputs: [Float] = [1, 2, 3,  10, 20, 30,  100, 200, 300,  1000, 2000, 3000]
        let weights: [Float] = [0.25, 0.75, 0.5, 0.5]
        let addend: [Float] = [1, 1, 1, -1, -1, -1]
        var y = [Float](repeating: .nan, count: 6)
        try outputs.withUnsafeBufferPointer { o in
            try weights.withUnsafeBufferPointer { w in
                try addend.withUnsafeBufferPointer { a in
                    try y.withUnsafeMutableBufferPointer { try plan.combine(o, weights: w, hiddenSize: 3, into: $0, adding: a) }
                }
            }
        }
        // Token 0: 0.25·row 2 (slot 0 → expert 1's first row) + 0.75·row 0 + 1.
        // Token 1: 0.5·row 1 + 0.5·row 3 − 1.
        let expected: [Float] = [26.75, 52.5, 78.25, 504, 1009, 1514]  // all exact in float32
        #expect(y == expected)
    }

    @Test("Wrong buffer sizes throw")
    func badSizes() throws {
        let plan = try DispatchPlan(indices: [1, 0, 0, 1], topK: 2, experts: 2)
        #expect(throws: DispatchError.bufferSizeMismatch(buffer: "hidden states", expected: 6, actual: 5)) {
            try plan.gather([1, 2, 3, 4, 5], hiddenSize: 3)
        }
        #expect(throws: DispatchError.bufferSizeMismatch(buffer: "routing weights", expected: 4, actual: 3)) {
            try plan.combine([Float](repeating: 0, count: 12), weights: [1, 1, 1], hiddenSize: 3)
        }
        #expect(throws: DispatchError.bufferSizeMismatch(buffer: "expert outputs", expected: 12, actual: 11)) {
            try plan.combine([Float](repeating: 0, count: 11), weights: [1, 1, 1, 1], hiddenSize: 3)
        }
        #expect(throws: DispatchError.invalidHiddenSize(0)) { try plan.gather([], hiddenSize: 0) }
    }
}
