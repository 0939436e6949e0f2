//===--- RouterGEMMBFloat16HiddenTests.swift - bf16 hidden states ----------===//

import Testing
@testable import MoEKit

@Suite("bf16 router GEMM: bf16 hidden states")
struct RouterGEMMBFloat16HiddenTests {
    /// Logits of bf16 hidden states `bits` with `kernel`.
    static func logits(_ gemm: RouterGEMM, bits: [UInt16], kernel: BFloat16.Kernel, threads: Int = 1) throws(RoutingError) -> [Float] {
        var out = [Float](repeating: .nan, count: bits.count / gemm.hiddenSize * gemm.experts)
        try bits.withUnsafeBufferPointer { (h) throws(RoutingError) in
            try out.withUnsafeMutableBufferPointer { (l) throws(RoutingError) in
                try gemm.logits(bfloat16Hidden: h, into: l, bfloat16Kernel: kernel, threads: threads)
            }
        }
        return out
    }

    /// Logits of float32 hidden states with `kernel`.
    static func logits(_ gemm: RouterGEMM, hidden: [Float], kernel: BFloat16.Kernel) throws -> [Float] {
        var out = [Float](repeating: .nan, count: hidden.count / gemm.hiddenSize * gemm.experts)
        try hidden.withUnsafeBufferPointer { h in
            try out.withUnsafeMutableBufferPointer { try gemm.logits(hidden: h, into: $0, bfloat16Kernel: kernel) }
        }
        return out
    }

    @Test("Within 1e-2 relative or 1e-3 absolute of float64; bit-identical to float32 hidden states with the same bf16 values, every kernel",
          arguments: RouterGEMMBFloat16Tests.shapes.indices)
    func againstFloat64(_ i: Int) throws {
        let (t, d, e) = RouterGEMMBFloat16Tests.shapes[i]
        var g = SeededGenerator(seed: UInt64(i) + 140)
        let hidden = g.uniformFloats(count: t * d, scale: 4)
        let gate = g.uniformFloats(count: e * d, scale: 3 / Float(d).squareRoot())
        let bits = BFloat16.rounded(hidden)
        let exactlyRepresentable = bits.map(BFloat16.float)
        let exact = float64Logits(hidden: exactlyRepresentable, gate: gate, tokens: t, experts: e, d: d)
        let gemm = try RouterGEMM(gate: gate, experts: e, hiddenSize: d, weightFormat: .bfloat16)
        for kernel in bfloat16Kernels {
            let logits = try Self.logits(gemm, bits: bits, kernel: kernel)
            var worst = 0.0
            for j in logits.indices {
                let error = abs(Double(logits[j]) - exact[j])
                if error > 1e-3 { worst = max(worst, error / abs(exact[j])) }
            }
            #expect(worst <= 1e-2, "\(kernel) T=\(t) d=\(d) E=\(e): relative error \(worst)")
            // Only the packing of the hidden tile differs between the two inputs.
            let fromFloat32 = try Self.logits(gemm, hidden: exactlyRepresentable, kernel: kernel)
            #expect(logits.map(\.bitPattern) == fromFloat32.map(\.bitPattern), "\(kernel) T=\(t) d=\(d) E=\(e)")
            // Float32 values that are not bf16 but round to these bits: the same logits too.
            let rounding = try Self.logits(gemm, hidden: hidden, kernel: kernel)
            #expect(logits.map(\.bitPattern) == rounding.map(\.bitPattern), "\(kernel) T=\(t) d=\(d) E=\(e)")
        }
    }

    @Test("A token's logits do not depend on its batch or the thread count", arguments: bfloat16Kernels)
    func batchInvariance(_ kernel: BFloat16.Kernel) throws {
        let (t, d, e) = (203, 130, 70)
        var g = SeededGenerator(seed: 19)
        let bits = BFloat16.rounded(g.uniformFloats(count: t * d))
        let gemm = try RouterGEMM(gate: g.uniformFloats(count: e * d, scale: 0.2), experts: e, hiddenSize: d,
                                  weightFormat: .bfloat16)
        let whole = try Self.logits(gemm, bits: bits, kernel: kernel)
        for threads in [2, 3, 8, 64] {
            #expect(try Self.logits(gemm, bits: bits, kernel: kernel, threads: threads).map(\.bitPattern) == whole.map(\.bitPattern),
                    "\(threads) threads")
        }
        for token in [0, 5, 101, 202] {
            let alone = try Self.logits(gemm, bits: Array(bits[(token * d)..<((token + 1) * d)]), kernel: kernel)
            #expect(alone.map(\.bitPattern) == whole[(token * e)..<((token + 1) * e)].map(\.bitPattern), "token \(token)")
        }
    }

    @Test("Public API: the selected kernel, the gate bias, threads, and the router on top")
    func publicAPI() throws {
        let (t, d) = (40, 96)
        let config = try RouterConfiguration.kimiK2
        var g = SeededGenerator(seed: 20)
        let hidden = g.uniformFloats(count: t * d)
        let bits = BFloat16.rounded(hidden)
        let gate = g.uniformFloats(count: config.experts * d, scale: 0.3)
        let gateBias = g.uniformFloats(count: config.experts, scale: 0.1)
        let gemm = try RouterGEMM(gate: gate, experts: config.experts, hiddenSize: d, gateBias: gateBias, weightFormat: .bfloat16)
        let expected = try gemm.logits(hidden: hidden)
        for threads in [1, 4] {
            #expect(try gemm.logits(bfloat16Hidden: bits, threads: threads).map(\.bitPattern) == expected.map(\.bitPattern))
        }
        let withoutBias = try Self.logits(RouterGEMM(gate: gate, experts: config.experts, hiddenSize: d, weightFormat: .bfloat16),
                                          bits: bits, kernel: .selected)
        for j in expected.indices { #expect(expected[j] == withoutBias[j] + gateBias[j % config.experts]) }

        let router = try Router(config, correctionBias: g.uniformFloats(count: config.experts, scale: 0.05))
        let fromFloat32 = try router.route(hidden: hidden, gemm: gemm)
        let fromBits = try router.route(bfloat16Hidden: bits, gemm: gemm, threads: 3)
        #expect(fromBits.indices == fromFloat32.indices && fromBits.weights == fromFloat32.weights)
        var logits = [Float](repeating: 0, count: t * config.experts)
        var indices = [Int32](repeating: -1, count: t * config.topK)
        var weights = [Float](repeating: 0, count: t * config.topK)
        try bits.withUnsafeBufferPointer { h in
            try logits.withUnsafeMutableBufferPointer { l in
                try indices.withUnsafeMutableBufferPointer { i in
                    try weights.withUnsafeMutableBufferPointer { w in
                        try router.route(bfloat16Hidden: h, gemm: gemm, logits: l, indices: i, weights: w)
                    }
                }
            }
        }
        #expect(indices == fromFloat32.indices && weights == fromFloat32.weights)
        #expect(logits.map(\.bitPattern) == expected.map(\.bitPattern))
        let wrongExperts = try RouterGEMM(gate: [Float](repeating: 0.5, count: 4 * d), experts: 4, hiddenSize: d, weightFormat: .bfloat16)
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "gate weight rows", expected: config.experts, actual: 4)) {
            try router.route(bfloat16Hidden: bits, gemm: wrongExperts)
        }
    }

    @Test("float32 gate: bf16 hidden states are widened exactly and multiplied in float32")
    func float32Gate() throws {
        let (d, e) = (64, 24)
        var g = SeededGenerator(seed: 21)
        let gate = g.uniformFloats(count: e * d, scale: 0.3)
        let gemm = try RouterGEMM(gate: gate, experts: e, hiddenSize: d, gateBias: g.uniformFloats(count: e))
        for t in [1, 3, 4, 50] {       // the sgemv path (T ≤ 3) and the sgemm path
            let bits = BFloat16.rounded(g.uniformFloats(count: t * d))
            let widened = bits.map(BFloat16.float)
            #expect(try gemm.logits(bfloat16Hidden: bits) == gemm.logits(hidden: widened), "T=\(t)")
        }
        // [2, 64] logits 2·24·4 = 192 bytes and the widened copy 2·64·4 = 512 bytes: 703 is too little.
        let two = [UInt16](repeating: 0x3F80, count: 2 * d)
        let refused = Result { () throws(RoutingError) in try gemm.logits(bfloat16Hidden: two, availableMemory: 703) }
        guard case .failure(.insufficientMemory(let memory)) = refused else { Issue.record("\(refused)"); return }
        #expect(memory.bytes == 512 && memory.available == 511)
        #expect(try gemm.logits(bfloat16Hidden: two, availableMemory: 704).count == 2 * e)
        var bad = two
        bad[70] = 0xFF80
        #expect(throws: RoutingError.nonFiniteInput(buffer: "bf16 hidden states", index: 70, value: -.infinity)) {
            try gemm.logits(bfloat16Hidden: bad)
        }
    }

    @Test("NaN and infinite bf16 hidden values: the first one is reported, every kernel and thread count")
    func nonFinite() throws {
        let (t, d, e) = (40, 36, 5)
        var g = SeededGenerator(seed: 22)
        let gemm = try RouterGEMM(gate: g.uniformFloats(count: e * d), experts: e, hiddenSize: d, weightFormat: .bfloat16)
        let clean = BFloat16.rounded(g.uniformFloats(count: t * d))
        // 0x7FC0 quiet NaN, 0x7F81 NaN with the lowest mantissa bit, ±inf; 0x7F7F is the
        // largest finite bf16 (3.39e38) and passes.
        let cases: [(bad: [(index: Int, bits: UInt16)], first: Int)] = [
            ([(0, 0x7FC0)], 0), ([(35, 0x7F80)], 35), ([(37 * d + 5, 0xFF80)], 37 * d + 5),
            ([(20 * d + 3, 0x7F81), (2 * d + 30, 0x7F80)], 2 * d + 30),    // rows 20 and 2: row 2's first
            ([(39 * d + 35, 0xFFC1), (39 * d + 1, 0x7F80)], 39 * d + 1),
        ]
        for kernel in bfloat16Kernels {
            for threads in [1, 5] {
                for (bad, first) in cases {
                    var bits = clean
                    for (index, value) in bad { bits[index] = value }
                    let result = Result { () throws(RoutingError) in try Self.logits(gemm, bits: bits, kernel: kernel, threads: threads) }
                    guard case .failure(.nonFiniteInput(let buffer, let index, let value)) = result else {
                        Issue.record("\(kernel), \(threads) threads, \(bad): \(result)")
                        continue
                    }
                    #expect(buffer == "bf16 hidden states" && index == first, "\(kernel), \(threads) threads")
                    #expect(value.bitPattern == UInt32(bits[first]) << 16, "\(kernel), \(threads) threads")
                }
            }
            var largest = clean
            largest[7] = 0x7F7F
            largest[8] = 0xFF7F
            #expect(try Self.logits(gemm, bits: largest, kernel: kernel).count == t * e)
        }
        #expect(throws: RoutingError.nonFiniteInput(buffer: "bf16 hidden states", index: 3, value: .infinity)) {
            try gemm.logits(bfloat16Hidden: [0x3F80, 0, 0, 0x7F80] + [UInt16](repeating: 0, count: d - 4))
        }
    }

    @Test("Wrong sizes are typed errors")
    func sizes() throws {
        let gemm = try RouterGEMM(gate: [Float](repeating: 0.5, count: 3 * 4), experts: 3, hiddenSize: 4, weightFormat: .bfloat16)
        #expect(throws: RoutingError.raggedBuffer(buffer: "bf16 hidden states", count: 7, rowLength: 4)) {
            try gemm.logits(bfloat16Hidden: [UInt16](repeating: 0, count: 7))
        }
        let hidden = [UInt16](repeating: 0x3F80, count: 8)
        var logits = [Float](repeating: 0, count: 5)
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "logits", expected: 6, actual: 5)) {
            try hidden.withUnsafeBufferPointer { h in
                try logits.withUnsafeMutableBufferPointer { try gemm.logits(bfloat16Hidden: h, into: $0) }
            }
        }
        // 1.0 · 0.5 · 4 = 2 for each of 2 tokens and 3 experts.
        #expect(try gemm.logits(bfloat16Hidden: hidden) == [Float](repeating: 2, count: 6))
        #expect(try gemm.logits(bfloat16Hidden: []).isEmpty)
    }
}
