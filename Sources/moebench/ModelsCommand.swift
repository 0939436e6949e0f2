//===--- ModelsCommand.swift - `moebench models` --------------------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// The built-in presets with their key numbers.
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the built-in model presets with their key numbers.",
            discussion: "KV @128K is one sequence's cache at 131072 tokens in the preset's default KV format. "
                + "Active parameters exclude the input embedding.")

        @Option(name: .customLong("format"), help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        struct Row: Encodable {
            var name: String, modelType: String, attention: String, layers: Int
            var routedExperts: Int, activeExperts: Int, sharedExperts: Int
            var paramsTotal: Int, paramsActive: Int, publishedTotal: Double?, publishedActive: Double?
            var maxContext: Int, kvFormat: String, weights: String, kvBytesPer128k: Double
        }

        func run() throws {
            let rows = try ModelSpec.presets().map { spec -> Row in
                let e = CostEstimator(model: spec)
                let moe = spec.feedForward.moe
                return Row(name: spec.name, modelType: spec.modelType, attention: spec.attentionModel.design.rawValue,
                           layers: spec.layerCount, routedExperts: moe?.routedExperts ?? 0, activeExperts: moe?.activeExperts ?? 0,
                           sharedExperts: moe?.sharedExperts ?? 0, paramsTotal: e.parameterCount.total.total,
                           paramsActive: e.parameterCount.active(), publishedTotal: spec.published?.total,
                           publishedActive: spec.published?.active, maxContext: spec.maxContext,
                           kvFormat: e.kvStorage.kv.rawValue, weights: e.weights.description,
                           kvBytesPer128k: try e.kvCacheBytes(context: 131_072))
            }
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            case .csv:
                print(csvLine(["name", "model_type", "attention", "layers", "routed_experts", "active_experts", "shared_experts",
                               "params_total", "params_active", "max_context", "kv_format", "weights", "kv_bytes_per_128k"]))
                for r in rows {
                    print(csvLine([r.name, r.modelType, r.attention, "\(r.layers)", "\(r.routedExperts)", "\(r.activeExperts)",
                                   "\(r.sharedExperts)", "\(r.paramsTotal)", "\(r.paramsActive)", "\(r.maxContext)",
                                   r.kvFormat, r.weights, Format.plain(r.kvBytesPer128k)]))
                }
            case .table:
                var t = TextTable(leftAligned: true, ["model", "type", "attn", "layers", "experts", "total", "active", "published",
                                   "max ctx", "weights", "KV fmt", "KV @128K"])
                for r in rows {
                    let experts = r.routedExperts == 0 ? "dense" : "\(r.activeExperts)/\(r.routedExperts)+\(r.sharedExperts)"
                    let published = r.publishedTotal.map { Format.count($0) + "/" + Format.count(r.publishedActive ?? 0) } ?? ""
                    t.append([r.name, r.modelType, r.attention, "\(r.layers)", experts, Format.count(Double(r.paramsTotal)),
                              Format.count(Double(r.paramsActive)), published, ContextLength.format(r.maxContext),
                              r.weights, r.kvFormat, Format.bytes(r.kvBytesPer128k)])
                }
                print(t.render(), terminator: "")
                print("experts: active/routed+shared; active excludes the input embedding (MoEKit's convention)")
            }
        }
    }
}
