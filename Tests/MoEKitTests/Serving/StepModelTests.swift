import Foundation
import Testing
@testable import MoEKit

/// A two-layer toy model and a toy accelerator whose terms are worked out by hand below.
///
/// Model: h = 64, vocab 100 (untied), GQA 4 query heads / 2 KV heads of 16 dims, layer 0 dense
/// (width 128), layer 1 MoE (E = 4, k = 2, width 32, no shared expert).
/// Device: 1 TFLOP/s BF16, 0.5 TB/s HBM, every efficiency 1, no launch cost, 1 MB usable.
enum Toy {
    static func model() throws -> ModelSpec {
        let attention = GroupedQueryAttention(hiddenSize: 64, queryHeads: 4, kvHeads: 2, headDim: 16, layerKinds: [.full, .full])
        let moe = MixtureOfExperts(router: RouterConfiguration(experts: 4, topK: 2, scoring: .softmax),
                                   sharedExperts: 0, expertIntermediateSize: 32)
        let ffn = FeedForwardSpec(hiddenSize: 64, denseIntermediateSize: 128, moe: moe, layerKinds: [.dense, .moe])
        return try ModelSpec(name: "toy", modelType: "toy", hiddenSize: 64, layerCount: 2, vocabularySize: 100,
                         tiesWordEmbeddings: false, mtpLayerCount: 0, maxContext: 1 << 20, attention: .grouped(attention),
                         feedForward: ffn, serving: ServingDefaults(weights: WeightPrecision(.bf16), kvStorage: KVStorage(), source: "test"))
    }

    static func device(usable: Double = 1e6) -> Accelerator {
        Accelerator(name: "toy", summary: "toy", peakFlops: [.bf16: 1e12], hbmCapacity: usable, hbmBandwidth: 5e11,
                    scaleUp: Interconnect(bandwidth: 1e11, latency: 1e-6, domainSize: 8),
                    scaleOut: Interconnect(bandwidth: 1e10, latency: 1e-5, domainSize: .max), tdp: 0, pricePerHour: 3.6,
                    efficiency: ServingEfficiency(compute: [.bf16: 1], attention: 1, memory: 1, scaleUp: 1, scaleOut: 1,
                                                  kernelOverhead: 0, usableMemory: 1),
                    cacheTier: CacheTier(name: "toy tier", bandwidth: 1e9))
    }

    static func deployment(devices: Int = 1, overlap: Bool = false) -> Deployment {
        Deployment(devices: devices, weights: WeightPrecision(.bf16), kvStorage: KVStorage(), context: 100, overlap: overlap)
    }
}

@Suite struct StepModelTests {
    let flops = 1e12, bandwidth = 5e11

    @Test func decodeStepAtBatchOneMatchesHandWorkedTerms() throws {
        let p = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment())
        let x = try p.decode(batchPerDevice: 1)
        // Attention core per layer: 4·n_h·d_h·n = 4·4·16·100 FLOPs; 100 keys × (2·2·16·2 B).
        let core = max(25_600 / flops, 12_800 / bandwidth)
        // Projections: 64·64 + 2·64·32 + 64·64 = 12,288 parameters, BF16.
        let projection = max(2 * 12_288 / flops, 12_288 * 2 / bandwidth)
        #expect(abs(x.breakdown.attention - 2 * (core + projection)) < 1e-15)
        // Dense FFN 3·64·128 = 24,576 parameters; router 4·64 = 256.
        let dense = max(2 * 24_576 / flops, 24_576 * 2 / bandwidth)
        let router = max(2 * 256 / flops, 256 * 2 / bandwidth)
        #expect(abs(x.breakdown.sharedAndDense - (dense + router)) < 1e-15)
        // One token picks 2 of 4 experts: 2 slots, 4·(1 − 0.5) = 2 distinct experts of 3·64·32 parameters.
        let experts = max(2 * 6_144 * 2 / flops, 2 * 6_144 * 2 / bandwidth)
        #expect(abs(x.breakdown.routedExperts - experts) < 1e-15)
        #expect(x.breakdown.communication == 0)
        // Head 100·64 parameters for one token, plus one embedding row of 64 BF16 values.
        let head = max(2 * 6_400 / flops, 6_400 * 2 / bandwidth) + 128 / bandwidth
        #expect(abs(x.breakdown.other - head) < 1e-15)
        #expect(abs(x.stepTime - x.breakdown.total) < 1e-18)
        #expect(x.tokensPerSecondPerDevice == 1 / x.stepTime)
    }

    @Test func memoryAndLargestFittingBatch() throws {
        let p = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment())
        let m = try p.decode(batchPerDevice: 3).memory
        // Non-expert parameters: 6,400 + 6,400 + 2·12,288 + 24,576 + 256 = 62,208, BF16.
        #expect(m.weights == 62_208 * 2)
        #expect(m.expertWeights == 4 * 6_144 * 2)
        // KV: 3 sequences × 2 layers × 100 tokens × 128 B.
        #expect(m.kvCache == 3 * 25_600)
        // Activations: tokens × 2 B × (8h + 2·max(128, 2·32)).
        #expect(m.activations == 3 * 2 * (8 * 64 + 2 * 128))
        // 173,568 + 27,136·b ≤ 1e6 → b ≤ 30.45.
        #expect(p.largestFittingBatch() == 30)
        #expect(try p.decode(batchPerDevice: 30).memory.fits)
        #expect(!(try p.decode(batchPerDevice: 31).memory.fits))
        let tiny = try ServingProjection(model: Toy.model(), accelerator: Toy.device(usable: 1e5), deployment: Toy.deployment())
        let verdict = try tiny.decode(.largestFitting(limit: 1024))
        #expect(verdict.largestFittingBatch == 0)
        #expect(!verdict.projection.memory.fits)
        #expect(verdict.projection.memory.overflow == verdict.projection.memory.total - 1e5)
        #expect(verdict.projection.memory.largest.name == "weights")
    }

    @Test func overlapIsUsedOnlyWhenFaster() throws {
        let plain = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment())
        let split = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment(overlap: true))
        // One device, no communication: two micro-batches only read the weights twice.
        let a = try plain.decode(batchPerDevice: 8), b = try split.decode(batchPerDevice: 8)
        #expect(!b.overlapped)
        #expect(a.stepTime == b.stepTime)
        // With EP over two devices there is communication to hide.
        let ep = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment(devices: 2, overlap: true))
        let epPlain = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment(devices: 2))
        let c = try ep.decode(batchPerDevice: 16), d = try epPlain.decode(batchPerDevice: 16)
        #expect(c.stepTime <= d.stepTime)
        #expect(abs(c.breakdown.total - c.stepTime) < 1e-15)
    }

    @Test func expertParallelCommunicationMatchesHandWorkedBytes() throws {
        let p = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: Toy.deployment(devices: 2))
        let t = 4.0
        let x = try p.decode(batchPerDevice: Int(t))
        // Two ranks of two experts: of a token's k = 2 experts, on average 2·1/2 = 1 is on the
        // other rank, and the low-latency kernels send one copy per expert.
        let copies = 1.0
        // Busiest rank: 2t·k/2 = 2t slots plus √(2 ln 2 · 2t); traffic scales by that over the mean.
        let mean = 2 * t * 2 / 2
        let imbalance = (mean + (2 * log(2.0) * mean).squareRoot()) / mean
        // Dispatch and combine in BF16 (the experts compute in BF16), h = 64.
        let call = 1e-6 + t * imbalance * 64 * 2 * copies / 1e11
        #expect(abs(x.breakdown.communication - 2 * call) < 1e-15)
    }

    @Test func timePerOutputTokenSearch() throws {
        let p = try ServingProjection(model: Toy.model(), accelerator: Toy.device(usable: 1e7), deployment: Toy.deployment())
        let target = try p.decode(batchPerDevice: 10).timePerOutputToken * 1.0001
        let c = try p.decode(.timePerOutputToken(seconds: target))
        #expect(c.targetMet)
        let b = c.projection.batchPerDevice
        #expect(b >= 10)
        #expect(c.projection.timePerOutputToken <= target)
        let next = b == c.largestFittingBatch ? nil : try p.decode(batchPerDevice: b + 1)
        #expect(next == nil || next!.timePerOutputToken > target)
        let impossible = try p.decode(.timePerOutputToken(seconds: 1e-12))
        #expect(!impossible.targetMet)
        #expect(impossible.projection.batchPerDevice == 1)
    }

    @Test func costPerMillionTokens() throws {
        var d = Toy.deployment()
        d.cacheHitRate = 0.5
        let p = try ServingProjection(model: Toy.model(), accelerator: Toy.device(), deployment: d)
        let x = try p.decode(batchPerDevice: 4), f = p.prefill()
        let cost = p.cost(decode: x, prefill: f)
        // $3.6 per hour = $0.001 per second.
        #expect(abs(cost.perMillionOutputTokens! - 1e6 * 0.001 / x.tokensPerSecondPerDevice) < 1e-12)
        #expect(abs(cost.perMillionInputTokens! - 1e6 * 0.001 / f.missTokensPerSecondPerDevice) < 1e-12)
        // A cached token reads its KV back: 2 layers × 128 B at 1 GB/s.
        #expect(cost.cachedBytesPerToken == 256)
        #expect(abs(cost.perMillionCachedInputTokens - 1e6 * 0.001 * 256 / 1e9) < 1e-15)
        // Half the prompt is cached: a forward of 16,384 new tokens serves 32,768, and the 16,384
        // cached ones are read back (256 B each at 1 GB/s) while it computes.
        #expect(abs(f.cacheReadTime - 16_384 * 256 / 1e9) < 1e-15)
        #expect(f.missTokensPerSecondPerDevice == 16_384 / f.forwardTime)
        #expect(abs(f.tokensPerSecondPerDevice - 32_768 / max(f.forwardTime, f.cacheReadTime)) < 1e-9 * f.tokensPerSecondPerDevice)
        // Time to first token: one forward for the 50 new tokens, then the 50 cached ones read back.
        #expect(abs(f.timeToFirstToken - (f.forwardTime + 50 * 256 / 1e9)) < 1e-15)
    }

    @Test func speculationTokensPerStep() {
        #expect(Speculation(acceptance: 0.85).tokensPerStep == 1.85)
        #expect(abs(Speculation(draftTokens: 3, acceptance: 0.5).tokensPerStep - 1.875) < 1e-15)
    }

    @Test func deploymentErrors() throws {
        let model = try Toy.model(), device = Toy.device()
        func refused(_ change: (inout Deployment) -> Void) -> Bool {
            var d = Toy.deployment(devices: 2)
            change(&d)
            do { _ = try ServingProjection(model: model, accelerator: device, deployment: d); return false } catch { return true }
        }
        #expect(refused { $0.devices = 0 })
        #expect(refused { $0.tensorParallel = 3 })
        #expect(refused { $0.expertParallel = 0 })
        #expect(refused { $0.devices = 8; $0.expertParallel = 8 })      // 8 ranks > 4 experts
        #expect(refused { $0.cacheHitRate = 1 })
        #expect(refused { $0.speculation = Speculation(acceptance: 1) })
        #expect(refused { $0.context = 0 })
        #expect(refused { $0.prefillChunk = 0 })
        #expect(refused { $0.expertLoad = .zipf(skew: -1) })
        #expect(!refused { $0.redundantExperts = 4; $0.devices = 8; $0.expertParallel = 8 })
        // A measured load must select k = 2 experts per token: counts summing to 1 per token are refused.
        #expect(refused { $0.expertLoad = .measured(try! ExpertLoad.measured(selectionCounts: [1, 1, 1, 1], tokens: 4)) })
        #expect(!refused { $0.expertLoad = .measured(try! ExpertLoad.measured(selectionCounts: [4, 2, 1, 1], tokens: 4)) })
        // A dense model has no experts to replicate or skew.
        var dense = model
        dense.feedForward = FeedForwardSpec(hiddenSize: 64, denseIntermediateSize: 128, moe: nil, layerKinds: [.dense, .dense])
        var d = Toy.deployment()
        d.redundantExperts = 1
        #expect(throws: ServingError.notMixtureOfExperts(model: "toy", setting: "redundant experts")) {
            _ = try ServingProjection(model: dense, accelerator: device, deployment: d)
        }
        d.redundantExperts = 0
        d.expertLoad = .zipf(skew: 1)
        #expect(throws: ServingError.notMixtureOfExperts(model: "toy", setting: "an expert load")) {
            _ = try ServingProjection(model: dense, accelerator: device, deployment: d)
        }
        var noNetwork = device
        noNetwork.scaleOut.bandwidth = 0
        noNetwork.scaleUp.domainSize = 1
        #expect(throws: ServingError.self) {
            _ = try ServingProjection(model: model, accelerator: noNetwork, deployment: Toy.deployment(devices: 2))
        }
        // Without a scale-out link, even devices that exchange nothing cannot leave the domain.
        var oneGroup = Toy.deployment(devices: 2)
        oneGroup.expertParallel = 1
        #expect(throws: ServingError.noScaleOut(accelerator: "toy", devices: 2, domain: 1)) {
            _ = try ServingProjection(model: model, accelerator: noNetwork, deployment: oneGroup)
        }
    }
}
