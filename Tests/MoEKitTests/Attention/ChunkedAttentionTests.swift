//===--- ChunkedAttentionTests.swift - Llama 4 chunked attention by hand ---===//

import Testing
@testable import MoEKit

@Suite("Chunked attention")
struct ChunkedAttentionTests {
    let bf16 = KVStorage(kv: .bf16, indexer: .bf16)

    /// 4 query heads, 2 KV heads of 8 dims, chunks of C = 4 tokens; Llama 4's pattern of three
    /// chunked layers and one full (NoPE) layer. By hand: an entry is 2·2·8·2 = 64 B (BF16);
    /// a key costs 4·4·8 = 128 FLOPs.
    let model = GroupedQueryAttention(hiddenSize: 32, queryHeads: 4, kvHeads: 2, headDim: 8,
                                      layerKinds: [.chunked(4), .chunked(4), .chunked(4), .full])

    @Test func entryAndKeyCosts() {
        #expect(model.bytesPerToken(.bf16) == 64)
        #expect(model.flopsPerKey == 128)
    }

    /// At n = 3 the chunk holds 3 tokens; at n = 6 (past the boundary at 4) it holds tokens 5
    /// and 6, while a server reserves the whole chunk of 4 (64 · 4 = 256 B); the full layer holds 6.
    @Test func cacheHeldAndReserved() {
        let chunked = AttentionLayerKind.chunked(4)
        #expect(model.heldTokens(chunked, context: 3) == 3)
        #expect(model.heldTokens(chunked, context: 4) == 4)
        #expect(model.heldTokens(chunked, context: 5) == 1)
        #expect(model.heldTokens(chunked, context: 6) == 2)
        #expect(model.reservedTokens(chunked, context: 6) == 4)
        #expect(model.kvCacheBytes(for: chunked, context: 3, storage: bf16) == 192)
        #expect(model.kvCacheBytes(for: chunked, context: 6, storage: bf16) == 256)
        #expect(model.kvCacheBytes(for: .full, context: 6, storage: bf16) == 384)
        // Three chunked layers at 256 B and the full layer at 384 B.
        #expect(model.totalKVCacheBytes(context: 6, storage: bf16) == 3 * 256 + 384)
        // FP8 halves the entry: 32 B.
        #expect(model.kvCacheBytes(for: chunked, context: 1_000, storage: KVStorage(kv: .fp8, indexer: .bf16)) == 4 * 32)
    }

    /// Decode at n = 3: 3 keys, 384 FLOPs, 192 B read. At n = 6: 2 keys (tokens 5, 6),
    /// 256 FLOPs, 128 B read; the full layer reads all 6 (768 FLOPs, 384 B). One 64 B entry
    /// written either way.
    @Test func decodeByHand() {
        let chunked = AttentionLayerKind.chunked(4)
        let early = model.decodeCost(for: chunked, context: 3, storage: bf16)
        #expect(early.flops == 384)
        #expect(early.kvBytesRead == 192)
        #expect(early.bytesWritten == 64)
        let late = model.decodeCost(for: chunked, context: 6, storage: bf16)
        #expect(late.flops == 256)
        #expect(late.kvBytesRead == 128)
        #expect(late.bytesWritten == 64)
        let full = model.decodeCost(for: .full, context: 6, storage: bf16)
        #expect(full.flops == 768)
        #expect(full.kvBytesRead == 384)
        // All four layers at n = 6: 3·256 + 768 FLOPs.
        #expect(model.totalDecodeCost(context: 6, storage: bf16).flops == 3 * 256 + 768)
        #expect(early.indexerFlops == 0 && late.indexerBytesRead == 0)
    }

    /// A 6-token prompt: a chunked layer sees 1+2+3+4 + 1+2 = 13 keys in all (1,664 FLOPs) and
    /// writes all 6 entries (384 B); the full layer sees 21 keys (2,688 FLOPs).
    @Test func prefillByHand() {
        let p = model.prefillCost(for: .chunked(4), tokens: 6, storage: bf16)
        #expect(p.flops == 1_664)
        #expect(p.bytesWritten == 384)
        #expect(p.kvBytesRead == 384)
        #expect(model.prefillCost(for: .full, tokens: 6, storage: bf16).flops == 2_688)
        #expect(model.totalPrefillCost(tokens: 6, storage: bf16).flops == 3 * 1_664 + 2_688)
    }

    /// A hand-built `.chunked(0)` (configs refuse it) costs as a full layer instead of trapping.
    @Test func nonPositiveChunkIsUnchunked() {
        for c in [0, -4] {
            #expect(model.decodeCost(for: .chunked(c), context: 6, storage: bf16) == model.decodeCost(for: .full, context: 6, storage: bf16))
            #expect(model.kvCacheBytes(for: .chunked(c), context: 6, storage: bf16) == 384)
            #expect(model.prefillCost(for: .chunked(c), tokens: 6, storage: bf16).flops == 2_688)
        }
    }

    /// Prefill core FLOPs equal the sum of decode steps, over every layer and position.
    @Test func prefillEqualsBruteForceOverLayersAndPositions() {
        for n in [1, 3, 4, 5, 8, 9, 37] {
            var brute = 0.0
            for kind in model.layerKinds {
                for t in 1...n { brute += model.decodeCost(for: kind, context: t, storage: bf16).flops }
            }
            #expect(model.totalPrefillCost(tokens: n, storage: bf16).flops == brute, "n \(n)")
        }
    }

    /// Llama 4 Maverick (C = 8,192, 8 KV heads of 128 dims: 4,096 B per token in BF16). At
    /// n = 131,072 = 16 chunks exactly, a chunked layer holds a whole chunk: 8,192 · 4,096 B =
    /// 32 MiB; at n = 131,073 it holds one token and decodes over one key.
    @Test func maverickAcrossAChunkBoundary() throws {
        let spec = try preset("llama-4-maverick")
        guard case .grouped(let a) = spec.attention else { Issue.record("not GQA"); return }
        let chunked = AttentionLayerKind.chunked(8_192)
        #expect(a.bytesPerToken(.bf16) == 4_096)
        #expect(a.kvCacheBytes(for: chunked, context: 131_072, storage: bf16) == 33_554_432)
        #expect(a.heldTokens(chunked, context: 131_073) == 1)
        // 40 heads · 128 dims · 4 = 20,480 FLOPs per key.
        #expect(a.decodeCost(for: chunked, context: 131_073, storage: bf16).flops == 20_480)
        #expect(a.decodeCost(for: chunked, context: 131_072, storage: bf16).flops == 20_480 * 8_192)
        // 36 chunked layers of 32 MiB plus 12 full layers of 131,072 · 4,096 B.
        #expect(a.totalKVCacheBytes(context: 131_072, storage: bf16) == 36 * 33_554_432 + 12 * 131_072 * 4_096)
    }
}
