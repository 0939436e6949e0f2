//===--- GroupedQueryAttentionTests.swift - MHA / GQA / MQA by hand -------===//

import Testing
@testable import MoEKit

@Suite("GQA attention")
struct GroupedQueryAttentionTests {
    let bf16 = KVStorage(kv: .bf16)

    /// models.md §2: Mixtral 32 × 2 × 8 × 128 × 2 = 131,072 B per token in BF16.
    @Test func mixtralKVPerToken() throws {
        let model = try preset("mixtral-8x7b").attentionModel
        #expect(model.design == .groupedQuery)
        #expect(model.totalKVCacheBytes(context: 1, storage: bf16) == 131_072)
        #expect(model.totalKVCacheBytes(context: 32_768, storage: bf16) == 131_072 * 32_768)
        #expect(model.totalKVCacheBytes(context: 1_000, storage: KVStorage(kv: .fp8)) == 65_536 * 1_000)
    }

    /// models.md §2: Qwen3-235B 94 × 2 × 4 × 128 × 2 = 192,512 B per token.
    @Test func qwenKVPerToken() throws {
        #expect(try preset("qwen3-235b-a22b").attentionModel.totalKVCacheBytes(context: 1, storage: bf16) == 192_512)
    }

    /// models.md §2: gpt-oss 18 full layers × 2 × 8 × 64 × 2 = 36,864 B per token, plus 18
    /// windowed layers holding min(n, 128) tokens of 2,048 B.
    @Test(arguments: [1, 100, 128, 129, 1_000, 131_072])
    func gptOssSlidingWindowKV(n: Int) throws {
        let model = try preset("gpt-oss-120b").attentionModel
        let expected = Double(36_864 * n + 18 * min(n, 128) * 2_048)
        #expect(model.totalKVCacheBytes(context: n, storage: bf16) == expected)
    }

    /// models.md §3.1: decode FLOPs 4·n_h·d_h·n per layer (Mixtral: 4·32·128 = 16,384·n);
    /// bytes read 2·n_kv·d_h·n·2.
    @Test(arguments: [1, 4_096, 131_072])
    func decodeByHand(n: Int) throws {
        let model = try preset("mixtral-8x7b").attentionModel
        let c = model.decodeCost(for: .full, context: n, storage: bf16)
        #expect(c.flops == 16_384 * Double(n))
        #expect(c.kvBytesRead == 4_096 * Double(n))
        #expect(c.indexerFlops == 0 && c.indexerBytesRead == 0)
        #expect(c.bytesWritten == 4_096)
    }

    @Test func slidingWindowCapsDecode() throws {
        let model = try preset("gpt-oss-120b").attentionModel
        let c = model.decodeCost(for: .slidingWindow(128), context: 100_000, storage: bf16)
        #expect(c.flops == 4 * 64 * 64 * 128)
        #expect(c.kvBytesRead == 128 * 2 * 8 * 64 * 2)
    }

    @Test func prefillEqualsSumOfDecodeSteps() throws {
        let model = try preset("gpt-oss-120b").attentionModel
        for kind in [AttentionLayerKind.full, .slidingWindow(128)] {
            for n in [1, 2, 127, 128, 129, 300] {
                let brute = (1...n).reduce(0.0) { $0 + model.decodeCost(for: kind, context: $1, storage: bf16).flops }
                #expect(model.prefillCost(for: kind, tokens: n, storage: bf16).flops == brute)
            }
        }
    }

    @Test func designFollowsHeadCounts() {
        func make(_ kv: Int) -> GroupedQueryAttention {
            GroupedQueryAttention(hiddenSize: 64, queryHeads: 8, kvHeads: kv, headDim: 8, layerKinds: [.full])
        }
        #expect(make(8).design == .multiHead)
        #expect(make(2).design == .groupedQuery)
        #expect(make(1).design == .multiQuery)
        // MHA caches 2·n_h·d_h, MQA 2·d_h elements per token (models.md §3.6).
        #expect(make(8).bytesPerToken(.bf16) == 2 * 8 * 8 * 2)
        #expect(make(1).bytesPerToken(.bf16) == 2 * 8 * 2)
    }
}
