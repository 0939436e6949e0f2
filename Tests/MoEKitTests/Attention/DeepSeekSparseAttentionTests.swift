//===--- DeepSeekSparseAttentionTests.swift - DSA by hand -----------------===//

import Testing
@testable import MoEKit

@Suite("DSA attention")
struct DeepSeekSparseAttentionTests {
    let fp8 = KVStorage(kv: .fp8, indexer: .fp8), bf16 = KVStorage(kv: .bf16, indexer: .bf16)

    func v32() throws -> DeepSeekSparseAttention {
        guard case .sparse(let a) = try preset("deepseek-v3.2").attention else { throw CancellationError() }
        return a
    }

    /// DSA attends to min(n, 2048) entries (models.md §3.4): core 278,528·min(n, 2048) FLOPs and
    /// 656·min(n, 2048) bytes; the indexer scores all n keys, 2·64·128·n + 2·64·n FLOPs, and reads
    /// 132·n bytes.
    @Test(arguments: [1, 1_000, 2_047, 2_048, 2_049, 131_072])
    func decodeByHand(n: Int) throws {
        let a = try v32()
        let c = a.decodeCost(for: .full, context: n, storage: fp8)
        let selected = Double(min(n, 2_048)), d = Double(n)
        #expect(a.selectedEntries(context: n) == min(n, 2_048))
        #expect(c.flops == 278_528 * selected)
        #expect(c.kvBytesRead == 656 * selected)
        #expect(c.indexerFlops == (16_384 + 128) * d)
        #expect(c.indexerBytesRead == 132 * d)
        #expect(c.bytesWritten == 656 + 132)
    }

    /// models.md §2: a V3.2 layer holds 1,152 + 256 = 1,408 B per token in BF16, 656 + 132 in FP8.
    @Test func kvPerToken() throws {
        let a = try v32()
        #expect(a.kvCacheBytes(for: .full, context: 1, storage: bf16) == 1_408)
        #expect(a.kvCacheBytes(for: .full, context: 10_000, storage: fp8) == 788 * 10_000)
        #expect(a.totalKVCacheBytes(context: 1, storage: bf16) == 61 * 1_408)
    }

    @Test func prefillEqualsSumOfDecodeSteps() throws {
        var a = try v32()
        a.indexTopK = 16 // exercise the cap at small n
        for n in [1, 15, 16, 17, 200] {
            let steps = (1...n).map { a.decodeCost(for: .full, context: $0, storage: fp8) }
            let p = a.prefillCost(for: .full, tokens: n, storage: fp8)
            #expect(p.flops == steps.reduce(0) { $0 + $1.flops })
            #expect(p.indexerFlops == steps.reduce(0) { $0 + $1.indexerFlops })
            #expect(p.bytesWritten == steps.reduce(0) { $0 + $1.bytesWritten })
        }
    }

    /// Sparse decode beats dense absorbed MLA once n > ≈2,180 (models.md §3.4).
    @Test func crossoverWithDenseMLA() throws {
        let dsa = try v32()
        func dense(_ n: Int) -> Double { dsa.latent.flopsPerKey(.absorbed) * Double(n) }
        func sparse(_ n: Int) -> Double { dsa.decodeCost(for: .full, context: n, storage: fp8).totalFlops }
        #expect(sparse(2_100) > dense(2_100))
        #expect(sparse(2_200) < dense(2_200))
    }
}
