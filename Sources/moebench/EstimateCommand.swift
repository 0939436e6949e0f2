//===--- EstimateCommand.swift - `moebench estimate` ----------------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// Cost of one model at one context: parameters, KV cache, decode step, prefill.
    struct Estimate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Estimate parameters, KV cache, decode and prefill cost of a model at one context length.",
            discussion: "Context accepts 131072, 128K or 1M (K = 1024). JSON and CSV numbers are in bytes and FLOPs.")

        @Option(name: .customLong("model"), help: "A preset name (see 'moebench models').")
        var model: String?

        @Option(name: .customLong("config"), help: "A Hugging Face config.json file.")
        var config: String?

        @Option(name: .customLong("context"), parsing: .unconditional, help: "Context length in tokens, 1...2^40 (131072, 128K, 1M).")
        var context: String

        @Option(name: .customLong("batch"), parsing: .unconditional,
                help: "Sequences decoded together, 1...1048576 (shares weight bytes).", transform: wholeNumber(in: 1...Bounds.batch))
        var batch: Int = 1

        @OptionGroup var storage: StorageOptions

        @Option(name: .customLong("format"), help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        @Flag(name: .customLong("per-layer"), help: "Add per-layer costs (JSON and table).")
        var perLayer = false

        func run() throws {
            let n = try parseContext(context)
            let spec = try loadModel(name: model, config: config)
            warnIfBeyondMaximumContext(n, of: [spec])
            let estimator = try storage.estimator(for: spec, strict: true)
            let report = try EstimateReport(estimator: estimator, context: n, batchSize: batch, perLayer: perLayer)
            switch format {
            case .json: print(try report.json(), terminator: "")
            case .csv:
                print(csvLine(["key", "value"]))
                for row in report.flatRows { print(csvLine([row.key, Format.plain(row.value)])) }
            case .table: print(Self.table(report), terminator: "")
            }
        }

        static func table(_ r: EstimateReport) -> String {
            var out = "\(r.model) (\(r.modelType), \(r.attention)) at context \(r.context) (\(ContextLength.format(r.context)))\n"
            out += "formats: KV \(r.formats.kvCache)" + (r.formats.indexer.map { ", indexer \($0)" } ?? "")
                + (r.formats.recurrentState.map { ", recurrent state \($0)" } ?? "")
                + ", weights \(r.formats.weights), experts \(r.formats.expertWeights)\n"
            out += "layers: " + r.layerKinds.map { "\($0.count) \($0.kind)" }.joined(separator: ", ") + "\n\n"
            var t = TextTable(leftAligned: true, ["quantity", "value", "readable"])
            let rows: [(String, Double, (Double) -> String)] = [
                ("params.total", Double(r.params.total), Format.count),
                ("params.active (no embedding)", Double(r.params.active), Format.count),
                ("params.active (with embedding)", Double(r.params.activeIncludingEmbedding), Format.count),
                ("params.mtp (not in total)", Double(r.params.mtp), Format.count),
                ("kv_cache.bytes_per_sequence", r.kvCache.bytesPerSequence, Format.bytes),
                ("kv_cache.bytes_per_token", r.kvCache.bytesPerToken, Format.bytes),
                ("kv_cache.state_bytes_per_sequence (constant)", r.kvCache.stateBytesPerSequence, Format.bytes),
                ("decode.attention_flops", r.decode.attentionFlops, Format.flops),
                ("decode.indexer_flops", r.decode.indexerFlops, Format.flops),
                ("decode.weight_flops", r.decode.weightFlops, Format.flops),
                ("decode.total_flops", r.decode.totalFlops, Format.flops),
                ("decode.kv_bytes_read", r.decode.kvBytesRead, Format.bytes),
                ("decode.weight_bytes_per_token (batch \(r.decode.batchSize))", r.decode.weightBytesPerToken, Format.bytes),
                ("decode.bytes_read_per_token", r.decode.bytesReadPerToken, Format.bytes),
                ("decode.distinct_experts_per_layer", r.decode.distinctExpertsPerLayer, { String(format: "%.2f", $0) }),
                ("prefill.attention_flops", r.prefill.attentionFlops, Format.flops),
                ("prefill.weight_flops", r.prefill.weightFlops, Format.flops),
                ("prefill.total_flops", r.prefill.totalFlops, Format.flops),
                ("prefill.kv_bytes_written", r.prefill.kvBytesWritten, Format.bytes),
            ]
            for (name, value, readable) in rows { t.append([name, Format.plain(value), readable(value)]) }
            out += t.render()
            if let layers = r.layers {
                var lt = TextTable(leftAligned: true, ["layer", "attention", "ffn", "decode FLOPs", "KV read", "KV cache", "prefill FLOPs"])
                for l in layers {
                    lt.append(["\(l.index)", l.attentionKind, l.ffnKind, Format.flops(l.decodeAttentionFlops + l.decodeWeightFlops),
                               Format.bytes(l.decodeKvBytesRead), Format.bytes(l.kvCacheBytes), Format.flops(l.prefillFlops)])
                }
                out += "\n" + lt.render()
            }
            return out
        }
    }
}
