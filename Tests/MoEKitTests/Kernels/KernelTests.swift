//===--- KernelTests.swift - The C row kernels against libm ---------------===//

import Foundation
import Testing
import _MoEKitKernels
@testable import MoEKit

@Suite("Row kernels")
struct KernelTests {
    @Test("exp: relative error below 2.5e-7 over the whole range, subnormals included")
    func exponential() {
        var worst = 0.0
        var x: Float = -103.9
        while x < 88.7 {
            let got = Double(moekit_exp(x)), want = exp(Double(x))
            // Below 2^-126 the result is subnormal: allow half an ulp of the subnormal spacing.
            let tolerance = max(2.5e-7 * want, Double(Float.leastNonzeroMagnitude))
            if abs(got - want) > tolerance { Issue.record("exp(\(x)) = \(got), want \(want)") }
            if want > Double(Float.leastNormalMagnitude) { worst = max(worst, abs(got - want) / want) }
            x += 0.0137
        }
        #expect(worst < 2.5e-7)
        #expect(moekit_exp(-200) == 0)
        #expect(moekit_exp(-104) == 0)
        #expect(moekit_exp(89) == .infinity)
        #expect(moekit_exp(0) == 1)
    }

    @Test("sigmoid, sqrt-softplus and softmax match libm in double within 4e-7")
    func scoring() {
        var g = SeededGenerator(seed: 4)
        let n = 1000
        let x = (0..<n).map { i in i < 20 ? [Float(-120), -100, -90, -88, -20, -17, 0, 17, 20, 88, 90, 100, 120, 1e30, -1e30, 5e-8, -5e-8, 1e-30, 30, -30][i] : 30 * g.nextSignedUnitFloat() }
        var scores = [Float](repeating: 0, count: n), keys = [Float](repeating: 0, count: n)
        #expect(moekit_sigmoid(x, nil, &scores, &keys, n) == 0)
        for i in 0..<n {
            let want = 1 / (1 + exp(-Double(x[i])))
            #expect(abs(Double(scores[i]) - want) <= 4e-7 * want + 1e-45, "sigmoid(\(x[i]))")
        }
        #expect(moekit_sqrt_softplus(x, nil, &scores, &keys, n) == 0)
        for i in 0..<n {
            let d = Double(x[i])
            let want = (max(d, 0) + log1p(exp(-abs(d)))).squareRoot()
            #expect(abs(Double(scores[i]) - want) <= 4e-7 * want + 1e-30, "sqrtsoftplus(\(x[i]))")
        }
        let row = Array(x[20..<276])
        var p = [Float](repeating: 0, count: row.count)
        #expect(moekit_softmax(row, &p, row.count) == 0)
        // exp(x - max) with the subtraction in float32, as every float32 softmax computes it.
        let m = row.max()!
        let total = row.reduce(0.0) { $0 + exp(Double($1 - m)) }
        for i in row.indices {
            let want = exp(Double(row[i] - m)) / total
            #expect(abs(Double(p[i]) - want) <= 1e-6 * want + 1e-30)
        }
        #expect(abs(Double(moekit_exp_sum(row, m, row.count)) - total) <= 1e-6 * total)
        var big = [Float](repeating: 1, count: 40)
        big[33] = .nan
        #expect(moekit_sigmoid(big, nil, &scores, &keys, 40) == 1)
        #expect(moekit_softmax(big, &p, 40) == 1)
        #expect(moekit_nonfinite(big, 40) == 1)
        var top = [Int32](repeating: -1, count: 4), values = [Float](repeating: 0, count: 4)
        var rowMax: Float = 0
        #expect(moekit_topk_finite(big, 40, 4, &top, &values, &rowMax) == 1)
        big[33] = 7
        #expect(moekit_topk_finite(big, 40, 4, &top, &values, &rowMax) == 0)
        #expect(rowMax == 7 && top == [33, 0, 1, 2])
    }

    @Test("top-k: every k and length against a sort, with duplicates", arguments: [1, 2, 5, 8, 13, 16, 17, 40])
    func topK(k: Int) {
        var g = SeededGenerator(seed: UInt64(k))
        for n in [k, k + 1, 31, 32, 33, 47, 64, 100, 129, 384, 1024] where n >= k {
            for trial in 0..<20 {
                // Trials alternate between distinct values and heavy duplication.
                let x: [Float] = (0..<n).map { _ in
                    trial % 2 == 0 ? g.nextSignedUnitFloat() : Float(Int(g.next() % 5)) - 2
                }
                let want = (0..<n).sorted { x[$0] != x[$1] ? x[$0] > x[$1] : $0 < $1 }.prefix(k).map(Int32.init)
                var got = [Int32](repeating: -1, count: k), values = [Float](repeating: 0, count: k)
                moekit_topk(x, n, k, &got, &values)
                #expect(got == want, "n=\(n) k=\(k) trial \(trial)")
                #expect(values == want.map { x[Int($0)] })
            }
        }
        // More equal keys than the candidate buffer holds: the exact fallback path.
        let flat = [Float](repeating: 1, count: 300)
        var got = [Int32](repeating: -1, count: k), values = [Float](repeating: 0, count: k)
        moekit_topk(flat, 300, k, &got, &values)
        #expect(got == (0..<Int32(k)).map { $0 })
    }

    /// The top k of `x` by sorting: descending keys, NaN below every number, ties (NaN
    /// included) by ascending index.
    static func sortedTopK(_ x: [Float], _ k: Int) -> [Int32] {
        let order = x.indices.sorted { a, b in
            switch (x[a].isNaN, x[b].isNaN) {
            case (false, false): return x[a] != x[b] ? x[a] > x[b] : a < b
            case (true, true): return a < b
            case (let aNaN, _): return !aNaN
            }
        }
        return order.prefix(k).map(Int32.init)
    }

    @Test("top-k: k above 16 (heap selection) against a sort, with duplicates", arguments: [17, 31, 100, 1000, 4096])
    func largeTopK(k: Int) {
        var g = SeededGenerator(seed: UInt64(k) &+ 11)
        for n in [k, k + 1, 2 * k + 3, 5000] where n >= k {
            for trial in 0..<4 {
                let x: [Float] = (0..<n).map { _ in
                    trial % 2 == 0 ? g.nextSignedUnitFloat() : Float(Int(g.next() % 7)) - 3
                }
                var got = [Int32](repeating: -1, count: k), values = [Float](repeating: 0, count: k)
                #expect(moekit_topk(x, n, k, &got, &values) == MOEKIT_OK)
                let want = Self.sortedTopK(x, k)
                #expect(got == want, "n=\(n) k=\(k) trial \(trial)")
                #expect(values == want.map { x[Int($0)] })
            }
        }
        // Ascending keys, the worst case for insertion: every key enters the selection.
        let ascending = (0..<20_000).map(Float.init)
        var got = [Int32](repeating: -1, count: k), values = [Float](repeating: 0, count: k)
        #expect(moekit_topk(ascending, ascending.count, k, &got, &values) == MOEKIT_OK)
        #expect(got == (0..<Int32(k)).map { 19_999 - $0 })
    }

    @Test("top-k: NaN keys rank below every number; all k slots are written", arguments: [1, 3, 8, 16, 17, 40])
    func nanKeys(k: Int) {
        var g = SeededGenerator(seed: 5)
        for n in [k, 31, 32, 64, 300] where n >= k {
            for nanShare in [1, 3, 10] {
                // Row layouts: NaN scattered, NaN at the start (the first vector's lanes), all NaN.
                let layouts: [[Float]] = [
                    (0..<n).map { i in (i * 7 + nanShare) % nanShare == 0 ? .nan : g.nextSignedUnitFloat() },
                    (0..<n).map { i in i < 16 ? .nan : g.nextSignedUnitFloat() },
                    (0..<n).map { i in i % nanShare == 0 ? .nan : -.infinity },
                    [Float](repeating: .nan, count: n),
                ]
                for x in layouts {
                    var got = [Int32](repeating: -7, count: k), values = [Float](repeating: 42, count: k)
                    #expect(moekit_topk(x, n, k, &got, &values) == MOEKIT_OK)
                    let want = Self.sortedTopK(x, k)
                    #expect(got == want, "n=\(n) k=\(k)")
                    #expect(zip(values, want).allSatisfy { v, i in v.bitPattern == x[Int(i)].bitPattern })
                }
            }
        }
    }

    @Test("Selection entry points refuse k = 0, k > n and null buffers, writing nothing")
    func invalidArguments() {
        let x: [Float] = (0..<64).map(Float.init)
        var got = [Int32](repeating: -7, count: 70), values = [Float](repeating: 42, count: 70)
        var rowMax: Float = 42
        var scratch = [Float](repeating: 0, count: 256)
        #expect(moekit_topk(x, 64, 0, &got, &values) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_topk(x, 64, 65, &got, &values) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_topk(x, 0, 1, &got, &values) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_topk(nil, 64, 4, &got, &values) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_topk(x, 64, 4, nil, &values) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_topk_finite(x, 64, 0, &got, &values, &rowMax) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_topk_finite(x, 64, 4, &got, &values, nil) == MOEKIT_INVALID_ARGUMENT)
        // groups must divide n; kept in 1...groups; k within the kept groups' experts; rule 0 or 1.
        #expect(moekit_group_limited_topk(x, 64, 0, 1, 0, 4, &got, &values, &scratch) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_group_limited_topk(x, 64, 5, 1, 0, 4, &got, &values, &scratch) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_group_limited_topk(x, 64, 8, 0, 0, 4, &got, &values, &scratch) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_group_limited_topk(x, 64, 8, 9, 0, 4, &got, &values, &scratch) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_group_limited_topk(x, 64, 8, 1, 0, 9, &got, &values, &scratch) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_group_limited_topk(x, 64, 8, 1, 2, 4, &got, &values, &scratch) == MOEKIT_INVALID_ARGUMENT)
        #expect(moekit_sigmoid(x, x, &values, nil, 64) == MOEKIT_INVALID_ARGUMENT)
        #expect(got.allSatisfy { $0 == -7 } && values.allSatisfy { $0 == 42 } && rowMax == 42)
        // The valid call next to them: group 7 (keys 56...63) is best, then group 6.
        #expect(moekit_group_limited_topk(x, 64, 8, 2, 1, 9, &got, &values, &scratch) == MOEKIT_OK)
        #expect(Array(got.prefix(9)) == [63, 62, 61, 60, 59, 58, 57, 56, 55])
    }

    @Test("read_sum: an unaligned or empty buffer gives the plain sum")
    func readSumAlignment() {
        let x = [Float](repeating: 0.5, count: 1000)
        x.withUnsafeBufferPointer { p in
            #expect(moekit_read_sum(p.baseAddress! + 1, 999) == 499.5)
        }
        #expect(moekit_read_sum(nil, 0) == 0)
    }
}
