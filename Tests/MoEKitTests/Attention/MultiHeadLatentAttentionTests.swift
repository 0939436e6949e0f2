//===--- MultiHeadLatentAttentionTests.swift - MLA by hand ----------------===//

import Testing
@testable import MoEKit

@Suite("MLA attention")
struct MultiHeadLatentAttentionTests {
    let bf16 = KVStorage(kv: .bf16), fp8 = KVStorage(kv: .fp8)

    func v3() throws -> MultiHeadLatentAttention {
        guard case .latent(let a) = try preset("deepseek-v3").attention else { throw CancellationError() }
        return a
    }

    /// models.md §2: 576 elements = 1,152 B per token per layer in BF16; 61 layers → 70,272 B per
    /// token; FP8 656 B per layer. Not GQA's 2·128·128·2 = 65,536 B per layer.
    @Test(arguments: [1, 4_096, 131_072, 1_048_576])
    func deepSeekV3KV(n: Int) throws {
        let a = try v3()
        #expect(a.cachedElementsPerToken == 576)
        #expect(a.kvCacheBytes(for: .full, context: n, storage: bf16) == 1_152 * Double(n))
        #expect(a.kvCacheBytes(for: .full, context: n, storage: fp8) == 656 * Double(n))
        #expect(a.totalKVCacheBytes(context: n, storage: bf16) == 70_272 * Double(n))
        #expect(a.totalKVCacheBytes(context: n, storage: fp8) == 61 * 656 * Double(n))
    }

    /// Kimi's 64 heads do not change the cache (models.md §2).
    @Test func kimiSameCacheAsV3() throws {
        #expect(try preset("kimi-k2.6").attentionModel.totalKVCacheBytes(context: 1, storage: bf16) == 70_272)
    }

    /// models.md §3.3: absorbed 278,528·n (V3), 139,264·n (K2); naive 81,920·n plus
    /// 2·512·128·256 = 33,554,432 FLOPs per cached latent re-expanded.
    @Test(arguments: [1, 1_000, 131_072])
    func decodeModes(n: Int) throws {
        var a = try v3()
        let d = Double(n)
        #expect(a.decodeCost(for: .full, context: n, storage: bf16).flops == 278_528 * d)
        #expect(a.decodeCost(for: .full, context: n, storage: bf16).kvBytesRead == 1_152 * d)
        a.decodeMode = .naive
        #expect(a.decodeCost(for: .full, context: n, storage: bf16).flops == 81_920 * d + 33_554_432 * (d - 1))
        guard case .latent(let k2) = try preset("kimi-k2").attention else { Issue.record("not MLA"); return }
        #expect(k2.decodeCost(for: .full, context: n, storage: bf16).flops == 139_264 * d)
    }

    /// Prefill defaults to the naive mode: 81,920 · n(n+1)/2 per layer; absorbed if chosen.
    @Test func prefillByMode() throws {
        var a = try v3()
        let n = 8_192.0
        #expect(a.prefillCost(for: .full, tokens: 8_192, storage: bf16).flops == 81_920 * n * (n + 1) / 2)
        a.prefillMode = .absorbed
        #expect(a.prefillCost(for: .full, tokens: 8_192, storage: bf16).flops == 278_528 * n * (n + 1) / 2)
        // Sum of absorbed decode steps over positions 1…n, brute force at small n.
        for m in [1, 2, 50, 333] {
            let brute = (1...m).reduce(0.0) { $0 + a.decodeCost(for: .full, context: $1, storage: bf16).flops }
            #expect(a.prefillCost(for: .full, tokens: m, storage: bf16).flops == brute)
        }
    }

    @Test func modesOnlyForMLA() throws {
        let naive = try preset("kimi-k2").withLatentAttentionModes(prefill: .absorbed, decode: .naive)
        guard case .latent(let a) = naive.attention else { Issue.record("not MLA"); return }
        #expect(a.prefillMode == .absorbed && a.decodeMode == .naive)
        #expect(throws: EstimationError.self) {
            try preset("deepseek-v3.2").withLatentAttentionModes(prefill: .naive, decode: nil)
        }
        #expect(try preset("mixtral-8x7b").withLatentAttentionModes(prefill: nil, decode: nil) == (try preset("mixtral-8x7b")))
    }
}
