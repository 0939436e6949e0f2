//===--- RouterCostTests.swift - The router projected onto a device -------===//

import Foundation
import Testing
@testable import MoEKit

/// A device whose achieved rates are round: BF16 2 TFLOP/s × 0.5 = 1 TFLOP/s; HBM 0.2 TB/s ×
/// 0.5 = 0.1 TB/s (ridge point 10 FLOP/B); 1 µs per kernel launch. Its FP8 and the other factors
/// are there to show the router does not use them.
private func routerDevice(price: Double = 3.6) -> Accelerator {
    Accelerator(name: "rt", summary: "router test device", peakFlops: [.bf16: 2e12, .fp8: 8e12], hbmCapacity: 1e9,
                hbmBandwidth: 2e11, scaleUp: Interconnect(bandwidth: 1e11, latency: 1e-6, domainSize: 8),
                scaleOut: Interconnect(bandwidth: 1e10, latency: 1e-5, domainSize: .max), tdp: 0, pricePerHour: price,
                efficiency: ServingEfficiency(compute: [.bf16: 0.5, .fp8: 0.9], attention: 0.7, memory: 0.5, scaleUp: 1,
                                              scaleOut: 1, kernelOverhead: 1e-6, usableMemory: 1),
                cacheTier: CacheTier(name: "tier", bandwidth: 1e9))
}

@Suite("Router cost projection")
struct RouterCostTests {
    /// E = 64 experts, d = 1024, k = 4, T = 1024 tokens: 2·1024·64·1024 = 134,217,728 FLOPs
    /// (134.2 µs at 1 TFLOP/s) against 64·1024·2 + 1024·1024·2 + 1024·64·4 = 2,490,368 B
    /// (24.9 µs at 0.1 TB/s): compute-bound.
    @Test func computeBoundGEMM() {
        let cost = RouterCost(experts: 64, topK: 4, hiddenSize: 1024, tokens: 1024, accelerator: routerDevice())
        let gemm = 134_217_728 / 1e12 + 1e-6
        #expect(abs(cost.gemmSeconds - gemm) <= 1e-15)
        #expect(abs(cost.gemmSeconds - 135.217728e-6) <= 1e-15)
        // Routing reads the FP32 logits (1024·64·4 = 262,144 B) and writes 1024·4 index+weight
        // pairs (8 B each: 32,768 B): 294,912 B at 0.1 TB/s, plus a launch.
        let routing = 294_912 / 1e11 + 1e-6
        #expect(abs(cost.routingSeconds - routing) <= 1e-15)
        #expect(abs(cost.routingSeconds - 3.94912e-6) <= 1e-15)
        #expect(abs(cost.secondsPerToken - (gemm + routing) / 1024) <= 1e-18)
        #expect(abs(cost.secondsPerToken - 135.905125e-9) <= 1e-18)
        #expect(cost.tokens == 1024)
    }

    /// One token: 2·64·1024 = 131,072 FLOPs (0.131 µs) against 131,072 + 2,048 + 256 = 133,376 B
    /// (1.334 µs): memory-bound, the gate's bytes dominate.
    @Test func memoryBoundGEMM() {
        let cost = RouterCost(experts: 64, topK: 4, hiddenSize: 1024, tokens: 1, accelerator: routerDevice())
        #expect(abs(cost.gemmSeconds - (133_376 / 1e11 + 1e-6)) <= 1e-18)
        #expect(abs(cost.gemmSeconds - 2.33376e-6) <= 1e-18)
        // 256 B of logits + 32 B of indices and weights.
        #expect(abs(cost.routingSeconds - (288 / 1e11 + 1e-6)) <= 1e-18)
        #expect(abs(cost.secondsPerToken - 3.33664e-6) <= 1e-18)
    }

    /// Doubling the memory efficiency halves only the bandwidth terms.
    @Test func factorsAreApplied() {
        var device = routerDevice()
        device.efficiency.memory = 1
        let cost = RouterCost(experts: 64, topK: 4, hiddenSize: 1024, tokens: 1, accelerator: device)
        #expect(abs(cost.gemmSeconds - (133_376 / 2e11 + 1e-6)) <= 1e-18)
        device.efficiency.kernelOverhead = 0
        let bare = RouterCost(experts: 64, topK: 4, hiddenSize: 1024, tokens: 1024, accelerator: device)
        #expect(abs(bare.gemmSeconds - 134_217_728 / 1e12) <= 1e-15)
        #expect(abs(bare.routingSeconds - 294_912 / 2e11) <= 1e-18)
    }

    /// Amortised over more tokens, the gate read and the launches cost less per token.
    @Test func perTokenCostFallsWithTokens() {
        let device = routerDevice()
        var last = Double.infinity
        for t in [1, 4, 16, 64, 256, 1024, 4096] {
            let s = RouterCost(experts: 64, topK: 4, hiddenSize: 1024, tokens: t, accelerator: device).secondsPerToken
            #expect(s < last, "T = \(t)")
            last = s
        }
    }

    /// $3.6 per hour is $0.001 per second. 2.5e-7 s per token per layer × 60 layers = 15 µs per
    /// token: $1.5e-8 per token, $0.015 per million.
    @Test func dollarsPerMillionTokens() {
        #expect(abs(RouterCost.dollarsPerMillionTokens(secondsPerToken: 2.5e-7, layers: 60, pricePerHour: 3.6) - 0.015) < 1e-15)
        #expect(RouterCost.dollarsPerMillionTokens(secondsPerToken: 1, layers: 1, pricePerHour: 3600) == 1e6)
        #expect(RouterCost.dollarsPerMillionTokens(secondsPerToken: 1e-6, layers: 58, pricePerHour: 0) == 0)
        let cost = RouterCost(experts: 64, topK: 4, hiddenSize: 1024, tokens: 1, accelerator: routerDevice())
        // 3.33664 µs per token per layer × 2 layers × $0.001 per second × 10⁶ = $0.00667328.
        #expect(abs(cost.dollarsPerMillionTokens(layers: 2, pricePerHour: 3.6) - 0.00667328) < 1e-15)
    }

    /// On a preset: H200's BF16 989 TFLOP/s × 0.30 and 4.8 TB/s × 0.80, 2 µs launches.
    @Test func h200Preset() throws {
        let h200 = try Accelerator.preset(named: "h200")
        // Kimi K2 router, decode: 64 tokens × 384 experts × 7168: 2·64·384·7168 = 352,321,536 FLOPs
        // at 296.7 TFLOP/s = 1.187 µs, against 384·7168·2 + 64·7168·2 + 64·384·4 = 6,520,832 B at
        // 3.84 TB/s = 1.698 µs: memory-bound.
        let cost = RouterCost(experts: 384, topK: 8, hiddenSize: 7168, tokens: 64, accelerator: h200)
        #expect(abs(cost.gemmSeconds - (6_520_832 / 3.84e12 + 2e-6)) <= 1e-15)
        #expect(abs(cost.routingSeconds - ((64 * 384 * 4 + 64 * 8 * 8) / 3.84e12 + 2e-6)) <= 1e-15)
    }
}
