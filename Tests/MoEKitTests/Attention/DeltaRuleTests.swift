//===--- DeltaRuleTests.swift - Gated delta-rule FLOPs by hand ------------===//

import Testing
@testable import MoEKit

@Suite("Delta rule")
struct DeltaRuleTests {
    /// F(c) = c²·(6·d_k + 4·d_v) + c³/3 + 6·c·d_k·d_v + d_k·d_v, written out for d_k = d_v = 128:
    /// F(64) = 4,096·1,280 + 262,144/3 + 6·64·16,384 + 16,384 = 5,242,880 + 87,381.3 + 6,291,456 + 16,384.
    @Test func chunkByHand() {
        let f64: Double = 5_242_880 + 262_144.0 / 3 + 6_291_456 + 16_384
        let f36: Double = 1_658_880 + 15_552 + 3_538_944 + 16_384
        #expect(DeltaRule.chunkFlops(64, keyDim: 128, valueDim: 128) == f64)
        #expect(DeltaRule.chunkFlops(36, keyDim: 128, valueDim: 128) == f36)
        #expect(DeltaRule.chunkFlops(0, keyDim: 128, valueDim: 128) == 0)
        // d_k ≠ d_v: c = 2, d_k = 3, d_v = 5: 4·(18 + 20) + 8/3 + 6·2·15 + 15.
        let small: Double = 152 + 8.0 / 3 + 180 + 15
        #expect(DeltaRule.chunkFlops(2, keyDim: 3, valueDim: 5) == small)
        #expect(DeltaRule.decodeFlops(keyDim: 128, valueDim: 128) == 7 * 16_384)
    }

    /// The closed form against a loop that walks the prompt in chunks of 64.
    @Test(arguments: [1, 63, 64, 65, 100, 128, 1_000, 4_097])
    func prefillIsTheSumOverChunks(n: Int) {
        var brute = 0.0, start = 0
        while start < n {
            let length = min(64, n - start)
            brute += DeltaRule.chunkFlops(length, keyDim: 128, valueDim: 64)
            start += length
        }
        let closed = DeltaRule.prefillFlops(tokens: n, keyDim: 128, valueDim: 64)
        #expect(abs(closed - brute) <= 1e-12 * brute)
    }

    /// Linear in the prompt: 2^40 tokens are 2^34 chunks of F(64), exactly.
    @Test func prefillIsLinear() {
        let f = DeltaRule.chunkFlops(64, keyDim: 128, valueDim: 128)
        #expect(DeltaRule.prefillFlops(tokens: 1 << 40, keyDim: 128, valueDim: 128) == Double(1 << 34) * f)
        #expect(DeltaRule.prefillFlops(tokens: 128, keyDim: 128, valueDim: 128) == 2 * f)
    }

    @Test func convolution() {
        // 8,192 channels, 4 taps: 65,536 FLOPs per token; state 8,192·3·2 = 49,152 B.
        #expect(DeltaRule.convolutionFlops(channels: 8_192, kernel: 4) == 65_536)
        #expect(DeltaRule.convolutionStateBytes(channels: 8_192, kernel: 4) == 49_152)
        #expect(DeltaRule.convolutionStateBytes(channels: 8_192, kernel: 1) == 0)
    }
}
