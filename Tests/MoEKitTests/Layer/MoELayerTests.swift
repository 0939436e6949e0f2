//===--- MoELayerTests.swift - The CPU MoE layer against a naive loop -----===//

import Foundation
import MoEKit
import Testing

/// Checkpoint-layout weights of a small layer and a naive per-token forward pass in Double.
private struct NaiveLayer {
    let d: Int, e: Int, i: Int, s: Int
    let gate: [Float], up: [Float], down: [Float]            // [E, I, d], [E, I, d], [E, d, I]
    let sharedGate: [Float], sharedUp: [Float], sharedDown: [Float]  // [s, d], [s, d], [d, s]
    let router: [Float]                                       // [E, d]

    init(d: Int, e: Int, i: Int, s: Int, seed: UInt64) {
        (self.d, self.e, self.i, self.s) = (d, e, i, s)
        var g = SeededGenerator(seed: seed)
        let w = (3 / Float(d)).squareRoot()
        gate = g.uniformFloats(count: e * i * d, scale: w)
        up = g.uniformFloats(count: e * i * d, scale: w)
        down = g.uniformFloats(count: e * d * i, scale: (3 / Float(i)).squareRoot())
        sharedGate = g.uniformFloats(count: s * d, scale: w)
        sharedUp = g.uniformFloats(count: s * d, scale: w)
        sharedDown = g.uniformFloats(count: d * s, scale: s > 0 ? (3 / Float(s)).squareRoot() : 0)
        router = g.uniformFloats(count: e * d, scale: 3 / Float(d).squareRoot())
    }

    func logit(_ x: ArraySlice<Float>, expert: Int) -> Double {
        (0..<d).reduce(0.0) { $0 + Double(x[x.startIndex + $1]) * Double(router[expert * d + $1]) }
    }

    /// One SwiGLU MLP: gate/up rows `[width, d]` at `gu`, down rows `[d, width]`.
    static func mlp(_ x: ArraySlice<Float>, gate: ArraySlice<Float>, up: ArraySlice<Float>, down: ArraySlice<Float>,
                    d: Int, width: Int) -> [Double] {
        var a = [Double](repeating: 0, count: width)
        for r in 0..<width {
            var g = 0.0, u = 0.0
            for c in 0..<d {
                g += Double(x[x.startIndex + c]) * Double(gate[gate.startIndex + r * d + c])
                u += Double(x[x.startIndex + c]) * Double(up[up.startIndex + r * d + c])
            }
            a[r] = g / (1 + exp(-g)) * u
        }
        return (0..<d).map { c in (0..<width).reduce(0.0) { $0 + a[$1] * Double(down[down.startIndex + c * width + $1]) } }
    }

    /// y[t] = Σ over kept slots of w · expert(x) + shared(x).
    func forward(_ hidden: [Float], indices: [Int32], weights: [Float], kept: (Int) -> Bool, topK k: Int) -> [Double] {
        let t = hidden.count / d
        var y = [Double](repeating: 0, count: t * d)
        for token in 0..<t {
            let x = hidden[(token * d)..<((token + 1) * d)]
            for j in 0..<k where kept(token * k + j) {
                let x0 = Int(indices[token * k + j])
                let o = Self.mlp(x, gate: gate[(x0 * i * d)..<((x0 + 1) * i * d)], up: up[(x0 * i * d)..<((x0 + 1) * i * d)],
                                 down: down[(x0 * d * i)..<((x0 + 1) * d * i)], d: d, width: i)
                for c in 0..<d { y[token * d + c] += Double(weights[token * k + j]) * o[c] }
            }
            if s > 0 {
                let o = Self.mlp(x, gate: sharedGate[...], up: sharedUp[...], down: sharedDown[...], d: d, width: s)
                for c in 0..<d { y[token * d + c] += o[c] }
            }
        }
        return y
    }
}

@Suite("MoE layer")
struct MoELayerTests {
    @Test("Forward pass equals a naive per-token loop", arguments: [
        // (tokens, d, E, k, I, shared width, router, block, capacity factor)
        (13, 24, 8, 2, 10, 12, "softmax", 1, nil), (1, 40, 16, 4, 8, 0, "deepseek", 1, nil),
        (64, 32, 16, 4, 12, 16, "deepseek", 4, nil), (50, 17, 8, 3, 5, 0, "softmax", 8, 0.7),
    ] as [(Int, Int, Int, Int, Int, Int, String, Int, Double?)])
    func againstNaive(tokens: Int, d: Int, e: Int, k: Int, i: Int, s: Int, routerName: String, block: Int, factor: Double?) throws {
        let naive = NaiveLayer(d: d, e: e, i: i, s: s, seed: UInt64(tokens * 31 + d))
        var config = RouterConfiguration(experts: e, topK: k, scoring: .softmax)
        var bias: [Float]?
        if routerName == "deepseek" {
            config = RouterConfiguration(experts: e, topK: k, scoring: .sigmoid, usesCorrectionBias: true,
                                         groupLimit: .init(groups: 4, keptGroups: 2, score: .topTwoSum), scalingFactor: 2.5)
            var g = SeededGenerator(seed: 5)
            bias = g.uniformFloats(count: e, scale: 0.1)
        }
        let layer = try MoELayer(
            router: Router(config, correctionBias: bias),
            gate: RouterGEMM(gate: naive.router, experts: e, hiddenSize: d),
            experts: SwiGLUExperts(gate: naive.gate, up: naive.up, down: naive.down, experts: e, hiddenSize: d, intermediateSize: i),
            sharedExperts: s > 0 ? SwiGLUExperts(gate: naive.sharedGate, up: naive.sharedUp, down: naive.sharedDown,
                                                 experts: 1, hiddenSize: d, intermediateSize: s) : nil,
            dispatchOptions: .init(blockSize: block, capacityFactor: factor))
        var g = SeededGenerator(seed: 77)
        let hidden = g.uniformFloats(count: tokens * d)
        let workspace = try MoELayer.Workspace(layer: layer, capacity: tokens + 3)
        var y = [Float](repeating: .nan, count: tokens * d)
        try hidden.withUnsafeBufferPointer { h in
            try y.withUnsafeMutableBufferPointer { try layer.forward(hidden: h, into: $0, workspace: workspace) }
        }

        // The router GEMM agrees with double-precision dot products...
        let logits = workspace.lastLogits
        for t in 0..<tokens {
            for x in 0..<e {
                let ref = naive.logit(hidden[(t * d)..<((t + 1) * d)], expert: x)
                #expect(abs(Double(logits[t * e + x]) - ref) <= 1e-5 * max(1, abs(ref)))
            }
        }
        // ...and the routing is the router's on those logits.
        let routing = workspace.routing
        #expect(routing == (try Router(config, correctionBias: bias).route(logits: logits)))
        let plan = workspace.plan
        if factor != nil { #expect(plan.droppedSlots > 0, "this case should drop slots") }
        let ref = naive.forward(hidden, indices: routing.indices, weights: routing.weights,
                                kept: { plan.positions[$0] >= 0 }, topK: k)
        let scale = ref.map(abs).max() ?? 1
        let worst = zip(y, ref).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst <= 2e-6 * max(1, scale) * Double(d), "max |error| \(worst) for max |y| \(scale)")
        #expect(try layer.forward(hidden) == y, "the array API gives the same result")
    }

    @Test("Parts that disagree and bad buffers are refused")
    func badInput() throws {
        let shape = MoELayerShape(hiddenSize: 8, experts: 4, topK: 2, intermediateSize: 4)
        let config = RouterConfiguration(experts: 4, topK: 2, scoring: .softmax)
        let layer = try MoELayer.random(shape: shape, router: config, seed: 1)
        #expect(throws: MoELayerError.inconsistent("the router has 4 experts, the gate 4 and the expert weights 5")) {
            try MoELayer(router: layer.router, gate: layer.gate,
                         experts: .random(experts: 5, hiddenSize: 8, intermediateSize: 4, seed: 2))
        }
        #expect(throws: MoELayerError.inconsistent("the router chooses 2 of 4 experts but the layer has top-3 of 4")) {
            try MoELayer.random(shape: MoELayerShape(hiddenSize: 8, experts: 4, topK: 3, intermediateSize: 4), router: config, seed: 1)
        }
        #expect(throws: MoELayerError.invalidSize("expert intermediate size", 0)) {
            try MoELayer.random(shape: MoELayerShape(hiddenSize: 8, experts: 4, topK: 2, intermediateSize: 0), router: config, seed: 1)
        }
        #expect(throws: MoELayerError.bufferSizeMismatch(buffer: "up_proj weights", expected: 128, actual: 127)) {
            try SwiGLUExperts(gate: .init(repeating: 0, count: 128), up: .init(repeating: 0, count: 127),
                              down: .init(repeating: 0, count: 128), experts: 4, hiddenSize: 8, intermediateSize: 4)
        }
        #expect(throws: MoELayerError.dispatch(.invalidBlockSize(0))) {
            try MoELayer(router: layer.router, gate: layer.gate, experts: layer.experts, dispatchOptions: .init(blockSize: 0))
        }
        let workspace = try MoELayer.Workspace(layer: layer, capacity: 2)
        let three = [Float](repeating: 0.5, count: 24)
        var out = [Float](repeating: 0, count: 24)
        #expect(throws: MoELayerError.inconsistent("3 tokens exceed the workspace's capacity of 2")) {
            try three.withUnsafeBufferPointer { h in
                try out.withUnsafeMutableBufferPointer { try layer.forward(hidden: h, into: $0, workspace: workspace) }
            }
        }
        let wider = try MoELayer.random(shape: MoELayerShape(hiddenSize: 8, experts: 4, topK: 2, intermediateSize: 6),
                                        router: config, seed: 1)
        #expect(throws: MoELayerError.inconsistent("the workspace was made for a layer of another shape")) {
            try three.withUnsafeBufferPointer { h in
                try out.withUnsafeMutableBufferPointer {
                    try wider.forward(hidden: UnsafeBufferPointer(rebasing: h[0..<16]), into: UnsafeMutableBufferPointer(rebasing: $0[0..<16]),
                                      workspace: workspace)
                }
            }
        }
        #expect(throws: MoELayerError.bufferSizeMismatch(buffer: "hidden states", expected: 16, actual: 12)) {
            try layer.forward([Float](repeating: 0, count: 12))
        }
        var nan = [Float](repeating: 0, count: 16)
        nan[9] = .nan
        #expect(throws: MoELayerError.self) { try layer.forward(nan) }
        do { _ = try layer.forward(nan) } catch {
            guard case .routing(.nonFiniteLogit(token: 1, expert: _, value: _)) = error else {
                Issue.record("expected a non-finite logit of token 1, got \(error)"); return
            }
        }
    }

    /// Kimi K3's experts run in a 3,584-wide latent (h = 7,168): a layer of 7,168-wide experts
    /// would measure twice their FLOPs and weights, so the shape refuses the model.
    @Test("A latent-MoE model has no plain MoE layer shape")
    func latentMoERefused() throws {
        let k3 = try ModelSpec.preset(named: "kimi-k3")
        do {
            _ = try MoELayerShape(model: k3)
            Issue.record("built a hidden-width layer for a latent MoE")
        } catch {
            guard case .inconsistent(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.hasPrefix("kimi-k3's routed experts run in a 3584-wide latent"))
        }
    }

    @Test("Memory of a Kimi K2 layer in float32, by hand")
    func kimiMemory() throws {
        let shape = try MoELayerShape(model: ModelSpec.preset(named: "kimi-k2"))
        #expect(shape == MoELayerShape(hiddenSize: 7168, experts: 384, topK: 8, intermediateSize: 2048,
                                       sharedExperts: 1, sharedIntermediateSize: 2048))
        let m = shape.memory(tokens: 256)
        // 3 · 384 · 7168 · 2048 · 4 B = 67,645,734,912 B; shared 3 · 7168 · 2048 · 4 = 176,160,768 B.
        #expect(m.routedWeights == 67_645_734_912 && m.sharedWeights == 176_160_768)
        #expect(m.routerWeights == 2 * 384 * 7168 * 4)
        // Buffers, × 4 B: per token input and output 2·7168, logits 384, indices, weights and
        // positions 3·8, shared activations 3·2048 and output 7168; per row (256 · 8 = 2048)
        // gathered input and expert output 2·7168, gate/up and activation 3·2048, permutation 1.
        let perToken: Double = 14336 + 384 + 24 + 6144 + 7168, perRow: Double = 14336 + 6144 + 1
        #expect(m.buffers == 4 * (256 * perToken + 2048 * perRow))
    }
}
