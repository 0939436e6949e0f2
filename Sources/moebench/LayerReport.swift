//===--- LayerReport.swift - Tables, CSV and JSON for moebench layer ------===//

import Foundation
import MoEKit

/// The measured results of `moebench layer`, ready to print.
struct LayerReport {
    var preset: String
    var config: RouterConfiguration
    /// The layer as asked for (shared experts counted one by one).
    var shape: MoELayerShape
    var options: DispatchOptions
    var memory: MoELayerShape.Memory
    var threads: Int
    var repetitions: Int
    var peak: Double
    var results: [MoELayerBenchmark.Measurement]

    private var layerLine: String {
        var text = "d=\(shape.hiddenSize), \(shape.experts) experts of width \(shape.intermediateSize), top-\(shape.topK)"
        if shape.sharedExperts > 0 {
            text += ", \(shape.sharedExperts) shared expert\(shape.sharedExperts == 1 ? "" : "s") of width \(shape.sharedIntermediateSize)"
        }
        if options.blockSize > 1 { text += ", block \(options.blockSize)" }
        if let f = options.capacityFactor { text += ", capacity factor \(f)" }
        return text
    }

    func table() -> String {
        var out = "moebench layer: MoE layer forward on this CPU (OpenBLAS \(BLAS.coreName), \(threads) thread\(threads == 1 ? "" : "s"), float32)\n"
        out += "layer: \(preset): \(layerLine)\n"
        out += "router: \(config.summary)\n"
        let shared = memory.sharedWeights > 0 ? ", shared \(Format.bytes(memory.sharedWeights))" : ""
        out += "memory (float32): routed experts \(Format.bytes(memory.routedWeights))\(shared), router \(Format.bytes(memory.routerWeights)), buffers \(Format.bytes(memory.buffers))\n"
        if peak > 0 { out += "peak sgemm: \(Format.fixed(peak / 1e9, 1)) GFLOP/s (2048³, best of 3)\n" }
        for r in results {
            let active = r.rowsPerExpert.filter { $0 > 0 }
            let mean = Double(active.reduce(0, +)) / Double(max(1, active.count))
            out += "\ntokens=\(r.tokens): \(r.activeExperts) of \(shape.experts) experts ran, rows per active expert mean \(Format.fixed(mean, 1)), min \(active.min() ?? 0), max \(active.max() ?? 0)"
            out += "; dropped slots \(r.droppedSlots), padding rows \(r.paddingRows)\n"
            var table = TextTable(leftAligned: true, ["stage", "median", "min", "share", "work", "GFLOP/s", "% peak", "GB/s"])
            for s in r.stages {
                let gflops = s.flopsPerSecond.map { $0 / 1e9 }
                let isGEMM = [.routerGEMM, .gateUp, .down, .shared].contains(s.stage)
                table.append([
                    s.stage.rawValue, Format.seconds(s.time.median), Format.seconds(s.time.minimum),
                    Format.fixed(100 * s.time.median / r.total.median, 1) + "%",
                    s.flops.map(Format.flops) ?? "", gflops.map { Format.fixed($0, 1) } ?? "",
                    isGEMM && peak > 0 ? gflops.map { Format.fixed(100 * $0 * 1e9 / peak, 0) + "%" } ?? "" : "",
                    s.bytesPerSecond.map { Format.fixed($0 / 1e9, 1) } ?? "",
                ])
            }
            table.append(["total", Format.seconds(r.total.median), Format.seconds(r.total.minimum), "100.0%",
                          "", "", "", ""])
            out += table.render()
            let expert = r.expertGEMMFLOPSPerSecond
            out += "expert GEMMs (gate-up + down): \(Format.fixed(expert / 1e9, 1)) GFLOP/s"
            if peak > 0 { out += " = \(Format.fixed(100 * expert / peak, 0))% of peak sgemm" }
            out += "; \(Format.rate(Double(r.tokens) / r.total.median)) tokens/s for the layer\n"
        }
        out += "\nGB/s: weights read by GEMM stages (each touched expert once); activations read and written by the others.\n"
        if let rss = peakResidentBytes() { out += "peak memory (RSS): \(Format.binaryBytes(rss))\n" }
        return out
    }

    func csv() -> String {
        var out = "tokens,stage,median_seconds,min_seconds,flops,gflops,bytes,gb_per_second\n"
        for r in results {
            for s in r.stages {
                out += csvLine(["\(r.tokens)", s.stage.rawValue, "\(s.time.median)", "\(s.time.minimum)",
                                s.flops.map(Format.plain) ?? "", s.flopsPerSecond.map { "\($0 / 1e9)" } ?? "",
                                s.bytes.map(Format.plain) ?? "", s.bytesPerSecond.map { "\($0 / 1e9)" } ?? ""]) + "\n"
            }
            out += csvLine(["\(r.tokens)", "total", "\(r.total.median)", "\(r.total.minimum)", "", "", "", ""]) + "\n"
        }
        return out
    }

    func json() throws -> String {
        var layer: [String: Any] = [
            "hidden": shape.hiddenSize, "experts": shape.experts, "topk": shape.topK,
            "moe_intermediate": shape.intermediateSize, "shared_experts": shape.sharedExperts,
            "shared_intermediate": shape.sharedIntermediateSize, "block_size": options.blockSize,
        ]
        if let f = options.capacityFactor { layer["capacity_factor"] = f }
        var object: [String: Any] = [
            "preset": preset, "layer": layer, "router": config.jsonObject, "threads": threads,
            "repetitions": repetitions, "sgemm_peak_gflops": peak / 1e9, "blas": BLAS.configuration,
            "memory_bytes": [
                "routed_weights": memory.routedWeights, "shared_weights": memory.sharedWeights,
                "router_weights": memory.routerWeights, "buffers": memory.buffers, "total": memory.total,
            ],
            "results": results.map { r -> [String: Any] in
                [
                    "tokens": r.tokens,
                    "rows_per_expert": r.rowsPerExpert, "active_experts": r.activeExperts,
                    "dropped_slots": r.droppedSlots, "padding_rows": r.paddingRows,
                    "total": ["median_seconds": r.total.median, "min_seconds": r.total.minimum],
                    "expert_gemm_gflops": r.expertGEMMFLOPSPerSecond / 1e9,
                    "stages": r.stages.map { s -> [String: Any] in
                        var o: [String: Any] = ["stage": s.stage.rawValue, "median_seconds": s.time.median,
                                                "min_seconds": s.time.minimum]
                        if let f = s.flops { o["flops"] = f; o["gflops"] = s.flopsPerSecond! / 1e9 }
                        if let b = s.bytes { o["bytes"] = b; o["gb_per_second"] = s.bytesPerSecond! / 1e9 }
                        return o
                    },
                ]
            },
        ]
        if let rss = peakResidentBytes() { object["peak_rss_bytes"] = rss }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
