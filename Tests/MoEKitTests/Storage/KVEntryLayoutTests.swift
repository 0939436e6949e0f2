//===--- KVEntryLayoutTests.swift - Byte layouts against models.md §2 -----===//

import Testing
@testable import MoEKit

@Suite("Storage formats")
struct StorageFormatTests {
    /// models.md §2: MLA 576 × 2 = 1,152 B; FlashMLA FP8 512 + 16 + 128 = 656 B.
    @Test func mlaLatentEntries() {
        #expect(KVEntryLayout.latentEntryBytes(latent: 512, rope: 64, format: .bf16) == 1_152)
        #expect(KVEntryLayout.latentEntryBytes(latent: 512, rope: 64, format: .fp8) == 656)
    }

    /// models.md §2: V4 main entry 512 × 2 = 1,024 B; FP8 448 + 128 + 7 + 1 pad = 584 B.
    @Test func v4MainEntries() {
        #expect(KVEntryLayout.compressedEntryBytes(headDim: 512, rope: 64, format: .bf16) == 1_024)
        #expect(KVEntryLayout.compressedEntryBytes(headDim: 512, rope: 64, format: .fp8) == 584)
    }

    /// models.md §2: indexer keys of 128 dims: BF16 256 B, FP8 132 B, FP4 68 B.
    @Test func indexerKeys() {
        #expect(KVEntryLayout.indexerKeyBytes(dim: 128, format: .bf16) == 256)
        #expect(KVEntryLayout.indexerKeyBytes(dim: 128, format: .fp8) == 132)
        #expect(KVEntryLayout.indexerKeyBytes(dim: 128, format: .fp4) == 68)
    }

    @Test func groupedElements() {
        #expect(KVEntryLayout.groupedElementBytes(.bf16) == 2)
        #expect(KVEntryLayout.groupedElementBytes(.fp8) == 1)
    }

    /// Weight formats: 4-bit payload plus one scale byte per 32 (MXFP4) or 16 (NVFP4) elements,
    /// or a 2-byte scale per 32 (INT4 group 32); FP8 plus one fp32 per 128 × 128 block.
    @Test func weightBytesPerParameter() {
        #expect(WeightFormat.bf16.bytesPerParameter == 2)
        #expect(WeightFormat.fp8.bytesPerParameter == 1 + 4.0 / 16_384)
        #expect(WeightFormat.mxfp4.bytesPerParameter == 17.0 / 32)
        #expect(WeightFormat.nvfp4.bytesPerParameter == 9.0 / 16)
        #expect(WeightFormat.int4(groupSize: 32).bytesPerParameter == 18.0 / 32)
        #expect(WeightFormat.int4(groupSize: 128).bytesPerParameter == 0.5 + 2.0 / 128)
    }

    @Test func weightFormatNamesRoundTrip() {
        for f in [WeightFormat.bf16, .fp8, .mxfp4, .nvfp4, .int4(groupSize: 32), .int4(groupSize: 64)] {
            #expect(WeightFormat(name: f.description) == f)
        }
        #expect(WeightFormat(name: "fp4") == .mxfp4)
        #expect(WeightFormat(name: "int3") == nil)
        #expect(WeightFormat(name: "int4-g0") == nil)
    }
}
