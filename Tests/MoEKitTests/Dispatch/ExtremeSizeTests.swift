//===--- ExtremeSizeTests.swift - Huge sizes throw, never trap ------------===//

import MoEKit
import Testing

@Suite("Extreme sizes")
struct ExtremeSizeTests {
    @Test("Dispatch and combine refuse sizes they cannot address")
    func dispatch() throws {
        #expect(throws: DispatchError.invalidExpertCount(.max)) { try DispatchPlan(experts: .max) }
        let plan = try DispatchPlan(indices: [0, 1, 1, 0], topK: 2, experts: 2)
        let huge = Int.max / 2 + 1
        let hidden = [Float](repeating: 0, count: 4)
        var rows = [Float](repeating: 0, count: 4)
        #expect(throws: DispatchError.bufferTooLarge(buffer: "hidden states", rows: 2, hiddenSize: huge)) {
            try hidden.withUnsafeBufferPointer { h in
                try rows.withUnsafeMutableBufferPointer { try plan.gather(h, hiddenSize: huge, into: $0) }
            }
        }
        #expect(throws: DispatchError.bufferTooLarge(buffer: "output", rows: 2, hiddenSize: huge)) {
            try plan.combine([], weights: [1, 1, 1, 1], hiddenSize: huge)
        }
        // ceil(1.5 · huge slots / 1) is beyond Int: capped, not trapped.
        #expect(DispatchOptions(capacityFactor: 1.5).capacity(tokens: .max, topK: 2, experts: 1) == 1 << 62)
        #expect(DispatchOptions(capacityFactor: 0.5).capacity(tokens: 10, topK: 3, experts: 4) == 4)  // ceil(3.75)
    }

    @Test("Layers, weights and workspaces refuse sizes they cannot address")
    func layer() throws {
        #expect(throws: MoELayerError.tooLarge("4194304 experts of 4194304 × 4194304 are too many weights to address")) {
            try SwiGLUExperts(gate: [], up: [], down: [], experts: 1 << 22, hiddenSize: 1 << 22, intermediateSize: 1 << 22)
        }
        let shape = MoELayerShape(hiddenSize: 8, experts: 4, topK: 2, intermediateSize: 4, sharedExperts: 1 << 62, sharedIntermediateSize: 4)
        #expect(throws: MoELayerError.self) { try shape.validate() }
        let layer = try MoELayer.random(shape: MoELayerShape(hiddenSize: 8, experts: 4, topK: 2, intermediateSize: 4),
                                        router: RouterConfiguration(experts: 4, topK: 2, scoring: .softmax), seed: 1)
        #expect(throws: MoELayerError.self) { try MoELayer.Workspace(layer: layer, capacity: .max) }
        let benchmark = try MoELayerBenchmark(shape: layer.shape, router: layer.router.configuration, largestBatch: 4)
        #expect(throws: MoELayerError.inconsistent("a batch of 5 tokens exceeds the 4 the benchmark's memory check covered")) {
            try benchmark.run(tokenCounts: [5])
        }
    }

    @Test("Rank loads refuse negative and overflowing counts")
    func rankLoads() throws {
        let placement = try ExpertPlacement.contiguous(experts: 2, ranks: 1)
        #expect(throws: LoadBalanceError.negativeCount(expert: 0, count: -5)) { try placement.rankLoads(counts: [-5, 1]) }
        #expect(throws: LoadBalanceError.overflow("the slots of rank 0")) { try placement.rankLoads(counts: [.max, 1]) }
        #expect(throws: LoadBalanceError.invalidExpertCount(.max)) { try LoadAccumulator(experts: .max, topK: 1) }
        #expect(throws: LoadBalanceError.invalidExpertCount(.max)) { try SyntheticLogits(experts: .max, skew: 0, seed: 1) }
    }
}
