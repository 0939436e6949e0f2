//===--- ServingProjectionPresetTests.swift - Real models on real devices ===//
//
// Properties of the serving projection that can be checked without the step model: byte
// counts from the configs, roofline lower bounds, monotonicity, and the cost arithmetic.
//
//===----------------------------------------------------------------------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Serving projection on presets")
struct ServingProjectionPresetTests {
    /// FP8 with one fp32 scale per 128 × 128 block (DeepSeek-V3 `quantization_config`).
    static let fp8Bytes = 1 + 4.0 / 16_384

    static func deepSeekV3(devices: Int = 8, accelerator: String = "h200", context: Int = 4096,
                           _ change: (inout Deployment) -> Void = { _ in }) throws -> ServingProjection {
        let model = try preset("deepseek-v3")
        var d = Deployment(model: model, devices: devices, context: context)
        change(&d)
        return try ServingProjection(model: model, accelerator: try Accelerator.preset(named: accelerator), deployment: d)
    }

    // MARK: (a) memory

    /// DeepSeek-V3 config: 61 layers, the first 3 dense, 256 routed experts of width 2048,
    /// h = 7168; MLA KV of 512 + 64 dims, BF16 (models.md §1.3, §3.2).
    @Test func deepSeekV3MemoryOnH200EP8() throws {
        let p = try Self.deepSeekV3()
        #expect(p.deployment.expertParallel == 8)
        let m = try p.decode(batchPerDevice: 1).memory
        // 58 MoE layers × ceil(256 / 8) = 32 experts per rank × 3·7168·2048 parameters, FP8.
        let moeLayers = 61.0 - 3
        let expertParameters = 3.0 * 7168 * 2048
        let expertBytes = moeLayers * 32 * expertParameters * Self.fp8Bytes
        #expect(abs(m.expertWeights - expertBytes) <= 1e-12 * expertBytes)
        #expect(abs(m.expertWeights - 81_758_552_064) < 1)
        // Everything that is not a routed expert, replicated on every device, FP8.
        let count = p.model.parameterCount.total
        let nonExpert = Double(count.total - count.routedExperts) * Self.fp8Bytes
        #expect(abs(m.weights - nonExpert) <= 1e-12 * nonExpert)
        // The routed experts are 58 × 256 × 3·7168·2048 of the count.
        #expect(count.routedExperts == 58 * 256 * 3 * 7168 * 2048)
        // KV: 61 layers × 4096 tokens × (512 + 64) × 2 B = 1152 B per token and layer.
        let kvPerSequence = 61.0 * 4096 * 1152
        #expect(m.kvCache == kvPerSequence)
        #expect(try p.decode(batchPerDevice: 10).memory.kvCache == 10 * kvPerSequence)
        #expect(p.cachedBytesPerToken == 61 * 1152)
        #expect(m.draftWeights == 0)
        // 141 GB × 0.88 usable.
        #expect(abs(m.available - 141e9 * 0.88) < 1)
    }

    /// With 16 redundant replicas over 8 ranks each holds ceil(272 / 8) = 34 experts per layer.
    @Test func redundantExpertsAddSlots() throws {
        let p = try Self.deepSeekV3 { $0.redundantExperts = 16 }
        let m = try p.decode(batchPerDevice: 1).memory
        let expected = 58.0 * 34 * 3 * 7168 * 2048 * Self.fp8Bytes
        #expect(abs(m.expertWeights - expected) <= 1e-12 * expected)
        // 4 redundant: ceil(260 / 8) = 33.
        let q = try Self.deepSeekV3 { $0.redundantExperts = 4 }
        let n = try q.decode(batchPerDevice: 1).memory
        #expect(abs(n.expertWeights - 58.0 * 33 * 3 * 7168 * 2048 * Self.fp8Bytes) <= 1e-12 * n.expertWeights)
    }

    // MARK: (b) batch

    @Test func timePerOutputTokenGrowsWithBatch() throws {
        let p = try Self.deepSeekV3()
        var last = 0.0
        for b in (0...9).map({ 1 << $0 }) {
            let tpot = try p.decode(batchPerDevice: b).timePerOutputToken
            #expect(tpot > last, "batch \(b): TPOT \(tpot) after \(last)")
            last = tpot
        }
    }

    @Test func throughputGrowsWithBatchUntilMemoryRunsOut() throws {
        let p = try Self.deepSeekV3()
        let fitting = p.largestFittingBatch()
        // Free after weights: 124.08 GB − 98.9 GB of weights leaves room for about 87 sequences
        // of 288 MB KV each.
        #expect(fitting > 32 && fitting < 128)
        var batches = (0...9).map { 1 << $0 }.filter { $0 < fitting }
        batches.append(fitting)
        var last = 0.0
        for b in batches {
            let x = try p.decode(batchPerDevice: b)
            #expect(x.memory.fits, "batch \(b)")
            #expect(x.tokensPerSecondPerDevice > last, "batch \(b)")
            #expect(abs(x.tokensPerSecondPerDevice - Double(b) * x.tokensPerSecondPerUser) <= 1e-12 * x.tokensPerSecondPerDevice)
            last = x.tokensPerSecondPerDevice
        }
        #expect(!(try p.decode(batchPerDevice: fitting + 1)).memory.fits)
        // The default rule takes the largest batch that fits.
        #expect(try p.decode(.largestFitting(limit: 1024)).projection.batchPerDevice == fitting)
        #expect(try p.decode(.largestFitting(limit: 16)).projection.batchPerDevice == 16)
    }

    // MARK: (c) roofline

    /// At batch 1 on one device a step reads at least every weight it uses once: the bytes over
    /// the achieved bandwidth are a lower bound on the step time.
    @Test func batchOneIsNoFasterThanReadingTheWeights() throws {
        let h200 = try Accelerator.preset(named: "h200")
        let bandwidth = 4.8e12 * 0.80
        #expect(h200.hbmBandwidth * h200.efficiency.memory == bandwidth)

        // Llama-3.1-8B, BF16, dense: every weight but the embedding table (a row lookup).
        let llama = try preset("llama-3.1-8b")
        let dense = try ServingProjection(model: llama, accelerator: h200, deployment: Deployment(model: llama, devices: 1, context: 4096))
        let count = llama.parameterCount.total
        let llamaBytes = Double(count.total - count.embedding) * 2
        // 32 layers × (4096² · 2 + 2 · 4096 · 1024 + 3 · 4096 · 14336) + 128256 · 4096 head.
        #expect(count.total - count.embedding == 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 128_256 * 4096)
        let llamaStep = try dense.decode(batchPerDevice: 1).stepTime
        #expect(llamaStep >= llamaBytes / bandwidth)
        #expect(llamaStep <= 1.5 * llamaBytes / bandwidth, "batch 1 of a dense model is memory-bound")

        // DeepSeek-V3 on one device: one token touches the non-expert weights (without the
        // embedding) and 8 of the 256 experts in each of the 58 MoE layers.
        let p = try Self.deepSeekV3(devices: 1)
        let v3 = p.model.parameterCount.total
        let v3Bytes = Double(v3.total - v3.routedExperts - v3.embedding) * Self.fp8Bytes
            + 58 * 8 * 3 * 7168 * 2048 * Self.fp8Bytes
        let step = try p.decode(batchPerDevice: 1).stepTime
        #expect(step >= v3Bytes / bandwidth)
        #expect(step <= 2 * v3Bytes / bandwidth)
    }

    // MARK: (d, e) expert load
    //
    // A skewed load costs time where the routed experts are compute-bound (the hot rank does
    // more multiplications) and where it crosses the network (the hot rank receives more
    // tokens). Where a decode step only reads expert weights (memory-bound, every expert of a
    // rank touched or not), a concentrated load touches fewer distinct experts, and the roofline
    // rightly gives no penalty: DeepSeek-V3 on EP8 up to the batch that fits is in that regime
    // (21.75 routed tokens per expert at batch 87, against a ridge of 593.7 TFLOP/s over
    // 3.84 TB/s ≈ 155 FLOP/B, i.e. 77 tokens per expert weight read once in FP8).

    /// Prefill (16,384 tokens per device) is compute-bound: the rank holding the hottest experts
    /// sets the pace.
    @Test func skewedLoadSlowsPrefill() throws {
        let uniform = try Self.deepSeekV3()
        let skewed = try Self.deepSeekV3 { $0.expertLoad = .zipf(skew: 1.2) }
        #expect(skewed.prefill().forwardTime > uniform.prefill().forwardTime)
        #expect(skewed.prefill().tokensPerSecondPerDevice < uniform.prefill().tokensPerSecondPerDevice)
        #expect(skewed.prefill().breakdown.routedExperts > uniform.prefill().breakdown.routedExperts)
    }

    /// EP64: 4 experts per rank, and at 256 sequences per device a group routes 16,384 tokens,
    /// 512 per expert: compute-bound. Zipf 1.2 makes the hottest expert nearly every token's
    /// choice (its probability is capped at 1, against a mean rank load of 8/64), so its rank
    /// does several times the mean work and receives several times the mean traffic.
    @Test func skewedLoadSlowsComputeBoundDecode() throws {
        let uniform = try Self.deepSeekV3(devices: 64)
        let skewed = try Self.deepSeekV3(devices: 64) { $0.expertLoad = .zipf(skew: 1.2) }
        for b in [128, 256] {
            let u = try uniform.decode(batchPerDevice: b), s = try skewed.decode(batchPerDevice: b)
            #expect(u.memory.fits && s.memory.fits, "batch \(b)")
            #expect(s.stepTime > 2 * u.stepTime, "batch \(b): \(s.stepTime) against \(u.stepTime)")
            #expect(s.breakdown.routedExperts > u.breakdown.routedExperts, "batch \(b)")
        }
        #expect(skewed.prefill().forwardTime > 2 * uniform.prefill().forwardTime)
    }

    /// The busiest rank both computes and receives the most tokens; the all-to-all waits for the
    /// rank that receives the most. A skewed load cannot move less traffic to its busiest rank
    /// than a uniform one (whose busiest rank already carries the mean plus the fluctuation).
    @Test func skewedLoadMovesNoLessTrafficThanUniform() throws {
        let uniform = try Self.deepSeekV3 { $0.overlap = false }
        let skewed = try Self.deepSeekV3 { $0.overlap = false; $0.expertLoad = .zipf(skew: 1.2) }
        for b in [1, 16, 64] {
            let u = try uniform.decode(batchPerDevice: b).breakdown.communication
            let s = try skewed.decode(batchPerDevice: b).breakdown.communication
            #expect(s >= u, "batch \(b): skewed \(s) s, uniform \(u) s")
        }
    }

    /// Where the hot rank is the bottleneck, replicas of the hottest experts relieve it: every
    /// amount of redundancy is no slower than none, and up to 32 replicas each step helps.
    @Test func redundantExpertsDoNotSlowASkewedLoad() throws {
        func times(devices: Int, batch: Int, _ r: Int) throws -> (decode: Double, prefill: Double) {
            let p = try Self.deepSeekV3(devices: devices) { $0.expertLoad = .zipf(skew: 1.2); $0.redundantExperts = r }
            return (try p.decode(batchPerDevice: batch).stepTime, p.prefill().forwardTime)
        }
        // EP64 at 256 sequences per device: decode and prefill compute-bound.
        let none = try times(devices: 64, batch: 256, 0)
        var last = none
        for r in [8, 16, 32] {
            let t = try times(devices: 64, batch: 256, r)
            #expect(t.decode < last.decode && t.prefill < last.prefill, "\(r) redundant: \(t) after \(last)")
            last = t
        }
        for r in [64, 128, 256] {
            let t = try times(devices: 64, batch: 256, r)
            #expect(t.decode < none.decode && t.prefill < none.prefill, "\(r) redundant: \(t), none: \(none)")
        }
        // 32 replicas bring the skewed prefill within 10% of the uniform one.
        let uniform = try Self.deepSeekV3(devices: 64).prefill().forwardTime
        #expect(last.prefill < 1.1 * uniform)
        // EP8 prefill.
        let prefillNone = try times(devices: 8, batch: 1, 0).prefill
        for r in [8, 16, 32, 64] {
            #expect(try times(devices: 8, batch: 1, r).prefill < prefillNone, "\(r) redundant")
        }
    }

    /// In a memory-bound decode every replica on a rank is read each step: replicas add weight
    /// bytes and slots (ceil((256 + r) / 8) per rank), so they cost time there. Expected, not a
    /// defect: it is the trade DeepSeek makes only for prefill-sized and large-EP batches.
    @Test func redundantExpertsCostReadsInMemoryBoundDecode() throws {
        var last = 0.0
        for r in [0, 16, 32, 64] {
            let p = try Self.deepSeekV3 { $0.expertLoad = .zipf(skew: 1.2); $0.redundantExperts = r }
            let routed = try p.decode(batchPerDevice: 64).breakdown.routedExperts
            #expect(routed > last, "\(r) redundant")
            last = routed
        }
    }

    // MARK: (f) speculation

    @Test func speculationEmitsOnePointEightFiveTokensPerStep() throws {
        let plain = try Self.deepSeekV3()
        let p = try Self.deepSeekV3 { $0.speculation = Speculation(acceptance: 0.85) }
        #expect(p.tokensPerStep == 1.85)
        let x = try p.decode(batchPerDevice: 32)
        #expect(x.tokensPerStep == 1.85)
        #expect(abs(x.timePerOutputToken - x.stepTime / 1.85) <= 1e-15)
        #expect(abs(x.tokensPerSecondPerDevice - 32 * 1.85 / x.stepTime) <= 1e-9 * x.tokensPerSecondPerDevice)
        // A step verifies two tokens per sequence and runs the MTP layer: slower than a plain
        // step, but not 1.85 times slower at this batch.
        let y = try plain.decode(batchPerDevice: 32)
        #expect(x.stepTime > y.stepTime)
        #expect(x.timePerOutputToken < y.timePerOutputToken)
        // The MTP module (one layer with all 256 experts) is held on the devices.
        #expect(x.memory.draftWeights > 0 && y.memory.draftWeights == 0)
        // Two drafts at 0.85: 1 + 0.85 + 0.7225.
        let two = try Self.deepSeekV3 { $0.speculation = Speculation(draftTokens: 2, acceptance: 0.85) }
        #expect(abs(two.tokensPerStep - 2.5725) < 1e-15)
    }

    // MARK: (g) prefix cache

    @Test func halfTheInputFromTheCacheDoublesInputThroughput() throws {
        let p = try Self.deepSeekV3 { $0.cacheHitRate = 0.5 }
        let f = p.prefill()
        // The 16,384 cached tokens of a forward read back 61 × 1152 B each at 0.8 × 50 GB/s.
        #expect(abs(f.cacheReadTime - 16_384 * 61 * 1152 / 40e9) <= 1e-15)
        try #require(f.cacheReadTime < f.forwardTime, "the cache read must not be the bottleneck here")
        #expect(abs(f.tokensPerSecondPerDevice - 2 * f.missTokensPerSecondPerDevice) <= 1e-12 * f.tokensPerSecondPerDevice)
        #expect(abs(f.missTokensPerSecondPerDevice - 16_384 / f.forwardTime) <= 1e-12 * f.missTokensPerSecondPerDevice)
        // Without a cache, input and miss tokens are the same.
        let none = try Self.deepSeekV3().prefill()
        #expect(none.tokensPerSecondPerDevice == none.missTokensPerSecondPerDevice)
        #expect(none.cacheReadTime == 0)
    }

    /// A slow cache tier becomes the bottleneck: the input rate is its read rate.
    @Test func aSlowCacheTierLimitsInputThroughput() throws {
        let model = try preset("deepseek-v3")
        var slow = try Accelerator.preset(named: "h200")
        slow.cacheTier.bandwidth = 1e8
        var d = Deployment(model: model, devices: 8, context: 4096)
        d.cacheHitRate = 0.5
        let f = try ServingProjection(model: model, accelerator: slow, deployment: d).prefill()
        // 16,384 × 70,272 B at 0.1 GB/s = 11.5 s, longer than the forward.
        #expect(abs(f.cacheReadTime - 16_384 * 70_272 / 1e8) <= 1e-9)
        #expect(f.cacheReadTime > f.forwardTime)
        #expect(abs(f.tokensPerSecondPerDevice - 32_768 / f.cacheReadTime) <= 1e-9 * f.tokensPerSecondPerDevice)
    }

    // MARK: (h) cost

    @Test func costIsPriceOverThroughput() throws {
        var d = Deployment(model: try preset("deepseek-v3"), devices: 8, context: 4096)
        d.cacheHitRate = 0.25
        let p = try ServingProjection(model: try preset("deepseek-v3"), accelerator: try Accelerator.preset(named: "h200"), deployment: d)
        let x = try p.decode(batchPerDevice: 48), f = p.prefill()
        let cost = p.cost(decode: x, prefill: f)
        // H200 at $2.30 per hour.
        #expect(cost.pricePerHour == 2.3)
        let output = try #require(cost.perMillionOutputTokens), input = try #require(cost.perMillionInputTokens)
        #expect(abs(output - 2.3 / 3600 / x.tokensPerSecondPerDevice * 1e6) <= 1e-12 * output)
        #expect(abs(input - 2.3 / 3600 / f.missTokensPerSecondPerDevice * 1e6) <= 1e-12 * input)
        // A cached token reads 70,272 B at 40 GB/s: 1.7568 µs of a $2.30 hour, $0.0011224 per million.
        #expect(abs(cost.perMillionCachedInputTokens - 2.3 / 3600 * 70_272 / 40e9 * 1e6) <= 1e-15)
        #expect(abs(cost.perMillionCachedInputTokens - 0.0011224) <= 1e-12)
        #expect(cost.cachedBytesPerToken == 70_272)
        // Without projections only the cache-hit price is known.
        let bare = p.cost()
        #expect(bare.perMillionOutputTokens == nil && bare.perMillionInputTokens == nil)
        #expect(bare.perMillionCachedInputTokens == cost.perMillionCachedInputTokens)
    }

    // MARK: (i) errors

    @Test func deploymentErrors() throws {
        #expect(throws: ServingError.tooManyExpertRanks(ep: 264, experts: 256, redundant: 0)) {
            try Self.deepSeekV3(devices: 264)
        }
        #expect(throws: ServingError.tooManyExpertRanks(ep: 512, experts: 256, redundant: 255)) {
            try Self.deepSeekV3(devices: 512) { $0.redundantExperts = 255 }
        }
        // 264 ranks with 8 redundant replicas is allowed.
        _ = try Self.deepSeekV3(devices: 264) { $0.redundantExperts = 8 }
        #expect(throws: ServingError.notDivisible(field: "tensor parallel", value: 2, devices: 7)) {
            try Self.deepSeekV3(devices: 7) { $0.tensorParallel = 2 }
        }
        #expect(throws: ServingError.notDivisible(field: "expert parallel", value: 3, devices: 8)) {
            try Self.deepSeekV3 { $0.expertParallel = 3 }
        }
        #expect(throws: ServingError.notDivisible(field: "expert parallel", value: 0, devices: 8)) {
            try Self.deepSeekV3 { $0.expertParallel = 0 }
        }
        #expect(throws: ServingError.outOfRange(field: "devices", value: "0", expected: "1...1048576")) {
            try Self.deepSeekV3(devices: 0)
        }
        #expect(throws: ServingError.outOfRange(field: "acceptance", value: "1.0", expected: "[0, 1)")) {
            try Self.deepSeekV3 { $0.speculation = Speculation(acceptance: 1) }
        }
        #expect(throws: ServingError.outOfRange(field: "cache-hit rate", value: "1.0", expected: "[0, 1)")) {
            try Self.deepSeekV3 { $0.cacheHitRate = 1 }
        }
        #expect(throws: ServingError.self) { try Self.deepSeekV3 { $0.cacheHitRate = -0.1 } }
        #expect(throws: ServingError.self) { try Self.deepSeekV3 { $0.cacheHitRate = .nan } }
        #expect(throws: ServingError.outOfRange(field: "redundant experts", value: "-1", expected: "0...16 × the routed experts")) {
            try Self.deepSeekV3 { $0.redundantExperts = -1 }
        }
        #expect(throws: ServingError.self) { try Self.deepSeekV3 { $0.context = 0 } }
        #expect(throws: ServingError.self) { try Self.deepSeekV3 { $0.expertLoad = .zipf(skew: -0.5) } }
        #expect(throws: ServingError.self) { try Self.deepSeekV3 { $0.speculation = Speculation(draftTokens: 0, acceptance: 0.5) } }
        let sixteen = try ExpertLoad.measured(selectionCounts: [Int](repeating: 1, count: 16), tokens: 2)
        #expect(throws: ServingError.expertLoadMismatch(counts: 16, experts: 256)) {
            try Self.deepSeekV3 { $0.expertLoad = .measured(sixteen) }
        }
        // The cpu preset has no network and a scale-up domain of 1.
        let cpu = try #require(try Accelerator.presets().first { $0.name == "cpu" })
        let model = try preset("deepseek-v3")
        #expect(throws: ServingError.noScaleOut(accelerator: "cpu", devices: 2, domain: 1)) {
            try ServingProjection(model: model, accelerator: cpu, deployment: Deployment(model: model, devices: 2, context: 4096))
        }
        // Batches and targets.
        let p = try Self.deepSeekV3()
        #expect(throws: ServingError.self) { try p.decode(batchPerDevice: 0) }
        #expect(throws: ServingError.self) { try p.decode(batchPerDevice: -5) }
        #expect(throws: ServingError.self) { try p.decode(.timePerOutputToken(seconds: 0)) }
        #expect(throws: ServingError.self) { try p.decode(.largestFitting(limit: 0)) }
    }

    /// Every error reads as one line.
    @Test func errorDescriptions() {
        #expect(ServingError.tooManyExpertRanks(ep: 1024, experts: 256, redundant: 0).description
                == "expert parallel size 1024 is larger than the 256 routed experts plus 0 redundant ones")
        #expect(ServingError.notDivisible(field: "tensor parallel", value: 2, devices: 7).description
                == "tensor parallel size 2 must be at least 1 and divide the 7 devices")
    }
}
