//===--- AttentionCostModel.swift - One protocol for every attention design ===//
//
// Per-layer KV bytes, decode-step and prefill costs, in closed form.
// Formulas: one file per design, each naming its sources.
//
//===----------------------------------------------------------------------===//

/// The attention designs MoEKit models.
public enum AttentionDesign: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Multi-head attention: one KV head per query head.
    case multiHead = "MHA"
    /// Grouped-query attention: fewer KV heads than query heads.
    case groupedQuery = "GQA"
    /// Multi-query attention: one KV head.
    case multiQuery = "MQA"
    /// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2).
    case multiHeadLatent = "MLA"
    /// DeepSeek Sparse Attention: MLA plus a lightning indexer and top-k selection (V3.2).
    case deepSeekSparse = "DSA"
    /// DeepSeek-V4's hybrid of compressed sparse (CSA), heavily compressed (HCA) and
    /// sliding-window layers.
    case compressedHybrid = "CSA+HCA"
    /// Gated DeltaNet linear attention (Qwen3-Next, Qwen3.5), alone.
    case gatedDeltaNet = "GDN"
    /// Kimi Delta Attention, per-channel gated linear attention (Kimi Linear, Kimi K3), alone.
    case kimiDelta = "KDA"
    /// Gated DeltaNet layers with gated GQA layers between them (Qwen3-Next, Qwen3.5).
    case gatedDeltaNetHybrid = "GDN+GQA"
    /// KDA layers with gated MLA layers between them (Kimi Linear, Kimi K3).
    case kimiDeltaHybrid = "KDA+MLA"

    public var description: String { rawValue }
}

/// What one attention layer attends to.
public enum AttentionLayerKind: Hashable, Sendable, CustomStringConvertible {
    /// Every earlier token of the sequence (causal).
    case full
    /// The last `window` tokens only (gpt-oss even layers; DeepSeek-V4 `compress_ratios` 0).
    case slidingWindow(Int)
    /// DeepSeek-V4 CSA ("c4a"): a raw sliding window plus one compressed entry per `ratio`
    /// tokens, of which an indexer keeps the top-k.
    case compressedSparse(ratio: Int)
    /// DeepSeek-V4 HCA ("c128a"): a raw sliding window plus one compressed entry per `ratio`
    /// tokens, all attended.
    case heavilyCompressed(ratio: Int)
    /// Llama 4 chunked local attention (`attention_chunk_size`): the sequence is cut into blocks
    /// of `chunk` tokens and a query attends only to the earlier tokens of its own block. At
    /// context n the cache holds the `((n − 1) mod C) + 1` tokens of the current chunk; KV bytes
    /// are reported as the `min(n, C)` tokens a server reserves (``GroupedQueryAttention``).
    case chunked(Int)
    /// A DSA layer without its own lightning indexer: it reuses the top-k selected by the
    /// previous full-indexer layer (GLM-5.x `indexer_types` entry `"shared"`).
    case sharedIndex
    /// A linear-attention layer (Gated DeltaNet, KDA): a recurrent state of constant size per
    /// sequence instead of a growing cache.
    case linear

    /// Whether this is a CSA layer (compressed entries chosen by an indexer).
    public var isCompressedSparse: Bool {
        if case .compressedSparse = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .full: return "full"
        case .slidingWindow(let w): return "sliding-\(w)"
        case .compressedSparse(let m): return "csa-\(m)"
        case .heavilyCompressed(let m): return "hca-\(m)"
        case .chunked(let c): return "chunked-\(c)"
        case .sharedIndex: return "dsa-shared"
        case .linear: return "linear"
        }
    }
}

/// The cost of attention for one layer (or summed over layers) in one phase.
///
/// FLOPs count a multiply-add as 2. Projections (Q/K/V/O, compressors, indexer projections) are
/// **not** included: they are `2 × parameters` per token and belong to the weight FLOPs of
/// ``CostEstimator``.
public struct AttentionCost: Hashable, Sendable {
    /// Core attention FLOPs: query-key scores plus the weighted sum of values (and, for naive
    /// MLA decode, the up-projection of cached latents).
    public var flops: Double
    /// Lightning-indexer scoring FLOPs (DSA and CSA only).
    public var indexerFlops: Double
    /// Bytes of main KV entries read.
    public var kvBytesRead: Double
    /// Bytes of indexer keys read.
    public var indexerBytesRead: Double
    /// Bytes appended to the cache (main entries and indexer keys).
    public var bytesWritten: Double

    /// A cost with the given parts (FLOPs and bytes; zero by default).
    public init(flops: Double = 0, indexerFlops: Double = 0, kvBytesRead: Double = 0,
                indexerBytesRead: Double = 0, bytesWritten: Double = 0) {
        self.flops = flops
        self.indexerFlops = indexerFlops
        self.kvBytesRead = kvBytesRead
        self.indexerBytesRead = indexerBytesRead
        self.bytesWritten = bytesWritten
    }

    /// No cost.
    public static let zero = AttentionCost()

    /// Core plus indexer FLOPs.
    public var totalFlops: Double { flops + indexerFlops }
    /// Main plus indexer bytes read.
    public var totalBytesRead: Double { kvBytesRead + indexerBytesRead }

    /// Field-by-field sum (costs of two layers, say).
    public static func + (a: AttentionCost, b: AttentionCost) -> AttentionCost {
        AttentionCost(flops: a.flops + b.flops, indexerFlops: a.indexerFlops + b.indexerFlops,
                      kvBytesRead: a.kvBytesRead + b.kvBytesRead,
                      indexerBytesRead: a.indexerBytesRead + b.indexerBytesRead,
                      bytesWritten: a.bytesWritten + b.bytesWritten)
    }

    /// Adds `b` to `a` field by field.
    public static func += (a: inout AttentionCost, b: AttentionCost) { a = a + b }

    /// Every field multiplied by `factor` (a layer count, for instance).
    public func scaled(by factor: Double) -> AttentionCost {
        AttentionCost(flops: flops * factor, indexerFlops: indexerFlops * factor,
                      kvBytesRead: kvBytesRead * factor, indexerBytesRead: indexerBytesRead * factor,
                      bytesWritten: bytesWritten * factor)
    }
}

/// A closed-form cost model of one attention design.
///
/// Conventions shared by every design:
/// - `context` n is the number of tokens in the sequence's cache **including** the token being
///   processed: a decode step at context n attends to n positions (fewer where a design caps or
///   compresses them). A prompt of n tokens is prefilled as queries at contexts 1, 2, …, n, so
///   prefill core FLOPs equal the sum of decode-step core FLOPs over those contexts; the
///   implementations use closed forms for these sums, never a loop over tokens.
/// - Prefill bytes read are a lower bound: each cache entry read once (a fused kernel keeping the
///   prompt's queries on chip). Real kernels re-read keys per query tile.
/// - FLOPs count a multiply-add as 2.
///
/// - Complexity: every method is O(1) in `context`.
public protocol AttentionCostModel: Sendable {
    /// The design.
    var design: AttentionDesign { get }
    /// The kind of each layer, in order (`count` is the number of layers, MTP excluded).
    var layerKinds: [AttentionLayerKind] { get }
    /// Whether the design caches lightning-indexer keys (so an indexer format matters).
    var hasIndexer: Bool { get }
    /// Parameters of one layer of `kind` (projections, compressors, indexer, norms, sinks).
    func parameters(for kind: AttentionLayerKind) -> Int
    /// KV-cache bytes one layer of `kind` holds for a sequence at `context` tokens (for a
    /// chunked layer, the chunk a server reserves for it: see ``GroupedQueryAttention``).
    func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double
    /// Attention cost of one decode step at `context` in one layer of `kind`.
    func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost
    /// Attention cost of prefilling a `tokens`-long prompt in one layer of `kind` (causal).
    func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost
    /// Bytes of constant-size per-sequence state one layer of `kind` holds (a linear layer's
    /// recurrent and convolution state), already included in
    /// ``kvCacheBytes(for:context:storage:)``; 0 for designs whose cache only grows.
    func stateBytes(for kind: AttentionLayerKind, storage: KVStorage) -> Double
}

extension AttentionCostModel {
    /// No constant-size state: the default for designs whose cache grows with the context.
    public func stateBytes(for kind: AttentionLayerKind, storage: KVStorage) -> Double { 0 }

    /// Whether some layer keeps a recurrent state (so a state format matters).
    public var hasRecurrentState: Bool { layerKinds.contains(.linear) }

    /// Constant per-sequence state summed over all layers (part of
    /// ``totalKVCacheBytes(context:storage:)``).
    public func totalStateBytes(storage: KVStorage) -> Double {
        layerKindCounts.reduce(0) { $0 + Double($1.count) * stateBytes(for: $1.kind, storage: storage) }
    }

    /// The number of layers.
    public var layerCount: Int { layerKinds.count }

    /// Distinct layer kinds with how many layers have each, in order of first appearance.
    ///
    /// - Complexity: O(*L*) for *L* layers.
    public var layerKindCounts: [(kind: AttentionLayerKind, count: Int)] {
        var result: [(kind: AttentionLayerKind, count: Int)] = []
        for kind in layerKinds {
            if let i = result.firstIndex(where: { $0.kind == kind }) { result[i].count += 1 }
            else { result.append((kind, 1)) }
        }
        return result
    }

    /// KV-cache bytes of a sequence at `context`, summed over all layers.
    public func totalKVCacheBytes(context: Int, storage: KVStorage) -> Double {
        layerKindCounts.reduce(0) { $0 + Double($1.count) * kvCacheBytes(for: $1.kind, context: context, storage: storage) }
    }

    /// Decode-step attention cost at `context`, summed over all layers.
    public func totalDecodeCost(context: Int, storage: KVStorage) -> AttentionCost {
        layerKindCounts.reduce(.zero) { $0 + decodeCost(for: $1.kind, context: context, storage: storage).scaled(by: Double($1.count)) }
    }

    /// Prefill attention cost of a `tokens`-long prompt, summed over all layers.
    public func totalPrefillCost(tokens: Int, storage: KVStorage) -> AttentionCost {
        layerKindCounts.reduce(.zero) { $0 + prefillCost(for: $1.kind, tokens: tokens, storage: storage).scaled(by: Double($1.count)) }
    }

    /// Attention parameters summed over all layers.
    public var totalParameters: Int {
        layerKindCounts.reduce(0) { $0 + $1.count * parameters(for: $1.kind) }
    }
}
