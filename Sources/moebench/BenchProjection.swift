//===--- BenchProjection.swift - The measured router, projected -----------===//
//
// The end of the default `moebench` run: what the router measured here costs per token on
// accelerators, for a decode step and a prefill chunk, next to the CPU's own figure.
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

/// The router GEMM + routing of the measured shape, projected onto accelerators.
struct BenchProjection {
    struct Row {
        var name: String
        var decode: RouterCost
        var prefill: RouterCost
        var pricePerHour: Double
        var priceSource: String
    }
    /// The CPU figure: measured seconds per token at a decode-sized and a prefill-sized batch.
    struct Measured {
        var decodeTokens: Int, decodeSecondsPerToken: Double
        var prefillTokens: Int, prefillSecondsPerToken: Double
        var gemmFractionOfPeak: Double?
        var pricePerHour: Double
    }

    /// Decode tokens per device in a step, and prefill tokens per device per forward.
    static let decodeTokens = 64, prefillTokens = 16_384
    /// The model projected onto when the run names none.
    static let defaultModelName = "kimi-k2.6"

    /// The model whose MoE layers the per-model figures count.
    var modelName: String
    var rows: [Row]
    var measured: Measured?
    /// MoE layers of the model: the per-model figures are per-layer figures times this.
    var layers: Int
    var matchesModel: Bool

    /// `model`: the model measured (`--model`, `--config`), or `nil` for ``defaultModelName``.
    init(config: RouterConfiguration, hidden: Int, model: ModelSpec?, accelerators: [Accelerator],
         results: [RoutingBenchmark.Measurement], peak: Double) throws {
        let spec = try model ?? ModelSpec.preset(named: Self.defaultModelName)
        modelName = spec.name
        layers = spec.feedForward.moeLayerCount
        let moe = spec.feedForward.moe
        matchesModel = moe?.routedExperts == config.experts && moe?.activeExperts == config.topK && spec.hiddenSize == hidden
        rows = accelerators.map { a in
            Row(name: a.name,
                decode: RouterCost(experts: config.experts, topK: config.topK, hiddenSize: hidden, tokens: Self.decodeTokens, accelerator: a),
                prefill: RouterCost(experts: config.experts, topK: config.topK, hiddenSize: hidden, tokens: Self.prefillTokens, accelerator: a),
                pricePerHour: a.pricePerHour, priceSource: a.sources["price_per_hour"]?.source ?? "")
        }
        let sorted = results.sorted { $0.tokens < $1.tokens }
        if let small = sorted.first(where: { $0.tokens >= Self.decodeTokens }) ?? sorted.last, let large = sorted.last {
            let cpuPrice = (try? Accelerator.presets().first { $0.name == "cpu" }?.pricePerHour) ?? nil
            measured = Measured(decodeTokens: small.tokens, decodeSecondsPerToken: small.router.median / Double(small.tokens),
                                prefillTokens: large.tokens, prefillSecondsPerToken: large.router.median / Double(large.tokens),
                                gemmFractionOfPeak: peak > 0 ? large.gemmFLOPSPerSecond / peak : nil, pricePerHour: cpuPrice ?? 0)
        }
    }

    func dollars(_ secondsPerToken: Double, price: Double) -> Double {
        RouterCost.dollarsPerMillionTokens(secondsPerToken: secondsPerToken, layers: layers, pricePerHour: price)
    }

    func table() -> String {
        var out = "\nprojection: this router (one MoE layer) per token on accelerators; $ for the \(layers) MoE layers of \(modelName)"
        out += matchesModel ? "\n" : " (the measured shape differs from \(modelName): same layer count assumed)\n"
        out += "decode: \(Self.decodeTokens) tokens per device per step; prefill: \(Self.prefillTokens) tokens per device per forward\n"
        var t = TextTable(leftAligned: true, ["device", "decode / token", "$/M tokens", "prefill / token", "$/M tokens", "$/hour"])
        if let m = measured {
            t.append(["cpu (measured here, T=\(m.decodeTokens) / T=\(m.prefillTokens))", Format.seconds(m.decodeSecondsPerToken),
                      String(format: "%.3g", dollars(m.decodeSecondsPerToken, price: m.pricePerHour)),
                      Format.seconds(m.prefillSecondsPerToken), String(format: "%.3g", dollars(m.prefillSecondsPerToken, price: m.pricePerHour)),
                      Format.fixed(m.pricePerHour, 2)])
        }
        for r in rows {
            t.append([r.name, Format.seconds(r.decode.secondsPerToken),
                      String(format: "%.3g", r.decode.dollarsPerMillionTokens(layers: layers, pricePerHour: r.pricePerHour)),
                      Format.seconds(r.prefill.secondsPerToken),
                      String(format: "%.3g", r.prefill.dollarsPerMillionTokens(layers: layers, pricePerHour: r.pricePerHour)),
                      Format.fixed(r.pricePerHour, 2)])
        }
        out += t.render()
        if let f = measured?.gemmFractionOfPeak {
            out += "the CPU router GEMM ran at \(Format.fixed(100 * f, 0))% of this CPU's peak sgemm (T=\(measured!.prefillTokens)); "
        }
        out += "accelerator terms: roofline with the preset's efficiency factors ('moebench serve' assumptions)\n"
        return out
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "model": modelName, "moe_layers": layers, "shape_matches_model": matchesModel,
            "decode_tokens_per_device": Self.decodeTokens, "prefill_tokens_per_device": Self.prefillTokens,
            "accelerators": rows.map { r -> [String: Any] in
                ["name": r.name, "price_per_hour": r.pricePerHour,
                 "decode_seconds_per_token_per_layer": r.decode.secondsPerToken,
                 "decode_usd_per_million_tokens": r.decode.dollarsPerMillionTokens(layers: layers, pricePerHour: r.pricePerHour),
                 "prefill_seconds_per_token_per_layer": r.prefill.secondsPerToken,
                 "prefill_usd_per_million_tokens": r.prefill.dollarsPerMillionTokens(layers: layers, pricePerHour: r.pricePerHour)]
            },
        ]
        if let m = measured {
            object["cpu"] = [
                "decode_tokens": m.decodeTokens, "decode_seconds_per_token_per_layer": m.decodeSecondsPerToken,
                "prefill_tokens": m.prefillTokens, "prefill_seconds_per_token_per_layer": m.prefillSecondsPerToken,
                "gemm_fraction_of_peak": m.gemmFractionOfPeak.map { $0 as Any } ?? NSNull(), "price_per_hour": m.pricePerHour,
                "decode_usd_per_million_tokens": dollars(m.decodeSecondsPerToken, price: m.pricePerHour),
                "prefill_usd_per_million_tokens": dollars(m.prefillSecondsPerToken, price: m.pricePerHour),
            ] as [String: Any]
        }
        return object
    }
}
