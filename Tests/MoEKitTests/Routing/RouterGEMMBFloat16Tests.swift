//===--- RouterGEMMBFloat16Tests.swift - The bf16 router GEMM -------------===//

import Testing
@testable import MoEKit

/// The kernels this machine can run: the portable one always, AVX512-BF16 where present.
let bfloat16Kernels = BFloat16.Kernel.allCases.filter(\.isAvailable)

/// logits [T, E] in float64 from bf16-rounded hidden states and gate.
func float64Logits(hidden: [Float], gate: [Float], tokens: Int, experts: Int, d: Int) -> [Double] {
    let h = BFloat16.rounded(hidden).map { Double(BFloat16.float($0)) }
    let w = BFloat16.rounded(gate).map { Double(BFloat16.float($0)) }
    var out = [Double](repeating: 0, count: tokens * experts)
    for t in 0..<tokens {
        for e in 0..<experts {
            var s = 0.0
            for i in 0..<d { s += h[t * d + i] * w[e * d + i] }
            out[t * experts + e] = s
        }
    }
    return out
}

@Suite("bf16 router GEMM")
struct RouterGEMMBFloat16Tests {
    @Test("Round to nearest even, hand-worked")
    func rounding() {
        // 1 + 2^-8 lies halfway between 1 (0x3F80, even) and 1 + 2^-7 (0x3F81): to 0x3F80.
        // 1 + 3·2^-8 lies halfway between 0x3F81 (odd) and 1 + 2^-6 (0x3F82): to 0x3F82.
        // 1 + 2^-8 + 2^-20 is above halfway: up to 0x3F81. -2.5 = 0xC020 exactly.
        // 3.4e38 is above the largest bf16 (0x7F7F = 3.3895e38) by more than half an ulp: inf.
        // 2^-130 is the float32 subnormal 0x00080000 (2^19 · 2^-149): bf16 0x0008, exact.
        let values: [Float] = [1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20, -2.5, 3.4e38, -0.0, 0x1p-130]
        let expected: [UInt16] = [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0xC020, 0x7F80, 0x8000, 0x0008]
        #expect(BFloat16.rounded(values) == expected)
        let nan = BFloat16.rounded([.nan])[0]
        #expect(BFloat16.float(nan).isNaN)
        #expect(BFloat16.firstNonFinite([0x3F80, 0x7F80, 0x7FC0]) == 1)
        #expect(BFloat16.firstNonFinite([0x3F80, 0xFF7F]) == nil)
        #expect(BFloat16.float(0xC020) == -2.5)
    }

    /// T 1…300, d multiple and not multiple of 32 (odd included), E 2…1024.
    static let shapes: [(t: Int, d: Int, e: Int)] = [
        (1, 1, 2), (1, 64, 384), (2, 31, 3), (7, 32, 33), (8, 33, 64), (9, 100, 100), (17, 1027, 31),
        (64, 7, 1024), (300, 96, 40), (33, 1100, 257),
    ]

    @Test("Logits within 1e-2 relative or 1e-3 absolute of float64, every kernel", arguments: shapes.indices)
    func againstFloat64(_ i: Int) throws {
        let (t, d, e) = Self.shapes[i]
        var g = SeededGenerator(seed: UInt64(i) + 40)
        let hidden = g.uniformFloats(count: t * d), gate = g.uniformFloats(count: e * d, scale: 3 / Float(d).squareRoot())
        let exact = float64Logits(hidden: hidden, gate: gate, tokens: t, experts: e, d: d)
        let gemm = try RouterGEMM(gate: gate, experts: e, hiddenSize: d, weightFormat: .bfloat16)
        #expect(gemm.gate.isEmpty && gemm.weightFormat == .bfloat16)
        var results: [BFloat16.Kernel: [Float]] = [:]
        for kernel in bfloat16Kernels {
            var logits = [Float](repeating: .nan, count: t * e)
            try hidden.withUnsafeBufferPointer { h in
                try logits.withUnsafeMutableBufferPointer { try gemm.logits(hidden: h, into: $0, bfloat16Kernel: kernel) }
            }
            var worst = 0.0
            for j in logits.indices {
                let error = abs(Double(logits[j]) - exact[j])
                if error > 1e-3 { worst = max(worst, error / abs(exact[j])) }
            }
            #expect(worst <= 1e-2, "\(kernel) T=\(t) d=\(d) E=\(e): relative error \(worst)")
            results[kernel] = logits
        }
        // AVX512-BF16 and portable sum in the same order; with no subnormal values they agree
        // bit for bit (AMX sums in its own order).
        if let a = results[.avx512bf16], let b = results[.portable] { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
        #expect(results[.portable] != nil)
    }

    @Test("A token's logits do not depend on its batch or the thread count", arguments: bfloat16Kernels)
    func batchInvariance(_ kernel: BFloat16.Kernel) throws {
        let (t, d, e) = (203, 130, 70)
        var g = SeededGenerator(seed: 9)
        let hidden = g.uniformFloats(count: t * d)
        let gemm = try RouterGEMM(gate: g.uniformFloats(count: e * d, scale: 0.2), experts: e, hiddenSize: d,
                                  weightFormat: .bfloat16)
        func logits(_ rows: Range<Int>, threads: Int) throws -> [Float] {
            var out = [Float](repeating: 0, count: rows.count * e)
            let h = Array(hidden[(rows.lowerBound * d)..<(rows.upperBound * d)])
            try h.withUnsafeBufferPointer { h in
                try out.withUnsafeMutableBufferPointer { try gemm.logits(hidden: h, into: $0, bfloat16Kernel: kernel, threads: threads) }
            }
            return out
        }
        let whole = try logits(0..<t, threads: 1)
        #expect(try logits(0..<t, threads: 3).map(\.bitPattern) == whole.map(\.bitPattern))
        #expect(try logits(0..<t, threads: 8).map(\.bitPattern) == whole.map(\.bitPattern))
        for token in [0, 5, 101, 202] {
            let alone = try logits(token..<(token + 1), threads: 1)
            #expect(alone.map(\.bitPattern) == whole[(token * e)..<((token + 1) * e)].map(\.bitPattern), "token \(token)")
        }
        let middle = try logits(13..<50, threads: 2)
        #expect(middle.map(\.bitPattern) == whole[(13 * e)..<(50 * e)].map(\.bitPattern))
    }

    @Test("A raw bf16 gate equals the rounded float32 gate; the gate bias is added")
    func rawGateAndBias() throws {
        let (t, d, e) = (5, 40, 9)
        var g = SeededGenerator(seed: 10)
        let hidden = g.uniformFloats(count: t * d), gate = g.uniformFloats(count: e * d)
        let bias = g.uniformFloats(count: e)
        let fromFloat = try RouterGEMM(gate: gate, experts: e, hiddenSize: d, gateBias: bias, weightFormat: .bfloat16)
        let fromBits = try RouterGEMM(bfloat16Gate: BFloat16.rounded(gate), experts: e, hiddenSize: d, gateBias: bias)
        let a = try fromFloat.logits(hidden: hidden), b = try fromBits.logits(hidden: hidden)
        #expect(a == b)
        let noBias = try RouterGEMM(gate: gate, experts: e, hiddenSize: d, weightFormat: .bfloat16).logits(hidden: hidden)
        for j in a.indices { #expect(a[j] == noBias[j] + bias[j % e]) }
    }

    @Test("Experts chosen from bf16 logits equal those of a float32 GEMM of the same rounded inputs, outside near ties")
    func chosenExperts() throws {
        let (t, d) = (256, 512)
        let config = try RouterConfiguration.kimiK2
        var g = SeededGenerator(seed: 11)
        let hidden = g.uniformFloats(count: t * d), gate = g.uniformFloats(count: config.experts * d, scale: 3 / Float(d).squareRoot())
        let bias = g.uniformFloats(count: config.experts, scale: 0.05)
        let router = try Router(config, correctionBias: bias)
        let bf16 = try router.route(hidden: hidden, gemm: RouterGEMM(gate: gate, experts: 384, hiddenSize: d, weightFormat: .bfloat16))
        let rounded = { (x: [Float]) in BFloat16.rounded(x).map(BFloat16.float) }
        let fp32 = try router.route(hidden: rounded(hidden), gemm: RouterGEMM(gate: rounded(gate), experts: 384, hiddenSize: d))
        var differing = 0
        for token in 0..<t where Set(bf16.experts(ofToken: token)) != Set(fp32.experts(ofToken: token)) { differing += 1 }
        // Only float32 summation order separates the two: a differing token is a near tie.
        #expect(differing * 100 <= t, "\(differing) of \(t) tokens differ")
    }

    @Test("Bad input: wrong size, NaN or infinite bf16 gate, values that overflow bf16, non-finite hidden states")
    func badInput() throws {
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "gate weight", expected: 12, actual: 11)) {
            try RouterGEMM(bfloat16Gate: [UInt16](repeating: 0x3F80, count: 11), experts: 3, hiddenSize: 4)
        }
        #expect(throws: RoutingError.self) {
            try RouterGEMM(bfloat16Gate: [0x3F80, 0x7FC0, 0, 0], experts: 1, hiddenSize: 4)
        }
        #expect(throws: RoutingError.nonFiniteInput(buffer: "bf16 gate weight", index: 2, value: -.infinity)) {
            try RouterGEMM(bfloat16Gate: [0x3F80, 0, 0xFF80, 0], experts: 1, hiddenSize: 4)
        }
        #expect(throws: RoutingError.nonFiniteInput(buffer: "gate weight (rounds to infinity in bf16)", index: 1, value: 3.4e38)) {
            try RouterGEMM(gate: [1, 3.4e38, 0, 0], experts: 1, hiddenSize: 4, weightFormat: .bfloat16)
        }
        let gemm = try RouterGEMM(gate: [Float](repeating: 0.5, count: 3 * 4), experts: 3, hiddenSize: 4, weightFormat: .bfloat16)
        for kernel in bfloat16Kernels {
            for (index, value) in [(9, Float.nan), (13, Float.infinity), (6, Float(3.4e38))] {
                var hidden = [Float](repeating: 1, count: 5 * 4)
                hidden[index] = value
                var logits = [Float](repeating: 0, count: 5 * 3)
                let result = Result { () throws(RoutingError) in
                    try hidden.withUnsafeBufferPointer { (h) throws(RoutingError) in
                        try logits.withUnsafeMutableBufferPointer { (l) throws(RoutingError) in
                            try gemm.logits(hidden: h, into: l, bfloat16Kernel: kernel)
                        }
                    }
                }
                guard case .failure(.nonFiniteInput(let buffer, let i, let v)) = result else {
                    Issue.record("\(kernel): \(value) at \(index) gave \(result)")
                    continue
                }
                #expect(buffer == "hidden states" && i == index && v.bitPattern == value.bitPattern, "\(kernel)")
            }
        }
        // One expert of d = 1000 packs into a 32-expert panel: 32 · 512 words (64 KiB) plus
        // the 2 KB bf16 copy; a budget of 2·E·d = 2000 bytes is refused before allocating.
        #expect(throws: RoutingError.self) {
            try RouterGEMM(gate: [Float](repeating: 0.5, count: 1000), experts: 1, hiddenSize: 1000,
                           weightFormat: .bfloat16, availableMemory: 2000)
        }
        _ = try RouterGEMM(gate: [Float](repeating: 0.5, count: 1000), experts: 1, hiddenSize: 1000,
                           weightFormat: .bfloat16, availableMemory: 4 * 32 * 512 + 2000)
        #expect(throws: RoutingError.raggedBuffer(buffer: "hidden states", count: 7, rowLength: 4)) {
            try gemm.logits(hidden: [Float](repeating: 0, count: 7))
        }
    }

    @Test("The one-token router allocates nothing with either gate format")
    func singleTokenPathRuns() throws {
        let d = 256
        var g = SeededGenerator(seed: 12)
        let gate = g.uniformFloats(count: 384 * d, scale: 0.1)
        let router = try Router(.kimiK2, correctionBias: g.uniformFloats(count: 384, scale: 0.05))
        let hidden = g.uniformFloats(count: d)
        for format in RouterGEMM.WeightFormat.allCases {
            let gemm = try RouterGEMM(gate: gate, experts: 384, hiddenSize: d, weightFormat: format)
            let batch = try router.route(hidden: hidden, gemm: gemm)
            #expect(batch.tokens == 1 && Set(batch.indices).count == 8)
        }
    }
}
