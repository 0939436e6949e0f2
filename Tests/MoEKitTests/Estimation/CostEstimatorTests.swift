//===--- CostEstimatorTests.swift - Whole-model estimates -----------------===//

import Testing
@testable import MoEKit

@Suite("Cost estimator")
struct CostEstimatorTests {
    /// Decode FLOPs per token = attention + 2 × active parameters without the embedding
    /// (models.md §3: projections count as 2 × parameters).
    @Test(arguments: ModelSpec.presetNames)
    func decodeFlopsAreAttentionPlusTwiceActive(name: String) throws {
        let e = CostEstimator(model: try preset(name))
        for n in [1, 4_096, 1 << 20] {
            let d = try e.decode(context: n)
            let active = Double(e.parameterCount.active(.excludingEmbedding))
            #expect(abs(d.totalFlops - (d.attentionFlops + 2 * active)) <= 1e-9 * d.totalFlops)
            #expect(d.kvCacheBytesPerSequence == (try e.kvCacheBytes(context: n)))
        }
    }

    /// Per-layer costs add up to the totals (plus embedding and output head).
    @Test(arguments: ["deepseek-v3", "deepseek-v4-flash", "gpt-oss-120b", "deepseek-v3.2", "qwen3-next-80b-a3b", "kimi-k3"])
    func layersSumToTotals(name: String) throws {
        let e = CostEstimator(model: try preset(name))
        let n = 50_000, batch = 16
        let d = try e.decode(context: n, batchSize: batch)
        let layers = try e.layers(decodeAt: n, batchSize: batch)
        #expect(layers.count == e.model.layerCount)
        let flops = layers.reduce(0.0) { $0 + $1.totalFlops } + d.weightFlops.outputHead
        #expect(abs(flops - d.totalFlops) <= 1e-9 * d.totalFlops)
        let bytes = layers.reduce(0.0) { $0 + $1.weightBytes.total } + d.weightBytesPerStep.outputHead + d.weightBytesPerStep.embedding
        #expect(abs(bytes - d.weightBytesPerStep.total) <= 1e-9 * bytes)
        let kv = layers.reduce(0.0) { $0 + $1.kvCacheBytes }
        #expect(abs(kv - d.kvCacheBytesPerSequence) <= 1e-9 * kv)
        let p = try e.prefill(tokens: 10_000)
        let pl = try e.layers(prefillOf: 10_000)
        let pf = pl.reduce(0.0) { $0 + $1.totalFlops } + p.weightFlops.outputHead
        #expect(abs(pf - p.totalFlops) <= 1e-9 * pf)
    }

    /// V3 at batch 1 reads 8 routed experts per MoE layer (58 layers) in FP8:
    /// 58 · 8 · 44,040,192 · (1 + 4/16384) bytes.
    @Test func expertBytesAtBatchOne() throws {
        let e = CostEstimator(model: try preset("deepseek-v3"))
        let d = try e.decode(context: 1_000)
        let expected = 58 * 8 * 44_040_192 * (1 + 4.0 / 16_384)
        #expect(abs(d.weightBytesPerStep.routedExperts - expected) <= 1e-6 * expected)
        #expect(abs(d.distinctExpertsPerLayer - 8) < 1e-9)
    }

    /// Batching shares weight bytes: bytes per token fall with B, expert bytes per step rise
    /// towards all 256 experts.
    @Test func batchSharesWeights() throws {
        let e = CostEstimator(model: try preset("deepseek-v3"))
        let b1 = try e.decode(context: 4_096, batchSize: 1), b64 = try e.decode(context: 4_096, batchSize: 64)
        #expect(b64.weightBytesPerToken < b1.weightBytesPerToken / 4)
        #expect(b64.weightBytesPerStep.routedExperts > b1.weightBytesPerStep.routedExperts)
        let huge = try e.decode(context: 4_096, batchSize: 1 << 20)
        #expect(huge.distinctExpertsPerLayer > 255.99)
        #expect(b64.kvBytesRead == b1.kvBytesRead)
        #expect(b64.totalFlops == b1.totalFlops)
    }

    /// Decode bytes at batch 1 = weights + KV + indexer.
    @Test func decodeBytesByHand() throws {
        let e = CostEstimator(model: try preset("mixtral-8x7b"))
        let d = try e.decode(context: 10_000)
        #expect(d.kvBytesRead == 131_072 * 10_000)
        #expect(d.bytesReadPerToken == d.weightBytesPerStep.total + 131_072 * 10_000)
    }

    /// Prefill FLOPs = attention + 2 × active × n; the default MLA prefill is the naive mode.
    @Test func prefillByHand() throws {
        let e = CostEstimator(model: try preset("deepseek-v3"))
        let n = 4_096.0
        let p = try e.prefill(tokens: 4_096)
        #expect(p.attention.flops == 61 * 81_920 * n * (n + 1) / 2)
        let active = Double(e.parameterCount.active(.excludingEmbedding))
        #expect(abs(p.totalFlops - (p.attention.flops + 2 * active * n)) <= 1e-9 * p.totalFlops)
        #expect(p.kvCacheBytes == 70_272 * n)
    }

    @Test func storageOverridesAndServingDefaults() throws {
        let v4 = try preset("deepseek-v4-flash")
        #expect(CostEstimator(model: v4).kvStorage == KVStorage(kv: .fp8, indexer: .fp4))
        #expect(try CostEstimator.kvStorage(for: v4, kv: .bf16, indexer: .fp8) == KVStorage(kv: .bf16, indexer: .fp8))
        #expect(throws: EstimationError.unsupportedFormat(model: "mixtral-8x7b", design: "GQA", option: "an indexer key format (fp8)")) {
            try CostEstimator.kvStorage(for: try preset("mixtral-8x7b"), kv: nil, indexer: .fp8)
        }
        #expect(CostEstimator(model: try preset("deepseek-v3")).weights == WeightPrecision(.fp8))
    }

    @Test func contextBounds() throws {
        let e = CostEstimator(model: try preset("deepseek-v4-pro"))
        #expect(throws: EstimationError.contextOutOfRange(0)) { try e.decode(context: 0) }
        #expect(throws: EstimationError.contextOutOfRange(-5)) { try e.prefill(tokens: -5) }
        #expect(throws: EstimationError.contextOutOfRange((1 << 40) + 1)) { try e.kvCacheBytes(context: (1 << 40) + 1) }
        #expect(throws: EstimationError.batchSizeOutOfRange(0)) { try e.decode(context: 10, batchSize: 0) }
        let top = try e.prefill(tokens: 1 << 40)
        #expect(top.totalFlops.isFinite && top.totalFlops > 0)
    }

    @Test func sweepAllPresets() throws {
        let r = try ContextSweep.allPresets(points: 5)
        #expect(r.count == CostMetric.allCases.count)
        #expect(r[0].count == ModelSpec.presetNames.count && r[0][0].count == 5)
        // KV grows with context for every model.
        for model in r[0] { #expect(zip(model, model.dropFirst()).allSatisfy { $0 <= $1 }) }
    }
}
