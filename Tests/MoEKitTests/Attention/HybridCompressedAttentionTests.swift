//===--- HybridCompressedAttentionTests.swift - DeepSeek-V4 by hand -------===//

import Testing
@testable import MoEKit

@Suite("DeepSeek-V4 CSA + HCA attention")
struct HybridCompressedAttentionTests {
    let bf16 = KVStorage(kv: .bf16, indexer: .bf16), served = KVStorage(kv: .fp8, indexer: .fp4)

    func v4(_ name: String) throws -> HybridCompressedAttention {
        guard case .compressedHybrid(let a) = try preset(name).attention else { throw CancellationError() }
        return a
    }

    /// models.md §3.5 with Flash's 2 sliding-only, 21 CSA and 20 HCA layers, W = 128.
    @Test(arguments: [1, 100, 128, 129, 4_096, 131_072, 1_048_576])
    func flashKVByHand(n: Int) throws {
        let a = try v4("deepseek-v4-flash")
        let w = min(n, 128), c4 = n / 4, c128 = n / 128
        func kv(_ em: Int, _ ei: Int) -> Double {
            Double(2 * w * em + 21 * ((w + c4) * em + c4 * ei) + 20 * (w + c128) * em)
        }
        #expect(a.totalKVCacheBytes(context: n, storage: bf16) == kv(1_024, 256))
        #expect(a.totalKVCacheBytes(context: n, storage: served) == kv(584, 68))
        #expect(a.totalKVCacheBytes(context: n, storage: KVStorage(kv: .fp8, indexer: .fp8)) == kv(584, 132))
    }

    /// Pro: 30 CSA + 31 HCA layers, top-1024.
    @Test func proKVAtOneMillion() throws {
        let a = try v4("deepseek-v4-pro")
        let n = 1_048_576
        let expected = Double(30 * ((128 + n / 4) * 584 + (n / 4) * 68) + 31 * (128 + n / 128) * 584)
        #expect(a.totalKVCacheBytes(context: n, storage: served) == expected)
    }

    /// Decode per layer (models.md §3.5): core 2·n_h·1024·entries; CSA indexer 2·64·128 (+2·64)
    /// per compressed entry, k = 512 for Flash.
    @Test(arguments: [1, 127, 128, 129, 2_048, 2_051, 131_072, 1_048_576])
    func flashDecodeByHand(n: Int) throws {
        let a = try v4("deepseek-v4-flash")
        let w = Double(min(n, 128)), perKey = 2.0 * 64 * 1_024
        let csa = a.decodeCost(for: .compressedSparse(ratio: 4), context: n, storage: served)
        #expect(csa.flops == perKey * (w + Double(min(n / 4, 512))))
        #expect(csa.indexerFlops == (16_384 + 128) * Double(n / 4))
        #expect(csa.kvBytesRead == 584 * (w + Double(min(n / 4, 512))))
        #expect(csa.indexerBytesRead == 68 * Double(n / 4))
        let hca = a.decodeCost(for: .heavilyCompressed(ratio: 128), context: n, storage: served)
        #expect(hca.flops == perKey * (w + Double(n / 128)))
        #expect(hca.indexerFlops == 0)
        let swa = a.decodeCost(for: .slidingWindow(128), context: n, storage: served)
        #expect(swa.flops == perKey * w && swa.kvBytesRead == 584 * w)
    }

    /// Closed-form prefill equals a loop over positions, on a small copy with W = 8 and k = 3 so
    /// every regime (inside the window, before and after the top-k cap) occurs.
    @Test func prefillEqualsSumOfDecodeSteps() throws {
        var a = try v4("deepseek-v4-flash")
        a.window = 8
        a.indexTopK = 3
        a.layerKinds = [.slidingWindow(8), .compressedSparse(ratio: 4), .heavilyCompressed(ratio: 128)]
        for kind in a.layerKinds {
            for n in [1, 3, 4, 7, 8, 9, 12, 15, 16, 100, 255, 256, 700] {
                let steps = (1...n).map { a.decodeCost(for: kind, context: $0, storage: served) }
                let p = a.prefillCost(for: kind, tokens: n, storage: served)
                #expect(p.flops == steps.reduce(0) { $0 + $1.flops }, "\(kind) n=\(n)")
                #expect(p.indexerFlops == steps.reduce(0) { $0 + $1.indexerFlops }, "\(kind) n=\(n)")
                #expect(p.bytesWritten == steps.reduce(0) { $0 + $1.bytesWritten }, "\(kind) n=\(n)")
            }
        }
    }

    /// A million tokens: V4-Pro's KV (FP8 + FP4 indexer) is a small fraction of V3's MLA cache.
    @Test func millionTokenCacheFarBelowMLA() throws {
        let v4pro = try preset("deepseek-v4-pro").attentionModel.totalKVCacheBytes(context: 1 << 20, storage: served)
        let v3 = try preset("deepseek-v3").attentionModel.totalKVCacheBytes(context: 1 << 20, storage: KVStorage(kv: .fp8))
        #expect(v4pro < v3 / 5)
    }

    @Test func unsupportedRatioHasNoKind() {
        #expect(HybridCompressedAttention.layerKind(compressRatio: 8, window: 128) == nil)
        #expect(HybridCompressedAttention.layerKind(compressRatio: 0, window: 128) == .slidingWindow(128))
    }
}
