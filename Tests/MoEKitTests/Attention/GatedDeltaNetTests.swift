//===--- GatedDeltaNetTests.swift - Gated DeltaNet and the GDN + GQA hybrid by hand ===//

import Testing
@testable import MoEKit

@Suite("Gated DeltaNet")
struct GatedDeltaNetTests {
    let fp32 = KVStorage(kv: .bf16, state: .fp32)

    func qwenNext() throws -> LinearHybridAttention {
        guard case .linearHybrid(let a) = try preset("qwen3-next-80b-a3b").attention else { throw CancellationError() }
        return a
    }

    func gdn() throws -> GatedDeltaNet {
        guard case .gatedDeltaNet(let g) = try qwenNext().linear else { throw CancellationError() }
        return g
    }

    /// Qwen3-Next: 16 key heads, 32 value heads of 128, 4 taps over C = 2·2,048 + 4,096 = 8,192.
    /// State: 32·128·128·4 = 2,097,152 B + conv 8,192·3·2 = 49,152 B = 2,146,304 B (FP32);
    /// 1,048,576 + 49,152 = 1,097,728 B with a BF16 state.
    @Test func stateByHand() throws {
        let g = try gdn()
        #expect(g.convolutionChannels == 8_192)
        #expect(g.stateBytes(for: .linear, storage: fp32) == 2_146_304)
        #expect(g.stateBytes(for: .linear, storage: KVStorage(state: .bf16)) == 1_097_728)
        // The state is the whole cache of a linear layer, at any context.
        for n in [1, 131_072, 1 << 40] {
            #expect(g.kvCacheBytes(for: .linear, context: n, storage: fp32) == 2_146_304)
        }
    }

    /// Decode per layer: 32·7·128·128 = 3,670,016 + conv 2·4·8,192 = 65,536 FLOPs, at 4K and at 1M;
    /// the state read and written once.
    @Test(arguments: [4_096, 1_048_576])
    func decodeByHand(n: Int) throws {
        let c = try gdn().decodeCost(for: .linear, context: n, storage: fp32)
        #expect(c.flops == 3_735_552)
        #expect(c.kvBytesRead == 2_146_304 && c.bytesWritten == 2_146_304)
        #expect(c.indexerFlops == 0 && c.indexerBytesRead == 0)
    }

    /// A 100-token prompt is a chunk of 64 and one of 36 (``DeltaRuleTests/chunkByHand()``):
    /// 32·(F(64) + F(36)) + 100·65,536.
    @Test func prefillByHand() throws {
        let c = try gdn().prefillCost(for: .linear, tokens: 100, storage: fp32)
        let f64: Double = 5_242_880 + 262_144.0 / 3 + 6_291_456 + 16_384
        let f36: Double = 1_658_880 + 15_552 + 3_538_944 + 16_384
        #expect(abs(c.flops - (32 * (f64 + f36) + 6_553_600)) <= 1e-9 * c.flops)
        #expect(c.bytesWritten == 2_146_304)
    }

    /// `in_proj_qkvz` 2,048·12,288 + `in_proj_ba` 2,048·64 + conv 8,192·4 + `A_log`, `dt_bias` 64
    /// + norm 128 + `out_proj` 4,096·2,048 = 33,718,464 (transformers `Qwen3NextGatedDeltaNet`).
    /// Full layers: q and gate 2·2,048·4,096, k and v 2·2,048·512, o 4,096·2,048, QK norms 512.
    @Test func parametersByHand() throws {
        let a = try qwenNext()
        #expect(a.parameters(for: .linear) == 33_718_464)
        #expect(a.parameters(for: .full) == 2 * 8_388_608 + 2_097_152 + 8_388_608 + 512)
        #expect(a.outputGateParameters == 2_048 * 4_096)
        #expect(a.totalParameters == 36 * 33_718_464 + 12 * 27_263_488)
    }

    /// Schedule: full attention on layers 3, 7, …, 47 (`full_attention_interval` 4).
    @Test func schedule() throws {
        let a = try qwenNext()
        #expect(a.design == .gatedDeltaNetHybrid && a.hasRecurrentState && !a.hasIndexer)
        for (i, kind) in a.layerKinds.enumerated() { #expect(kind == ((i + 1) % 4 == 0 ? .full : .linear)) }
        #expect(a.layerKindCounts.map(\.count) == [36, 12])
        // The inner models count the layers of their kind.
        #expect(try gdn().layers == 36)
        guard case .grouped(let gqa) = a.full else { Issue.record("not GQA"); return }
        #expect(gqa.layerKinds == Array(repeating: .full, count: 12))
    }

    /// Hybrid KV at n: 36 states + 12 GQA layers of 2·2·256·2 = 2,048 B per token. At 1M:
    /// 77,266,944 + 12·2,048·1,048,576 = 25,847,070,720 B.
    @Test(arguments: [1, 4_096, 1_048_576])
    func hybridCacheByHand(n: Int) throws {
        let a = try qwenNext()
        #expect(a.totalStateBytes(storage: fp32) == 36 * 2_146_304)
        #expect(a.totalKVCacheBytes(context: n, storage: fp32) == Double(36 * 2_146_304 + 12 * 2_048 * n))
        #expect(a.totalDecodeCost(context: n, storage: fp32).flops
                == Double(36 * 3_735_552) + 12 * 4 * 16 * 256 * Double(n))
    }

    /// Closed-form totals against loops over layers, and over positions for the full layers.
    @Test func totalsMatchLoops() throws {
        let a = try qwenNext()
        for n in [1, 65, 1_000] {
            var kv = 0.0, decode = 0.0, prefill = 0.0
            for kind in a.layerKinds {
                kv += a.kvCacheBytes(for: kind, context: n, storage: fp32)
                decode += a.decodeCost(for: kind, context: n, storage: fp32).flops
                if kind == .full {
                    // Full layers: prefill is the sum of the decode steps at contexts 1…n.
                    prefill += (1...n).reduce(0.0) { $0 + a.decodeCost(for: kind, context: $1, storage: fp32).flops }
                } else {
                    prefill += a.prefillCost(for: kind, tokens: n, storage: fp32).flops
                }
            }
            #expect(a.totalKVCacheBytes(context: n, storage: fp32) == kv)
            #expect(abs(a.totalDecodeCost(context: n, storage: fp32).flops - decode) <= 1e-12 * decode)
            #expect(abs(a.totalPrefillCost(tokens: n, storage: fp32).flops - prefill) <= 1e-12 * prefill)
        }
    }
}
