//===--- CompareCommand.swift - `moebench compare` ------------------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// Several models side by side at one context, with ratios to the first.
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare models side by side at one context length, with ratios to the first model.",
            discussion: "Each model uses its serving defaults unless --kv-format / --indexer-format are given; "
                + "--indexer-format applies only to models that have an indexer.")

        @Option(name: .customLong("models"), help: "Comma-separated preset names or config.json paths.")
        var models: String

        @Option(name: .customLong("context"), parsing: .unconditional, help: "Context length in tokens, 1...2^40 (131072, 128K, 1M).")
        var context: String

        @Option(name: .customLong("batch"), parsing: .unconditional,
                help: "Sequences decoded together, 1...1048576 (shares weight bytes).", transform: wholeNumber(in: 1...Bounds.batch))
        var batch: Int = 1

        @OptionGroup var storage: StorageOptions

        @Option(name: .customLong("format"), help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        struct Row: Encodable {
            var model: String, attention: String, kvFormat: String, indexerFormat: String?, weights: String
            var paramsTotal: Int, paramsActive: Int
            var kvBytesPerSequence: Double, stateBytesPerSequence: Double, decodeFlops: Double, decodeBytesPerToken: Double, prefillFlops: Double
        }

        func run() throws {
            let n = try parseContext(context)
            let specs = try loadModels(models)
            warnIfBeyondMaximumContext(n, of: specs)
            var rows: [Row] = []
            for spec in specs {
                let e = try storage.estimator(for: spec, strict: false)
                let d = try e.decode(context: n, batchSize: batch), p = try e.prefill(tokens: n)
                rows.append(Row(model: spec.name, attention: spec.attentionModel.design.rawValue,
                                kvFormat: e.kvStorage.kv.rawValue,
                                indexerFormat: spec.attentionModel.hasIndexer ? e.kvStorage.indexer.rawValue : nil,
                                weights: e.weights.description,
                                paramsTotal: e.parameterCount.total.total, paramsActive: e.parameterCount.active(),
                                kvBytesPerSequence: d.kvCacheBytesPerSequence, stateBytesPerSequence: d.stateBytesPerSequence, decodeFlops: d.totalFlops,
                                decodeBytesPerToken: d.bytesReadPerToken, prefillFlops: p.totalFlops))
            }
            switch format {
            case .json:
                struct Document: Encodable { var context: Int; var batchSize: Int; var models: [Row] }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(Document(context: n, batchSize: batch, models: rows)), as: UTF8.self))
            case .csv:
                print(csvLine(["model", "attention", "kv_format", "indexer_format", "weights", "params_total", "params_active",
                               "kv_bytes_per_sequence", "decode_flops", "decode_bytes_per_token", "prefill_flops"]))
                for r in rows {
                    print(csvLine([r.model, r.attention, r.kvFormat, r.indexerFormat ?? "", r.weights, "\(r.paramsTotal)", "\(r.paramsActive)",
                                   Format.plain(r.kvBytesPerSequence), Format.plain(r.decodeFlops),
                                   Format.plain(r.decodeBytesPerToken), Format.plain(r.prefillFlops)]))
                }
            case .table:
                print("context \(n) (\(ContextLength.format(n))), batch \(batch); ratios are to \(rows[0].model); "
                      + "decode figures are per token, prefill is the whole prompt")
                var t = TextTable(leftAligned: true, ["model", "attn", "KV fmt", "total", "active", "KV/seq", "×", "decode FLOPs", "×",
                                   "decode bytes", "×", "prefill FLOPs", "×"])
                let first = rows[0]
                for r in rows {
                    t.append([r.model, r.attention, r.kvFormat + (r.indexerFormat.map { "+\($0)" } ?? ""),
                              Format.count(Double(r.paramsTotal)), Format.count(Double(r.paramsActive)),
                              Format.bytes(r.kvBytesPerSequence), Format.ratio(r.kvBytesPerSequence / first.kvBytesPerSequence),
                              Format.flops(r.decodeFlops), Format.ratio(r.decodeFlops / first.decodeFlops),
                              Format.bytes(r.decodeBytesPerToken), Format.ratio(r.decodeBytesPerToken / first.decodeBytesPerToken),
                              Format.flops(r.prefillFlops), Format.ratio(r.prefillFlops / first.prefillFlops)])
                }
                print(t.render(), terminator: "")
            }
        }
    }
}
