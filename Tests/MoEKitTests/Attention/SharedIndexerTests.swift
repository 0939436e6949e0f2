//===--- SharedIndexerTests.swift - DSA with shared indexers (GLM-5) ------===//

import Testing
@testable import MoEKit

@Suite("DSA with shared indexers")
struct SharedIndexerTests {
    let bf16 = KVStorage(kv: .bf16, indexer: .bf16)

    /// A small MLA (h 64, 2 heads, d_c' 16, d_c 8, d_h 4, d_h^R 2, d_v 4) with a 2-head,
    /// 4-dim indexer keeping k = 3, layers full, shared, shared, full. By hand (BF16): an MLA entry
    /// is (8 + 2)·2 = 20 B, an indexer key 4·2 = 8 B; a selected entry costs 2·2·(2·8 + 2) = 72
    /// FLOPs, a scored key 2·2·4 + 2·2 = 20 FLOPs.
    let model = DeepSeekSparseAttention(
        latent: MultiHeadLatentAttention(hiddenSize: 64, heads: 2, queryLatentRank: 16, kvLatentRank: 8,
                                         nopeHeadDim: 4, ropeHeadDim: 2, valueHeadDim: 4, layers: 4),
        indexHeads: 2, indexHeadDim: 4, indexTopK: 3,
        layerKinds: [.full, .sharedIndex, .sharedIndex, .full])

    @Test func perKeyCosts() {
        #expect(model.latent.flopsPerKey(.absorbed) == 72)
        #expect(model.indexerFlopsPerKey == 20)
        #expect(model.bytesPerToken(bf16) == (20, 8))
    }

    /// A shared layer has no indexer: 16·2·4 (queries) + 64·4 + 2·4 (key and LayerNorm) + 64·2
    /// (head weights) = 520 parameters fewer.
    @Test func parameters() {
        let full = model.parameters(for: .full), shared = model.parameters(for: .sharedIndex)
        #expect(shared == model.latent.parameters(for: .full))
        #expect(full - shared == 520)
        #expect(model.totalParameters == 2 * full + 2 * shared)
    }

    /// At n = 5: a full layer holds 5·(20 + 8) = 140 B, a shared one 5·20 = 100 B.
    @Test func kvBytes() {
        #expect(model.kvCacheBytes(for: .full, context: 5, storage: bf16) == 140)
        #expect(model.kvCacheBytes(for: .sharedIndex, context: 5, storage: bf16) == 100)
        #expect(model.totalKVCacheBytes(context: 5, storage: bf16) == 480)
    }

    /// n = 2 (below k): 2 entries attended (144 FLOPs, 40 B); the full layer scores 2 keys
    /// (40 FLOPs, 16 B). n = 5 (past k = 3): 3 entries (216 FLOPs, 60 B); the full layer
    /// scores 5 keys (100 FLOPs, 40 B). Written: 28 B (full), 20 B (shared).
    @Test func decodeByHand() {
        let f2 = model.decodeCost(for: .full, context: 2, storage: bf16)
        let s2 = model.decodeCost(for: .sharedIndex, context: 2, storage: bf16)
        #expect(f2 == AttentionCost(flops: 144, indexerFlops: 40, kvBytesRead: 40, indexerBytesRead: 16, bytesWritten: 28))
        #expect(s2 == AttentionCost(flops: 144, indexerFlops: 0, kvBytesRead: 40, indexerBytesRead: 0, bytesWritten: 20))
        let f5 = model.decodeCost(for: .full, context: 5, storage: bf16)
        let s5 = model.decodeCost(for: .sharedIndex, context: 5, storage: bf16)
        #expect(f5 == AttentionCost(flops: 216, indexerFlops: 100, kvBytesRead: 60, indexerBytesRead: 40, bytesWritten: 28))
        #expect(s5 == AttentionCost(flops: 216, indexerFlops: 0, kvBytesRead: 60, indexerBytesRead: 0, bytesWritten: 20))
        let total = model.totalDecodeCost(context: 5, storage: bf16)
        #expect(total.flops == 4 * 216)
        #expect(total.indexerFlops == 2 * 100)
        #expect(total.totalBytesRead == 4 * 60 + 2 * 40)
    }

    /// A 5-token prompt: Σ min(t, 3) = 1+2+3+3+3 = 12 entries (864 FLOPs) in every layer; the
    /// full layers score 15 keys (300 FLOPs) and write 5·28 = 140 B, the shared ones 100 B.
    @Test func prefillByHand() {
        let f = model.prefillCost(for: .full, tokens: 5, storage: bf16)
        let s = model.prefillCost(for: .sharedIndex, tokens: 5, storage: bf16)
        #expect(f.flops == 864 && s.flops == 864)
        #expect(f.indexerFlops == 300 && s.indexerFlops == 0)
        #expect(f.bytesWritten == 140 && s.bytesWritten == 100)
        #expect(s.indexerBytesRead == 0)
    }

    /// Closed-form prefill equals the decode steps summed over layers and positions.
    @Test func prefillEqualsBruteForceOverLayersAndPositions() {
        for n in [1, 2, 3, 4, 11, 50] {
            var flops = 0.0, indexer = 0.0, written = 0.0
            for kind in model.layerKinds {
                for t in 1...n {
                    let c = model.decodeCost(for: kind, context: t, storage: bf16)
                    flops += c.flops
                    indexer += c.indexerFlops
                    written += c.bytesWritten
                }
            }
            let p = model.totalPrefillCost(tokens: n, storage: bf16)
            #expect(p.flops == flops && p.indexerFlops == indexer && p.bytesWritten == written, "n \(n)")
        }
    }

    /// GLM-5 (64 heads, d_c 512, d_h^R 64; 32 indexer heads of 128; k 2,048; 21 full and 57
    /// shared layers; FP8 KV and indexer keys): at n = 131,072 a full layer holds
    /// (656 + 132)·n bytes, a shared one 656·n; decode scores n keys in 21 layers only.
    @Test func glm5AtLongContext() throws {
        let spec = try preset("glm-5")
        guard case .sparse(let a) = spec.attention else { Issue.record("not DSA"); return }
        let n = 131_072, fp8 = KVStorage(kv: .fp8, indexer: .fp8)
        #expect(a.layerKinds.count { $0 == .full } == 21)
        #expect(a.layerKinds.count { $0 == .sharedIndex } == 57)
        #expect(a.totalKVCacheBytes(context: n, storage: fp8) == Double(n) * (78 * 656 + 21 * 132))
        let d = a.totalDecodeCost(context: n, storage: fp8)
        // Indexer: 21 layers · (2·32·128 + 2·32) · n; core: 78 · 2·64·(2·512 + 64) · 2,048.
        #expect(d.indexerFlops == 21 * 8_256 * Double(n))
        #expect(d.flops == 78 * 139_264 * 2_048)
    }
}
