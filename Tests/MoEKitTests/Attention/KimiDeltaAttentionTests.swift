//===--- KimiDeltaAttentionTests.swift - KDA and the KDA + MLA hybrid by hand ===//

import Testing
@testable import MoEKit

@Suite("Kimi Delta Attention")
struct KimiDeltaAttentionTests {
    let fp32 = KVStorage(kv: .bf16, state: .fp32)

    func hybrid(_ name: String) throws -> LinearHybridAttention {
        guard case .linearHybrid(let a) = try preset(name).attention else { throw CancellationError() }
        return a
    }

    func kda(_ name: String) throws -> KimiDeltaAttention {
        guard case .kimiDelta(let k) = try hybrid(name).linear else { throw CancellationError() }
        return k
    }

    /// Kimi Linear: 32 heads of 128, 4 taps over C = 3·4,096 = 12,288. State
    /// 32·128·128·4 = 2,097,152 + 12,288·3·2 = 73,728 → 2,170,880 B. K3: 96 heads,
    /// 6,291,456 + 36,864·3·2 = 6,512,640 B.
    @Test func stateByHand() throws {
        let linear = try kda("kimi-linear-48b-a3b"), k3 = try kda("kimi-k3")
        #expect(linear.stateBytes(for: .linear, storage: fp32) == 2_170_880)
        #expect(k3.stateBytes(for: .linear, storage: fp32) == 6_512_640)
        #expect(k3.kvCacheBytes(for: .linear, context: 1 << 20, storage: fp32) == 6_512_640)
        #expect(try hybrid("kimi-k3").totalStateBytes(storage: fp32) == 69 * 6_512_640)
    }

    /// Decode per Kimi Linear KDA layer: 32·7·16,384 = 3,670,016 + 2·4·12,288 = 98,304 FLOPs at
    /// any context; MLA layers (absorbed): 2·32·(2·512 + 64) = 69,632 FLOPs and 1,152 B per key.
    @Test(arguments: [4_096, 1_048_576])
    func decodeByHand(n: Int) throws {
        let a = try hybrid("kimi-linear-48b-a3b")
        let linear = a.decodeCost(for: .linear, context: n, storage: fp32)
        #expect(linear.flops == 3_768_320)
        #expect(linear.kvBytesRead == 2_170_880 && linear.bytesWritten == 2_170_880)
        let full = a.decodeCost(for: .full, context: n, storage: fp32)
        #expect(full.flops == 69_632 * Double(n))
        #expect(full.kvBytesRead == 1_152 * Double(n))
        #expect(a.totalKVCacheBytes(context: n, storage: fp32) == Double(20 * 2_170_880 + 7 * 1_152 * n))
    }

    /// 100 tokens: 32·(F(64) + F(36)) + 100·98,304.
    @Test func prefillByHand() throws {
        let c = try kda("kimi-linear-48b-a3b").prefillCost(for: .linear, tokens: 100, storage: fp32)
        let f64: Double = 5_242_880 + 262_144.0 / 3 + 6_291_456 + 16_384
        let f36: Double = 1_658_880 + 15_552 + 3_538_944 + 16_384
        #expect(abs(c.flops - (32 * (f64 + f36) + 9_830_400)) <= 1e-9 * c.flops)
    }

    /// Kimi Linear KDA layer (`modeling_kimi.py`): q, k, v 3·2,304·4,096 = 28,311,552; conv
    /// 12,288·4 = 49,152; decay gate 2,304·128 + 128·4,096 = 819,200; `dt_bias` 4,096 + `A_log`
    /// 32; β 2,304·32 = 73,728; low-rank output gate 819,200; norm 128; o 4,096·2,304 =
    /// 9,437,184: 39,514,272. K3's full-rank gate replaces 7,168·128 + 128·12,288 with
    /// 7,168·12,288.
    @Test func parametersByHand() throws {
        #expect(try kda("kimi-linear-48b-a3b").parameters(for: .linear) == 39_514_272)
        let k3 = try kda("kimi-k3")
        #expect(k3.fullRankOutputGate)
        var lowRank = k3
        lowRank.fullRankOutputGate = false
        #expect(k3.parameters(for: .linear) - lowRank.parameters(for: .linear) == 7_168 * 12_288 - (7_168 * 128 + 128 * 12_288))
        // K3's MLA output gate g_proj: 7,168 × 96·128 (Kimi Linear has none).
        #expect(try hybrid("kimi-k3").outputGateParameters == 7_168 * 12_288)
        #expect(try hybrid("kimi-linear-48b-a3b").outputGateParameters == 0)
    }

    /// Schedules are one-based in the config: Kimi Linear's MLA layers are 4, 8, …, 24 and 27.
    @Test func schedule() throws {
        let a = try hybrid("kimi-linear-48b-a3b")
        let full = a.layerKinds.indices.filter { a.layerKinds[$0] == .full }
        #expect(full == [3, 7, 11, 15, 19, 23, 26])
        #expect(a.design == .kimiDeltaHybrid)
        let k3 = try hybrid("kimi-k3")
        #expect(k3.layerKinds.count { $0 == .linear } == 69 && k3.layerKinds.count { $0 == .full } == 24)
        #expect(k3.layerKinds[91] == .full && k3.layerKinds[92] == .full && k3.layerKinds[90] == .linear)
    }

    /// Closed-form totals against loops over layers and, for MLA layers, over positions.
    @Test func totalsMatchLoops() throws {
        let a = try hybrid("kimi-linear-48b-a3b")
        for n in [1, 64, 777] {
            var kv = 0.0, decode = 0.0, prefill = 0.0
            for kind in a.layerKinds {
                kv += a.kvCacheBytes(for: kind, context: n, storage: fp32)
                decode += a.decodeCost(for: kind, context: n, storage: fp32).flops
                if kind == .linear {
                    prefill += a.prefillCost(for: kind, tokens: n, storage: fp32).flops
                } else {
                    // Naive MLA prefill: 2·32·(128 + 64 + 128) = 20,480 FLOPs per key, keys 1…n.
                    prefill += (1...n).reduce(0.0) { $0 + 20_480 * Double($1) }
                }
            }
            #expect(a.totalKVCacheBytes(context: n, storage: fp32) == kv)
            #expect(abs(a.totalDecodeCost(context: n, storage: fp32).flops - decode) <= 1e-12 * decode)
            #expect(abs(a.totalPrefillCost(tokens: n, storage: fp32).flops - prefill) <= 1e-12 * prefill)
        }
    }

    /// `--mla-decode naive` reaches the MLA layers of a KDA + MLA hybrid.
    @Test func mlaModesApplyToTheFullLayers() throws {
        let spec = try preset("kimi-linear-48b-a3b").withLatentAttentionModes(prefill: nil, decode: .naive)
        guard case .linearHybrid(let a) = spec.attention, case .latent(let mla) = a.full else { Issue.record("not KDA+MLA"); return }
        #expect(mla.decodeMode == .naive)
        #expect(throws: EstimationError.self) {
            try preset("qwen3-next-80b-a3b").withLatentAttentionModes(prefill: .absorbed, decode: nil)
        }
    }
}
