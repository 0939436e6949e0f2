//===--- ServeReport.swift - Tables, JSON, CSV and the frontier chart -----===//
//
// JSON keys (snake_case; numbers in base units unless the key names one: `_ms`, `usd_`):
//   model, model_type, accelerator, accelerator_summary
//   deployment: {devices, tp, ep, attention_groups, redundant_experts, weights, expert_weights,
//                kv_format, indexer_format|null, context, prefill_chunk, mtp_tokens, mtp_acceptance,
//                cache_hit_rate, overlap, expert_load}
//   decode: {batch_per_device, batch_rule, target_met, largest_fitting_batch, tpot_ms, step_ms,
//            tokens_per_step, tokens_per_second_per_device, tokens_per_second_per_user, overlapped,
//            memory{...}} | null
//   prefill: {chunk_tokens, forward_ms, ttft_ms, tokens_per_second_per_device,
//             miss_tokens_per_second_per_device, cache_read_ms, overlapped, memory{...}} | null
//   memory: {bytes_per_device, available_bytes, fits, overflow_bytes, largest, components{}}
//           (the decode memory; the prefill memory for --phase prefill)
//   cost: {price_per_hour, usd_per_million_output_tokens, usd_per_million_input_tokens,
//          usd_per_million_cached_input_tokens, cache_tier, cache_tier_bandwidth, cached_bytes_per_token}
//   breakdown: {decode: {attention, routed_experts, shared_dense, communication_exposed, other} (s),
//               prefill: {...}}
//   published_prices: [{provider, date, source, output, cache_miss_input, cache_hit_input,
//                       gross_margin_output, gross_margin_input, gross_margin_cached_input}]
//   frontier: [{batch_per_device, tokens_per_second_per_user, tokens_per_second_per_device,
//               tpot_ms, fits}]
//   assumptions: {key: {value, note}}
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

/// One `serve` projection, computed and ready to print.
struct ServeReport {
    var projection: ServingProjection
    var decode: DecodeChoice?
    var prefill: PrefillProjection?
    var cost: ServingCost
    var frontier: [DecodeProjection]

    init(projection p: ServingProjection, phase: MoEBench.Serve.PhaseOption, rule: BatchRule, frontierPoints: Int) throws {
        projection = p
        decode = phase == .prefill ? nil : try p.decode(rule)
        prefill = phase == .decode ? nil : p.prefill()
        cost = p.cost(decode: decode?.projection, prefill: prefill)
        frontier = frontierPoints > 0 && phase != .prefill ? try p.frontier(points: frontierPoints) : []
    }

    var name: String { "\(projection.model.name) on \(projection.accelerator.name)" }

    /// The memory verdict reported at the top level: decode's when decode was projected, else prefill's.
    var memory: MemoryFootprint { decode?.projection.memory ?? prefill!.memory }

    static func ruleText(_ c: DecodeChoice) -> String {
        switch c.rule {
        case .fixed(let b): return "fixed at \(b) per device"
        case .timePerOutputToken(let s) where c.largestFittingBatch == 0:
            return "not even one sequence fits in memory; TPOT <= \(Format.plain(s * 1e3)) ms cannot be searched"
        case .timePerOutputToken(let s):
            return c.targetMet ? "largest batch with TPOT <= \(Format.plain(s * 1e3)) ms (fits up to \(c.largestFittingBatch))"
                : "no batch meets TPOT <= \(Format.plain(s * 1e3)) ms; fastest achievable shown"
        case .largestFitting(let limit): return "largest that fits in memory, at most \(limit)"
        }
    }

    static func verdict(_ m: MemoryFootprint) -> String {
        if m.fits { return "fits: \(Format.bytes(m.total)) of \(Format.bytes(m.available)) usable" }
        let l = m.largest
        return "DOES NOT FIT: needs \(Format.bytes(m.total)), \(Format.bytes(m.available)) usable, over by \(Format.bytes(m.overflow)); largest part \(l.name.replacingOccurrences(of: "_", with: " ")) \(Format.bytes(l.bytes))"
    }

    static func shares(_ b: StepBreakdown) -> String {
        b.components.map { "\($0.name.replacingOccurrences(of: "_", with: " ")) \(Format.seconds($0.seconds)) (\(Format.fixed(100 * $0.seconds / b.total, 0))%)" }
            .joined(separator: ", ")
    }

    /// Tokens per second: whole numbers from 100 up, three significant digits below.
    static func rate(_ v: Double) -> String {
        v >= 100 ? Format.fixed(v, 0) : String(format: "%.3g", v)
    }

    static func dollars(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v >= 0.01 ? "$" + Format.fixed(v, 3) : String(format: "$%.2g", v)
    }

    func table() -> String {
        let p = projection, d = p.deployment, a = p.accelerator
        var out = "\(p.model.name) on \(d.devices) x \(a.name) (\(a.summary))\n"
        out += "layout: \(d.attentionGroups) DP-attention groups of TP \(d.tensorParallel), EP \(d.expertParallel), \(d.redundantExperts) redundant experts; context \(ContextLength.format(d.context))\n"
        out += "formats: weights \(d.weights.dense), experts \(d.weights.experts), KV \(d.kvStorage.kv)"
        out += (p.model.attentionModel.hasIndexer ? ", indexer \(d.kvStorage.indexer)" : "")
            + (p.model.attentionModel.hasRecurrentState ? ", recurrent state \(d.kvStorage.state)" : "") + "\n"
        out += "serving: " + (d.speculation.map { "MTP \($0.draftTokens) draft, acceptance \($0.acceptance)" } ?? "no MTP")
        out += ", overlap \(d.overlap ? "on" : "off"), cache hit rate \(Format.plain(d.cacheHitRate)), prefill chunk \(d.prefillChunk)\n"
        if let c = decode {
            let x = c.projection
            out += "\ndecode: batch \(x.batchPerDevice) per device (\(Self.ruleText(c)))\n"
            var t = TextTable(leftAligned: true, ["quantity", "value"])
            t.append(["time per output token", Format.seconds(x.timePerOutputToken)])
            t.append(["step time", Format.seconds(x.stepTime) + " (\(Format.fixed(x.tokensPerStep, 2)) tokens per step)"])
            t.append(["tokens/s per user", Self.rate(x.tokensPerSecondPerUser)])
            t.append(["tokens/s per device", Self.rate(x.tokensPerSecondPerDevice)])
            t.append(["memory per device", Self.verdict(x.memory)])
            out += t.render()
            out += "step: " + Self.shares(x.breakdown) + (x.overlapped ? "; two micro-batches overlapped" : "") + "\n"
        }
        if let f = prefill {
            out += "\nprefill: \(f.chunkTokens) cache-miss tokens per device per forward, prompt \(ContextLength.format(d.context))\n"
            var t = TextTable(leftAligned: true, ["quantity", "value"])
            t.append(["time to first token", Format.seconds(f.timeToFirstToken)])
            t.append(["forward time", Format.seconds(f.forwardTime)])
            t.append(["input tokens/s per device", Self.rate(f.tokensPerSecondPerDevice) + (d.cacheHitRate > 0 ? " (cache-miss \(Self.rate(f.missTokensPerSecondPerDevice)))" : "")])
            t.append(["memory per device", Self.verdict(f.memory)])
            out += t.render()
            out += "forward: " + Self.shares(f.breakdown) + (f.overlapped ? "; two micro-batches overlapped" : "") + "\n"
        }
        let priceSource = a.sources["price_per_hour"].map { " (\($0.source))" } ?? ""
        out += "\ncost at $\(Format.fixed(cost.pricePerHour, 2)) per device-hour\(priceSource)\n"
        if let x = decode?.projection, !x.memory.fits {
            out += "(the decode batch does not fit in memory: its output cost is for a point that cannot run)\n"
        }
        if let f = prefill, !f.memory.fits {
            out += "(the prefill forward does not fit in memory: its input cost is for a point that cannot run)\n"
        }
        var t = TextTable(leftAligned: true, ["USD per million tokens", "projected"] + p.model.apiPrices.map { "\($0.provider) \($0.date)" })
        let prices = p.model.apiPrices
        func row(_ name: String, _ v: Double?, _ published: (APIPrice) -> Double) {
            t.append([name, Self.dollars(v)] + prices.map { price in
                let list = published(price)
                guard let v else { return Self.dollars(list) }
                return Self.dollars(list) + " (margin \(Format.fixed(100 * APIPrice.grossMargin(price: list, cost: v), 0))%)"
            })
        }
        row("output", cost.perMillionOutputTokens, \.output)
        row("input, cache miss", cost.perMillionInputTokens, \.cacheMissInput)
        row("input, cache hit", cost.perMillionCachedInputTokens, \.cacheHitInput)
        out += t.render()
        out += "cache hit: \(Format.bytes(cost.cachedBytesPerToken)) of KV per token read from \(cost.cacheTier.name) at \(Format.bytes(cost.cacheTier.bandwidth))/s per device\n"
        out += "assumptions (sources: --format json):\n"
        for s in p.assumptions { out += "  \(s.key): \(s.value)\n" }
        return out
    }

    // MARK: JSON

    func jsonObject() -> [String: Any] {
        let p = projection, d = p.deployment, a = p.accelerator
        func memoryObject(_ m: MemoryFootprint) -> [String: Any] {
            ["bytes_per_device": m.total, "available_bytes": m.available, "fits": m.fits, "overflow_bytes": m.overflow,
             "largest": m.largest.name, "components": Dictionary(uniqueKeysWithValues: m.components.map { ($0.name, $0.bytes) })]
        }
        func breakdown(_ b: StepBreakdown) -> [String: Any] {
            Dictionary(uniqueKeysWithValues: b.components.map { ($0.name, $0.seconds) })
        }
        func optional(_ v: Double?) -> Any { v.map { $0 as Any } ?? NSNull() }
        var object: [String: Any] = [
            "model": p.model.name, "model_type": p.model.modelType, "accelerator": a.name, "accelerator_summary": a.summary,
        ]
        let load: String
        switch d.expertLoad {
        case .uniform: load = "uniform"
        case .zipf(let s): load = "zipf:\(s)"
        case .measured: load = "measured"
        }
        object["deployment"] = [
            "devices": d.devices, "tp": d.tensorParallel, "ep": d.expertParallel, "attention_groups": d.attentionGroups,
            "redundant_experts": d.redundantExperts, "weights": d.weights.dense.description,
            "expert_weights": d.weights.experts.description, "kv_format": d.kvStorage.kv.rawValue,
            "indexer_format": p.model.attentionModel.hasIndexer ? d.kvStorage.indexer.rawValue as Any : NSNull(),
            "state_format": p.model.attentionModel.hasRecurrentState ? d.kvStorage.state.rawValue as Any : NSNull(),
            "context": d.context, "prefill_chunk": d.prefillChunk, "mtp_tokens": d.speculation?.draftTokens ?? 0,
            "mtp_acceptance": optional(d.speculation?.acceptance), "cache_hit_rate": d.cacheHitRate,
            "overlap": d.overlap, "expert_load": load,
        ] as [String: Any]
        if let c = decode {
            let x = c.projection
            object["decode"] = [
                "batch_per_device": x.batchPerDevice, "batch_rule": Self.ruleText(c), "target_met": c.targetMet,
                "largest_fitting_batch": c.largestFittingBatch, "tpot_ms": x.timePerOutputToken * 1e3, "step_ms": x.stepTime * 1e3,
                "tokens_per_step": x.tokensPerStep, "tokens_per_second_per_device": x.tokensPerSecondPerDevice,
                "tokens_per_second_per_user": x.tokensPerSecondPerUser, "overlapped": x.overlapped, "memory": memoryObject(x.memory),
            ] as [String: Any]
        } else { object["decode"] = NSNull() }
        if let f = prefill {
            object["prefill"] = [
                "chunk_tokens": f.chunkTokens, "forward_ms": f.forwardTime * 1e3, "ttft_ms": f.timeToFirstToken * 1e3,
                "tokens_per_second_per_device": f.tokensPerSecondPerDevice,
                "miss_tokens_per_second_per_device": f.missTokensPerSecondPerDevice, "cache_read_ms": f.cacheReadTime * 1e3,
                "overlapped": f.overlapped, "memory": memoryObject(f.memory),
            ] as [String: Any]
        } else { object["prefill"] = NSNull() }
        object["memory"] = memoryObject(memory)
        object["cost"] = [
            "price_per_hour": cost.pricePerHour, "usd_per_million_output_tokens": optional(cost.perMillionOutputTokens),
            "usd_per_million_input_tokens": optional(cost.perMillionInputTokens),
            "usd_per_million_cached_input_tokens": cost.perMillionCachedInputTokens, "cache_tier": cost.cacheTier.name,
            "cache_tier_bandwidth": cost.cacheTier.bandwidth, "cached_bytes_per_token": cost.cachedBytesPerToken,
        ] as [String: Any]
        var phases: [String: Any] = [:]
        if let c = decode { phases["decode"] = breakdown(c.projection.breakdown) }
        if let f = prefill { phases["prefill"] = breakdown(f.breakdown) }
        object["breakdown"] = phases
        object["published_prices"] = p.model.apiPrices.map { price -> [String: Any] in
            func margin(_ list: Double, _ v: Double?) -> Any { v.map { APIPrice.grossMargin(price: list, cost: $0) as Any } ?? NSNull() }
            return ["provider": price.provider, "date": price.date, "source": price.source, "output": price.output,
                    "cache_miss_input": price.cacheMissInput, "cache_hit_input": price.cacheHitInput,
                    "gross_margin_output": margin(price.output, cost.perMillionOutputTokens),
                    "gross_margin_input": margin(price.cacheMissInput, cost.perMillionInputTokens),
                    "gross_margin_cached_input": margin(price.cacheHitInput, cost.perMillionCachedInputTokens)]
        }
        object["frontier"] = frontier.map { x -> [String: Any] in
            ["batch_per_device": x.batchPerDevice, "tokens_per_second_per_user": x.tokensPerSecondPerUser,
             "tokens_per_second_per_device": x.tokensPerSecondPerDevice, "tpot_ms": x.timePerOutputToken * 1e3, "fits": x.memory.fits]
        }
        object["assumptions"] = Dictionary(p.assumptions.map { ($0.key, ["value": $0.value, "note": $0.note]) }, uniquingKeysWith: { a, _ in a })
        return object
    }

    /// Throws when a projection is not finite (an accelerator value far outside any device's).
    func checkFinite() throws {
        let values = [decode?.projection.stepTime, prefill?.forwardTime, cost.perMillionOutputTokens,
                      cost.perMillionInputTokens, cost.perMillionCachedInputTokens, memory.total]
        guard values.allSatisfy({ $0.map(\.isFinite) ?? true }) else {
            throw UsageError("the projection of \(name) is not finite: check the accelerator's numbers (bandwidths, peaks, efficiencies)")
        }
    }

    /// One object for one projection, an array for several.
    static func json(_ reports: [ServeReport]) throws -> String {
        let root: Any = reports.count == 1 ? reports[0].jsonObject() : reports.map { $0.jsonObject() }
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: CSV

    /// `model,accelerator,key,value` rows with the JSON document's scalar leaves (dotted keys;
    /// frontier points as `frontier.<i>.<key>`), assumptions left out.
    static func csv(_ reports: [ServeReport]) -> String {
        var out = csvLine(["model", "accelerator", "key", "value"]) + "\n"
        for r in reports {
            var rows: [(String, String)] = []
            func walk(_ prefix: String, _ value: Any) {
                switch value {
                case let o as [String: Any]:
                    for key in o.keys.sorted() { walk(prefix.isEmpty ? key : prefix + "." + key, o[key]!) }
                case let a as [Any]:
                    for (i, v) in a.enumerated() { walk("\(prefix).\(i)", v) }
                case let b as Bool: rows.append((prefix, b ? "true" : "false"))
                case let n as NSNumber: rows.append((prefix, Format.plain(n.doubleValue)))
                case is NSNull: rows.append((prefix, ""))
                default: rows.append((prefix, "\(value)"))
                }
            }
            var object = r.jsonObject()
            object["assumptions"] = nil
            walk("", object)
            for (k, v) in rows { out += csvLine([r.projection.model.name, r.projection.accelerator.name, k, v]) + "\n" }
        }
        return out
    }

    // MARK: Chart

    /// Tokens/s per device against tokens/s per user, one curve per projection.
    static func frontierChart(_ reports: [ServeReport]) -> String {
        let several = Set(reports.map(\.projection.model.name)).count > 1
        let series = reports.map { r in
            SVGXYChart.Series(name: several ? r.name : r.projection.accelerator.name,
                              points: r.frontier.map { ($0.tokensPerSecondPerUser, $0.tokensPerSecondPerDevice) })
        }
        let models = Set(reports.map(\.projection.model.name)).sorted().joined(separator: ", ")
        let d = reports.first?.projection.deployment
        return SVGXYChart(title: "Throughput vs interactivity: \(models)",
                          subtitle: d.map { "\($0.devices) devices, EP \($0.expertParallel), context \(ContextLength.format($0.context)); one point per batch size" } ?? "",
                          xTitle: "Output tokens/s per user (log scale)", yTitle: "Output tokens/s per device (log scale)",
                          series: series).render()
    }
}
