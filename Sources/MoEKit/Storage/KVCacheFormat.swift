//===--- KVCacheFormat.swift - How cached keys and values are stored ------===//
//
// Entry layouts for GQA, MLA, DeepSeek-V4 main entries and lightning-indexer keys.
// Layouts and byte counts: `deepseek-ai/FlashMLA:README.md`, vLLM's DeepSeek-V3.2 and V4 blog
// posts, sglang's DeepSeek-V4 KV-cache and indexer kernels.
//
//===----------------------------------------------------------------------===//

/// The storage format of the main KV cache.
public enum KVCacheFormat: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// 2 bytes per element.
    case bf16
    /// FP8 e4m3 with the layout each design uses in production (see ``KVEntryLayout``).
    case fp8

    public var description: String { rawValue }
}

/// The storage format of lightning-indexer keys (DeepSeek-V3.2 DSA, DeepSeek-V4 CSA).
public enum IndexerKeyFormat: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// 2 bytes per element: 256 B for a 128-dim key.
    case bf16
    /// FP8 e4m3 plus one fp32 scale: 132 B for a 128-dim key.
    case fp8
    /// FP4 with one UE8M0 scale per 32 elements: 68 B for a 128-dim key.
    case fp4

    public var description: String { rawValue }
}

/// The KV-cache formats an estimate uses.
public struct KVStorage: Hashable, Sendable {
    /// Format of the main cache (GQA keys and values, MLA latents, V4 entries).
    public var kv: KVCacheFormat
    /// Format of indexer keys; ignored by designs without an indexer.
    public var indexer: IndexerKeyFormat
    /// Format of linear layers' recurrent state; ignored by designs without one.
    public var state: RecurrentStateFormat

    /// Formats for the main cache and the indexer keys (BF16 by default) and for a linear
    /// layer's recurrent state (FP32 by default).
    public init(kv: KVCacheFormat = .bf16, indexer: IndexerKeyFormat = .bf16, state: RecurrentStateFormat = .fp32) {
        self.kv = kv
        self.indexer = indexer
        self.state = state
    }
}

/// Bytes per cache entry (one token, or one compressed window, in one layer) for each layout.
public enum KVEntryLayout {
    /// Bytes per element of a GQA/MHA/MQA key or value: 2 in BF16, 1 in FP8 (per-tensor scale,
    /// negligible).
    public static func groupedElementBytes(_ format: KVCacheFormat) -> Int {
        format == .bf16 ? 2 : 1
    }

    /// Bytes of one MLA latent entry of `latent` (d_c) + `rope` (d_h^R) elements.
    ///
    /// BF16: `(latent + rope) · 2` (V3: 576 × 2 = **1,152** B). FP8 as in FlashMLA "FP8 with
    /// scale": `latent` FP8 bytes, one fp32 scale per 128 latent elements, and the RoPE part kept
    /// in BF16 (V3: 512 + 16 + 128 = **656** B). Source: `deepseek-ai/FlashMLA:README.md`.
    public static func latentEntryBytes(latent: Int, rope: Int, format: KVCacheFormat) -> Int {
        switch format {
        case .bf16: return (latent + rope) * 2
        case .fp8: return latent + 4 * ceilDiv(latent, 128) + 2 * rope
        }
    }

    /// Bytes of one DeepSeek-V4 main entry (one shared K = V head of `headDim` dims, `rope` of them
    /// rotated).
    ///
    /// BF16: `headDim · 2` (**1,024** B). FP8 as implemented in sglang's `NopeFp8RopeBf16Pack`:
    /// the `headDim − rope` NoPE dims in FP8, the RoPE dims in BF16, one UE8M0 scale per 64 NoPE
    /// dims, padded to a multiple of 8 bytes: 448 + 128 + 7 + 1 pad = **584** B. Source:
    /// sglang `kernels/ops/kvcache/dsv4_main_kv_store.py` (`NopeFp8RopeBf16Pack`: 448 / 64 / 7);
    /// BF16 size from vLLM's DeepSeek-V4 blog post.
    public static func compressedEntryBytes(headDim: Int, rope: Int, format: KVCacheFormat) -> Int {
        switch format {
        case .bf16: return headDim * 2
        case .fp8:
            let nope = headDim - rope
            return ceilDiv(nope + 2 * rope + ceilDiv(nope, 64), 8) * 8
        }
    }

    /// Bytes of one lightning-indexer key of `dim` elements.
    ///
    /// BF16 `2·dim` (**256** B for 128 dims); FP8 `dim + 4` (one fp32 scale, **132** B); FP4
    /// `dim/2 + dim/32` (one UE8M0 scale per 32 elements, **68** B). Sources: vLLM's
    /// DeepSeek-V3.2/V4 blog posts; sglang `dsv4/indexer.py`, `fp4_indexer_quant.py`.
    public static func indexerKeyBytes(dim: Int, format: IndexerKeyFormat) -> Int {
        switch format {
        case .bf16: return 2 * dim
        case .fp8: return dim + 4
        case .fp4: return ceilDiv(dim, 2) + ceilDiv(dim, 32)
        }
    }
}

@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
