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

    /// F(c) re-derived as a ledger of the kernels fla's `chunk_gated_delta_rule` runs per head
    /// and chunk (fla-org/flash-linear-attention `fla/ops/gated_delta_rule/chunk.py`: the
    /// `chunk_scaled_dot_kkt`, `solve_tril`, `recompute_w_u`, `chunk_gated_delta_rule_fwd_h`
    /// and `chunk_fwd_o` steps), each matmul `[m, k]·[k, n]` costing `2·m·n·k`; the
    /// triangular inverse `c³/3`; the state decay `d_k·d_v`. Summed independently of the
    /// closed form.
    @Test(arguments: [(64, 128, 128), (64, 128, 256), (17, 96, 64), (1, 8, 8)])
    func chunkLedger(c: Int, dk: Int, dv: Int) {
        func mm(_ m: Int, _ k: Int, _ n: Int) -> Double { 2 * Double(m) * Double(k) * Double(n) }
        let ledger: [Double] = [
            mm(c, dk, c),              // A = β·K·Kᵀ (chunk_scaled_dot_kkt)
            Double(c * c * c) / 3,     // (I + A)⁻¹, unit lower-triangular (solve_tril)
            mm(c, c, dk),              // W = T·(β·K)   (recompute_w_u)
            mm(c, c, dv),              // U = T·(β·V)
            mm(c, dk, dv),             // V_new = U − W·S   (fwd_h)
            Double(dk * dv),           // S ← γ·S
            mm(dk, c, dv),             // S += Kᵀ·V_new
            mm(c, dk, dv),             // O = Q·S   (fwd_o)
            mm(c, dk, c),              // Q·Kᵀ (masked)
            mm(c, c, dv),              // + (Q·Kᵀ ⊙ M)·V_new
        ]
        let total = ledger.reduce(0, +)
        #expect(abs(DeltaRule.chunkFlops(c, keyDim: dk, valueDim: dv) - total) <= 1e-12 * total)
        // Decode: γ·S, Sᵀk, S += k·δᵀ, Sᵀq.
        let decode = Double(dk * dv) + mm(1, dk, dv) + mm(dk, 1, dv) + mm(1, dk, dv)
        #expect(DeltaRule.decodeFlops(keyDim: dk, valueDim: dv) == decode)
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
        #expect(DeltaRule.prefillFlops(tokens: 0, keyDim: 128, valueDim: 128) == 0)
        #expect(DeltaRule.prefillFlops(tokens: -5, keyDim: 128, valueDim: 128) == 0)
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
