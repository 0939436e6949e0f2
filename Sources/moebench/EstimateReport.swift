//===--- EstimateReport.swift - The `estimate --format json` document -----===//
//
// Field names are the README's schema (keys are snake_case via the encoder). All numbers are
// plain JSON numbers in base units (bytes, FLOPs, parameters, tokens).
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

/// Everything `moebench estimate` reports for one model at one context.
struct EstimateReport: Encodable {
    struct Formats: Encodable {
        var kvCache: String
        var indexer: String?
        var recurrentState: String?
        var weights: String
        var expertWeights: String
    }
    /// A ``ComponentBreakdown`` as a JSON object keyed by component (`dense_ffn`, …).
    struct Components: Encodable {
        var values: [(name: String, value: Double)]

        init<Value>(_ breakdown: ComponentBreakdown<Value>) where Value: BinaryInteger {
            values = breakdown.components.map { ($0.name, Double($0.value)) }
        }
        init(_ breakdown: ComponentCost) { values = breakdown.components }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: Encoder) throws {
            // Keys are already snake_case; the encoder's key strategy leaves them unchanged.
            var container = encoder.container(keyedBy: Key.self)
            for (name, value) in values { try container.encode(value, forKey: Key(stringValue: name)) }
        }
    }
    struct Params: Encodable {
        var total: Int
        var active: Int
        var activeConvention: String
        var activeIncludingEmbedding: Int
        var mtp: Int
        var totalBreakdown: Components
        var activeBreakdown: Components
    }
    struct KVCache: Encodable {
        /// Everything one sequence holds, constant state included.
        var bytesPerSequence: Double
        var bytesPerToken: Double
        /// Of `bytesPerSequence`, the constant state of linear-attention layers.
        var stateBytesPerSequence: Double
    }
    struct Decode: Encodable {
        var batchSize: Int
        var attentionFlops: Double
        var indexerFlops: Double
        var weightFlops: Double
        var totalFlops: Double
        var kvBytesRead: Double
        var indexerBytesRead: Double
        var weightBytesPerToken: Double
        var bytesReadPerToken: Double
        var distinctExpertsPerLayer: Double
        var weightFlopsBreakdown: Components
        var weightBytesPerStepBreakdown: Components
    }
    struct Prefill: Encodable {
        var tokens: Int
        var attentionFlops: Double
        var indexerFlops: Double
        var weightFlops: Double
        var totalFlops: Double
        var kvBytesWritten: Double
        var weightBytes: Double
    }
    struct LayerKindCount: Encodable {
        var kind: String
        var count: Int
    }
    struct Layer: Encodable {
        var index: Int
        var attentionKind: String
        var ffnKind: String
        var decodeAttentionFlops: Double
        var decodeWeightFlops: Double
        var decodeKvBytesRead: Double
        var weightBytes: Double
        var kvCacheBytes: Double
        var prefillFlops: Double
    }

    var model: String
    var modelType: String
    var attention: String
    var context: Int
    var formats: Formats
    var params: Params
    var kvCache: KVCache
    var decode: Decode
    var prefill: Prefill
    var layerKinds: [LayerKindCount]
    var layers: [Layer]?

    init(estimator e: CostEstimator, context: Int, batchSize: Int, perLayer: Bool) throws {
        let m = e.model, p = e.parameterCount
        let d = try e.decode(context: context, batchSize: batchSize)
        let pf = try e.prefill(tokens: context)
        model = m.name
        modelType = m.modelType
        attention = m.attentionModel.design.rawValue
        self.context = context
        formats = Formats(kvCache: e.kvStorage.kv.rawValue,
                          indexer: m.attentionModel.hasIndexer ? e.kvStorage.indexer.rawValue : nil,
                          recurrentState: m.attentionModel.hasRecurrentState ? e.kvStorage.state.rawValue : nil,
                          weights: e.weights.dense.description, expertWeights: e.weights.experts.description)
        params = Params(total: p.total.total, active: p.active(.excludingEmbedding),
                        activeConvention: ActiveParameterConvention.excludingEmbedding.rawValue,
                        activeIncludingEmbedding: p.active(.includingEmbedding), mtp: p.mtp,
                        totalBreakdown: Components(p.total), activeBreakdown: Components(p.active))
        kvCache = KVCache(bytesPerSequence: d.kvCacheBytesPerSequence,
                          bytesPerToken: d.kvCacheBytesPerSequence / Double(context),
                          stateBytesPerSequence: d.stateBytesPerSequence)
        decode = Decode(batchSize: batchSize, attentionFlops: d.attentionFlops, indexerFlops: d.attention.indexerFlops,
                        weightFlops: d.weightFlops.total, totalFlops: d.totalFlops, kvBytesRead: d.kvBytesRead,
                        indexerBytesRead: d.attention.indexerBytesRead, weightBytesPerToken: d.weightBytesPerToken,
                        bytesReadPerToken: d.bytesReadPerToken, distinctExpertsPerLayer: d.distinctExpertsPerLayer,
                        weightFlopsBreakdown: Components(d.weightFlops),
                        weightBytesPerStepBreakdown: Components(d.weightBytesPerStep))
        prefill = Prefill(tokens: context, attentionFlops: pf.attentionFlops, indexerFlops: pf.attention.indexerFlops,
                          weightFlops: pf.weightFlops.total, totalFlops: pf.totalFlops,
                          kvBytesWritten: pf.attention.bytesWritten, weightBytes: pf.weightBytes.total)
        layerKinds = m.attentionModel.layerKindCounts.map { LayerKindCount(kind: $0.kind.description, count: $0.count) }
        if perLayer {
            let dl = try e.layers(decodeAt: context, batchSize: batchSize), pl = try e.layers(prefillOf: context)
            layers = zip(dl, pl).map { d, p in
                Layer(index: d.index, attentionKind: d.attentionKind.description, ffnKind: d.ffnKind.rawValue,
                      decodeAttentionFlops: d.attention.totalFlops, decodeWeightFlops: d.weightFlops.total,
                      decodeKvBytesRead: d.attention.totalBytesRead, weightBytes: d.weightBytes.total,
                      kvCacheBytes: d.kvCacheBytes, prefillFlops: p.totalFlops)
            }
        }
    }

    /// Pretty-printed JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// `(key, value)` rows with dotted keys, for CSV and the table.
    var flatRows: [(key: String, value: Double)] {
        var rows: [(String, Double)] = [
            ("context", Double(context)),
            ("params.total", Double(params.total)), ("params.active", Double(params.active)),
            ("params.active_including_embedding", Double(params.activeIncludingEmbedding)), ("params.mtp", Double(params.mtp)),
            ("kv_cache.bytes_per_sequence", kvCache.bytesPerSequence), ("kv_cache.bytes_per_token", kvCache.bytesPerToken),
            ("kv_cache.state_bytes_per_sequence", kvCache.stateBytesPerSequence),
            ("decode.batch_size", Double(decode.batchSize)),
            ("decode.attention_flops", decode.attentionFlops), ("decode.indexer_flops", decode.indexerFlops),
            ("decode.weight_flops", decode.weightFlops), ("decode.total_flops", decode.totalFlops),
            ("decode.kv_bytes_read", decode.kvBytesRead), ("decode.indexer_bytes_read", decode.indexerBytesRead),
            ("decode.weight_bytes_per_token", decode.weightBytesPerToken), ("decode.bytes_read_per_token", decode.bytesReadPerToken),
            ("decode.distinct_experts_per_layer", decode.distinctExpertsPerLayer),
            ("prefill.attention_flops", prefill.attentionFlops), ("prefill.indexer_flops", prefill.indexerFlops),
            ("prefill.weight_flops", prefill.weightFlops), ("prefill.total_flops", prefill.totalFlops),
            ("prefill.kv_bytes_written", prefill.kvBytesWritten), ("prefill.weight_bytes", prefill.weightBytes),
        ]
        rows.append(contentsOf: layerKinds.map { ("layers.\($0.kind)", Double($0.count)) })
        return rows
    }
}
