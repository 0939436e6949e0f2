//===--- MoELayerThreadsTests.swift - The layer with routing on threads ---===//
//
// The forward pass with its routing split over 2 and 3 threads, also the path the
// ThreadSanitizer run (scripts/test-sanitizers thread) checks for races. A routing worker
// takes at least 64 tokens, so 200 tokens give 3 workers.
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit
import Testing

@Suite("MoE layer on several threads")
struct MoELayerThreadsTests {
    static let tokens = 200
    static let shape = MoELayerShape(hiddenSize: 16, experts: 16, topK: 4, intermediateSize: 8)
    static let config = RouterConfiguration(experts: 16, topK: 4, scoring: .sigmoid, usesCorrectionBias: true,
                                            groupLimit: .init(groups: 4, keptGroups: 2, score: .topTwoSum),
                                            normalizationEpsilon: 1e-20, scalingFactor: 2.5)

    @Test("Routing threads do not change the output, bit for bit", arguments: [2, 3])
    func sameOutput(threads: Int) throws {
        let layer = try MoELayer.random(shape: Self.shape, router: Self.config, seed: 11)
        var g = SeededGenerator(seed: 12)
        let hidden = g.uniformFloats(count: Self.tokens * Self.shape.hiddenSize)
        let one = try layer.forward(hidden, threads: 1)
        let many = try layer.forward(hidden, threads: threads)
        #expect(one.count == hidden.count && one.allSatisfy { $0.isFinite })
        #expect(many == one)
        // The routing inside is the router's own on the layer's logits.
        let workspace = try MoELayer.Workspace(layer: layer, capacity: Self.tokens)
        var y = [Float](repeating: .nan, count: hidden.count)
        try hidden.withUnsafeBufferPointer { h in
            try y.withUnsafeMutableBufferPointer { try layer.forward(hidden: h, into: $0, workspace: workspace, threads: threads) }
        }
        #expect(y == one)
        #expect(workspace.routing == (try layer.router.route(logits: workspace.lastLogits, threads: 1)))
    }

    @Test("A NaN in a later worker's rows names its token", arguments: [2, 3])
    func nanOnAWorker(threads: Int) throws {
        let layer = try MoELayer.random(shape: Self.shape, router: Self.config, seed: 11)
        var g = SeededGenerator(seed: 13)
        var hidden = g.uniformFloats(count: Self.tokens * Self.shape.hiddenSize)
        hidden[150 * Self.shape.hiddenSize + 5] = .nan   // token 150: rows of the last worker
        do {
            _ = try layer.forward(hidden, threads: threads)
            Issue.record("a NaN hidden state was routed")
        } catch {
            // Every logit of token 150 is NaN; the first is expert 0's.
            guard case .routing(.nonFiniteLogit(token: 150, expert: 0, value: let v)) = error, v.isNaN else {
                Issue.record("expected a non-finite logit of token 150, expert 0, got \(error)")
                return
            }
        }
    }
}
