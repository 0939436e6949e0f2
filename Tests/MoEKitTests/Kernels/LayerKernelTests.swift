//===--- LayerKernelTests.swift - SwiGLU kernel against libm --------------===//

import Foundation
import Testing
import _MoEKitKernels
@testable import MoEKit

@Suite("Layer kernels")
struct LayerKernelTests {
    @Test("SwiGLU: silu(g) · u within 6e-7 relative of libm in double, limits included")
    func swiglu() {
        var g = SeededGenerator(seed: 12)
        let rows = 3, width = 37
        var gateUp = g.uniformFloats(count: rows * 2 * width, scale: 12)
        let special: [Float] = [-200, -100, -88.8, -20, -1e-30, 0, 1e-30, 20, 88.8, 100, 200, -1e30, 1e30]
        for (i, v) in special.enumerated() { gateUp[i] = v }
        var out = [Float](repeating: .nan, count: rows * width)
        moekit_swiglu(gateUp, rows, width, &out)
        for r in 0..<rows {
            for i in 0..<width {
                let x = Double(gateUp[r * 2 * width + i]), u = Double(gateUp[r * 2 * width + width + i])
                let want = x / (1 + exp(-x)) * u
                let got = Double(out[r * width + i])
                #expect(abs(got - want) <= 6e-7 * abs(want) + 1e-37, "silu(\(x)) · \(u) = \(got), want \(want)")
            }
        }
    }
}
