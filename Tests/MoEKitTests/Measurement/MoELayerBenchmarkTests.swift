//===--- MoELayerBenchmarkTests.swift - Layer and bench measurements ------===//

import MoEKit
import Testing

@Suite("Layer benchmark")
struct MoELayerBenchmarkTests {
    let shape = MoELayerShape(hiddenSize: 16, experts: 8, topK: 2, intermediateSize: 8, sharedExperts: 1)
    let router = RouterConfiguration(experts: 8, topK: 2, scoring: .softmax)

    @Test("A layer that does not fit is refused before anything is built, naming the bytes")
    func refusesWhatDoesNotFit() throws {
        let needed = shape.memory(tokens: 4).total
        do {
            _ = try MoELayerBenchmark(shape: shape, router: router, largestBatch: 4, availableMemory: Int(needed) - 1)
            Issue.record("a layer one byte too large was accepted")
        } catch {
            guard case .insufficientMemory(let memory, let available) = error else {
                Issue.record("wrong error \(error)"); return
            }
            #expect(memory.total == needed && available == Int(needed) - 1)
            // 3 · 8 · 16 · 8 · 4 B = 12,288 B of routed experts.
            #expect(error.description.contains("(routed experts 12.3 KB, shared experts"))
        }
        _ = try MoELayerBenchmark(shape: shape, router: router, largestBatch: 4, availableMemory: Int(needed))
    }

    @Test("Stages come in forward order with their FLOPs; rows add up to T·k")
    func stages() throws {
        let benchmark = try MoELayerBenchmark(shape: shape, router: router, largestBatch: 8, repetitions: 3)
        let results = try benchmark.run(tokenCounts: [8, 3])
        #expect(results.map(\.tokens) == [8, 3])
        for r in results {
            #expect(r.stages.map(\.stage) == MoELayer.Stage.allCases)
            #expect(r.rowsPerExpert.reduce(0, +) == r.tokens * 2 && r.droppedSlots == 0)
            let t = Double(r.tokens)
            #expect(r[.gateUp]?.flops == 4 * t * 2 * 16 * 8 && r[.down]?.flops == 2 * t * 2 * 8 * 16)
            #expect(r[.shared]?.flops == 6 * t * 16 * 8 && r[.routerGEMM]?.flops == 2 * t * 8 * 16)
            #expect(r[.routing]?.flops == nil && r[.dispatch]?.bytes == nil)
            // Every pass's total is the sum of its stages, so the fastest total is at least the
            // sum of the fastest stages.
            let fastestStages = r.stages.reduce(0.0) { $0 + $1.time.minimum }
            #expect(r.total.minimum >= fastestStages * (1 - 1e-12) && fastestStages > 0)
            #expect(r.total.repetitions == 3)
        }
        #expect(throws: MoELayerError.invalidSize("tokens per batch", 0)) { try benchmark.run(tokenCounts: [0]) }
    }

    @Test("Combine chunks: the largest power of two within 128 MiB of expert outputs")
    func combineChunk() {
        // 128 MiB / (8 · 7168 · 4 B) = 585.1 → 512.
        #expect(RoutingBenchmark.combineChunk(topK: 8, hiddenSize: 7168) == 512)
        // 128 MiB / 4 B = 2^25 rows of one float.
        #expect(RoutingBenchmark.combineChunk(topK: 1, hiddenSize: 1) == 1 << 25)
        #expect(RoutingBenchmark.combineChunk(topK: 8, hiddenSize: 1 << 40) == 1)
        #expect(RoutingBenchmark.combineChunk(topK: 1 << 40, hiddenSize: 1 << 40) == 1)
    }
}
