//===--- BenchReport.swift - Tables, CSV and JSON for moebench bench -------===//

import Foundation
import MoEKit

/// The measured results of `moebench bench`, ready to print.
struct BenchReport {
    var config: RouterConfiguration
    var preset: String?
    var hidden: Int
    var threads: Int
    var repetitions: Int
    var peak: Double
    var results: [RoutingBenchmark.Measurement]
    /// The measured router projected onto accelerators.
    var projection: BenchProjection
    /// The router GEMM's gate format in the table.
    var gateFormat: RouterGEMM.WeightFormat = .float32
    /// The limits section (`nil` with --no-limits).
    var limits: RoutingBenchmark.Limits?

    nonisolated(unsafe) private static let stages: [(name: String, time: KeyPath<RoutingBenchmark.Measurement, TimingSummary>)] = [
        ("gemm", \.gemm), ("route", \.route), ("router", \.router), ("dispatch", \.dispatch), ("combine", \.combine),
    ]

    func table() -> String {
        var out = "moebench: MoE router on this CPU (OpenBLAS \(BLAS.coreName), \(threads) thread\(threads == 1 ? "" : "s"), gate \(gateFormatName))\n"
        out += "router: \((preset.map { $0 + ": " }) ?? "")\(config.summary); hidden \(hidden)\n"
        if peak > 0 { out += "peak sgemm: \(Format.fixed(peak / 1e9, 1)) GFLOP/s (2048³, best of 3)\n" }
        out += "\n"
        var table = TextTable(["tokens", "stage", "median", "min", "ns/token", "tokens/s", "GFLOP/s", "% peak"])
        for r in results {
            for (i, stage) in Self.stages.enumerated() {
                let t = r[keyPath: stage.time]
                let isGEMM = stage.name == "gemm"
                let gflops = isGEMM ? r.gemmFLOPs / t.median / 1e9 : .nan
                table.append([
                    i == 0 ? "\(r.tokens)" : "", stage.name, Format.seconds(t.median), Format.seconds(t.minimum),
                    Format.fixed(t.median / Double(r.tokens) * 1e9, 1), Format.rate(Double(r.tokens) / t.median),
                    isGEMM ? Format.fixed(gflops, 1) : "", isGEMM && peak > 0 ? Format.fixed(100 * gflops * 1e9 / peak, 0) + "%" : "",
                ])
            }
        }
        out += table.render()
        out += "\nrouter / (gemm + route), median: "
        out += results.map { "T=\($0.tokens) \(Format.fixed($0.routerOverhead, 3))" }.joined(separator: ", ") + "\n"
        out += "router / (gemm + route), min:    "
        out += results.map { "T=\($0.tokens) \(Format.fixed($0.routerOverheadOfMinimums, 3))" }.joined(separator: ", ") + "\n"
        if let chunk = results.last?.combineChunk {
            out += "combine: expert outputs [T·k, \(hidden)] float32 into [T, \(hidden)], in chunks of \(chunk) tokens\n"
        }
        if let limits { out += "\n" + limitsTable(limits) }
        if let rss = peakResidentBytes() { out += "peak memory (RSS): \(Format.binaryBytes(rss))\n" }
        out += projection.table()
        return out
    }

    func csv() -> String {
        var out = "tokens,stage,median_seconds,min_seconds,ns_per_token,tokens_per_second,gflops\n"
        for r in results {
            for stage in Self.stages {
                let t = r[keyPath: stage.time]
                let gflops = stage.name == "gemm" ? "\(r.gemmFLOPs / t.median / 1e9)" : ""
                out += "\(r.tokens),\(stage.name),\(t.median),\(t.minimum),\(t.median / Double(r.tokens) * 1e9),\(Double(r.tokens) / t.median),\(gflops)\n"
            }
        }
        return out
    }

    func json() throws -> String {
        func stage(_ t: TimingSummary, tokens: Int) -> [String: Any] {
            [
                "median_seconds": t.median, "min_seconds": t.minimum,
                "ns_per_token": t.median / Double(tokens) * 1e9,
                "tokens_per_second": Double(tokens) / t.median,
                "repetitions": t.repetitions, "calls_per_sample": t.callsPerSample,
            ]
        }
        var object: [String: Any] = [
            "router": config.jsonObject, "hidden": hidden, "threads": threads, "repetitions": repetitions,
            "sgemm_peak_gflops": peak / 1e9, "blas": BLAS.configuration,
            "results": results.map { r -> [String: Any] in
                [
                    "tokens": r.tokens,
                    "gemm": stage(r.gemm, tokens: r.tokens),
                    "route": stage(r.route, tokens: r.tokens),
                    "router": stage(r.router, tokens: r.tokens),
                    "dispatch": stage(r.dispatch, tokens: r.tokens),
                    "combine": stage(r.combine, tokens: r.tokens),
                    "combine_chunk_tokens": r.combineChunk,
                    "gemm_gflops": r.gemmFLOPs / r.gemm.median / 1e9,
                    "router_over_stages": r.routerOverhead,
                    "router_over_stages_min": r.routerOverheadOfMinimums,
                ]
            },
        ]
        if let preset { object["preset"] = preset }
        object["gate_format"] = gateFormat.rawValue
        if let limits { object["limits"] = limitsJSON(limits) }
        object["projection"] = projection.jsonObject
        if let rss = peakResidentBytes() { object["peak_rss_bytes"] = rss }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

extension RouterConfiguration {
    /// The router's settings as a JSON object (bench and layer reports).
    var jsonObject: [String: Any] {
        var router: [String: Any] = [
            "experts": experts, "topk": topK, "scoring": scoring.rawValue,
            "correction_bias": usesCorrectionBias, "weights": weighting.rawValue,
            "normalize": normalizesWeights, "scale": Double(scalingFactor),
        ]
        if let g = groupLimit {
            router["n_group"] = g.groups
            router["topk_group"] = g.keptGroups
            router["group_score"] = g.score.rawValue
        }
        return router
    }
}
