//===--- ServeCommandTests.swift - `moebench serve` end to end ------------===//

import Foundation
import MoEKit
import Testing

/// The value at a dotted path of a JSON object (`decode.memory.fits`).
private func value(_ object: [String: Any], _ path: String) -> Any? {
    var current: Any? = object
    for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
    return current
}

/// The number at a dotted path. (On Linux a JSON 0 or 1 also reads as a Bool, so booleans are
/// not told apart here; the tests read those with `as? Bool`.)
private func number(_ object: [String: Any], _ path: String) -> Double? {
    guard let v = value(object, path), !(v is String), let n = v as? NSNumber else { return nil }
    return n.doubleValue
}

private func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance * max(abs(b), 1e-300)
}

@Suite("moebench serve")
struct ServeCommandTests {
    static let base = ["serve", "--model", "deepseek-v3", "--accelerator", "h200", "--devices", "8", "--context", "4096"]

    func run(_ arguments: [String]) throws -> MoebenchRun {
        try runMoebench(arguments)
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try runMoebench(arguments + ["--format", "json"])
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// The library projection the default command describes.
    static func library(_ change: (inout Deployment) -> Void = { _ in }) throws -> ServingProjection {
        let model = try ModelSpec.preset(named: "deepseek-v3")
        var d = Deployment(model: model, devices: 8, context: 4096)
        change(&d)
        return try ServingProjection(model: model, accelerator: try Accelerator.preset(named: "h200"), deployment: d)
    }

    @Test func jsonHasEveryDocumentedKey() throws {
        let o = try json(Self.base)
        for key in ["decode.tpot_ms", "decode.step_ms", "decode.batch_per_device", "decode.tokens_per_second_per_device",
                    "decode.tokens_per_second_per_user", "decode.tokens_per_step", "decode.largest_fitting_batch",
                    "prefill.tokens_per_second_per_device", "prefill.miss_tokens_per_second_per_device", "prefill.ttft_ms",
                    "prefill.forward_ms", "prefill.cache_read_ms", "prefill.chunk_tokens",
                    "memory.bytes_per_device", "memory.available_bytes", "memory.overflow_bytes",
                    "cost.usd_per_million_output_tokens", "cost.usd_per_million_input_tokens",
                    "cost.usd_per_million_cached_input_tokens", "cost.price_per_hour", "cost.cached_bytes_per_token",
                    "cost.cache_tier_bandwidth", "deployment.devices", "deployment.tp", "deployment.ep", "deployment.context"] {
            #expect(number(o, key) != nil, "missing or non-numeric \(key)")
        }
        for phase in ["decode", "prefill"] {
            for part in ["attention", "routed_experts", "shared_dense", "communication_exposed", "other"] {
                #expect(number(o, "breakdown.\(phase).\(part)") != nil, "missing breakdown.\(phase).\(part)")
            }
        }
        for part in ["weights", "expert_weights", "draft_weights", "kv_cache", "activations", "communication_buffers"] {
            #expect(number(o, "memory.components.\(part)") != nil, "missing memory.components.\(part)")
        }
        #expect(value(o, "memory.fits") as? Bool == true)
        #expect(value(o, "decode.target_met") as? Bool == true)
        #expect(value(o, "decode.overlapped") is Bool && value(o, "prefill.overlapped") is Bool)
        #expect(o["model"] as? String == "deepseek-v3" && o["accelerator"] as? String == "h200")
        #expect(value(o, "deployment.expert_load") as? String == "uniform")
        let assumptions = try #require(o["assumptions"] as? [String: [String: String]])
        for key in ["attention_layout", "expert_layout", "expert_load", "efficiency.memory", "efficiency.compute.fp8",
                    "price_per_hour", "cache_tier", "term_time", "communication", "overlap"] {
            #expect(assumptions[key]?["value"] != nil && assumptions[key]?["note"] != nil, "assumption \(key)")
        }
        #expect(assumptions["efficiency.compute.fp8"]?["value"] == "0.3")
        #expect(assumptions["price_per_hour"]?["value"] == "2.3")
        // DeepSeek-V3 carries no published API price.
        #expect((o["published_prices"] as? [Any])?.isEmpty == true)
        let frontier = try #require(o["frontier"] as? [[String: Any]])
        #expect(frontier.count > 1)
    }

    /// The numbers are the library's for the same deployment.
    @Test func jsonEqualsTheLibrary() throws {
        let o = try json(Self.base)
        let p = try Self.library()
        let choice = try p.decode(.largestFitting(limit: 1024))
        let x = choice.projection, f = p.prefill()
        let cost = p.cost(decode: x, prefill: f)
        #expect(number(o, "decode.batch_per_device") == Double(x.batchPerDevice))
        #expect(number(o, "decode.largest_fitting_batch") == Double(choice.largestFittingBatch))
        #expect(close(number(o, "decode.tpot_ms"), x.timePerOutputToken * 1e3))
        #expect(close(number(o, "decode.tokens_per_second_per_device"), x.tokensPerSecondPerDevice))
        #expect(close(number(o, "decode.tokens_per_second_per_user"), x.tokensPerSecondPerUser))
        #expect(close(number(o, "prefill.tokens_per_second_per_device"), f.tokensPerSecondPerDevice))
        #expect(close(number(o, "prefill.ttft_ms"), f.timeToFirstToken * 1e3))
        #expect(close(number(o, "memory.bytes_per_device"), x.memory.total))
        #expect(close(number(o, "memory.components.expert_weights"), x.memory.expertWeights))
        #expect(close(number(o, "cost.usd_per_million_output_tokens"), cost.perMillionOutputTokens!))
        #expect(close(number(o, "cost.usd_per_million_input_tokens"), cost.perMillionInputTokens!))
        #expect(close(number(o, "cost.usd_per_million_cached_input_tokens"), cost.perMillionCachedInputTokens))
        #expect(close(number(o, "breakdown.decode.routed_experts"), x.breakdown.routedExperts))
        #expect(close(number(o, "breakdown.prefill.attention"), f.breakdown.attention))
        // Hand-checked: 58 MoE layers × 32 experts per rank × 3·7168·2048 parameters in FP8 with
        // a 4-byte scale per 128 × 128 block; 61 × 1152 B of MLA KV per token.
        #expect(close(number(o, "memory.components.expert_weights"), 58.0 * 32 * 3 * 7168 * 2048 * (1 + 4.0 / 16_384)))
        #expect(number(o, "cost.cached_bytes_per_token") == Double(61 * 1152))
        #expect(number(o, "memory.components.kv_cache") == number(o, "decode.batch_per_device").map { $0 * 61 * 4096 * 1152 })
    }

    /// Relations between the printed numbers that hold whatever the model computes.
    @Test(arguments: [[String](), ["--mtp-acceptance", "0.85"], ["--batch-per-device", "33", "--cache-hit-rate", "0.5"]])
    func jsonIsInternallyConsistent(_ extra: [String]) throws {
        let o = try json(Self.base + extra)
        let batch = try #require(number(o, "decode.batch_per_device"))
        let tpot = try #require(number(o, "decode.tpot_ms")), step = try #require(number(o, "decode.step_ms"))
        let perStep = try #require(number(o, "decode.tokens_per_step"))
        let device = try #require(number(o, "decode.tokens_per_second_per_device"))
        let user = try #require(number(o, "decode.tokens_per_second_per_user"))
        #expect(close(tpot, step / perStep))
        #expect(close(tpot, 1000 * batch / device, 1e-9))
        #expect(close(device, batch * user, 1e-9))
        #expect(close(user, 1000 / tpot, 1e-9))
        if extra.contains("--mtp-acceptance") { #expect(perStep == 1.85) } else { #expect(perStep == 1) }
        let parts = ["attention", "routed_experts", "shared_dense", "communication_exposed", "other"]
        #expect(close(parts.compactMap { number(o, "breakdown.decode.\($0)") }.reduce(0, +) * 1000, step, 1e-9))
        #expect(close(parts.compactMap { number(o, "breakdown.prefill.\($0)") }.reduce(0, +) * 1000,
                      try #require(number(o, "prefill.forward_ms")), 1e-9))
        let components = ["weights", "expert_weights", "draft_weights", "kv_cache", "activations", "communication_buffers"]
        #expect(close(components.compactMap { number(o, "memory.components.\($0)") }.reduce(0, +),
                      try #require(number(o, "memory.bytes_per_device")), 1e-12))
        // Cost: $2.30 per hour over the throughput.
        #expect(close(number(o, "cost.usd_per_million_output_tokens"), 2.3 / 3600 / device * 1e6, 1e-9))
        let miss = try #require(number(o, "prefill.miss_tokens_per_second_per_device"))
        #expect(close(number(o, "cost.usd_per_million_input_tokens"), 2.3 / 3600 / miss * 1e6, 1e-9))
        let hit = try #require(number(o, "deployment.cache_hit_rate"))
        if hit == 0.5 {
            // The cache read (28.8 ms) hides under the forward: half the input is served free.
            #expect(close(number(o, "prefill.tokens_per_second_per_device"), 2 * miss, 1e-9))
            #expect(close(number(o, "prefill.cache_read_ms"), 16_384 * 70_272 / 40e9 * 1e3, 1e-9))
        }
    }

    @Test func tpotTargetPicksTheLargestBatchThatMeetsIt() throws {
        let o = try json(Self.base + ["--tpot-slo-ms", "30"])
        #expect(value(o, "decode.target_met") as? Bool == true)
        let batch = try #require(number(o, "decode.batch_per_device"))
        #expect(try #require(number(o, "decode.tpot_ms")) <= 30)
        #expect(batch >= 2)
        // One more sequence per device misses the target.
        let next = try json(Self.base + ["--batch-per-device", String(Int(batch) + 1)])
        #expect(try #require(number(next, "decode.tpot_ms")) > 30)
        #expect((value(o, "decode.batch_rule") as? String)?.contains("TPOT <= 30 ms") == true)
    }

    @Test func unreachableTargetIsAVerdictNotAnError() throws {
        let o = try json(Self.base + ["--tpot-slo-ms", "0.001"])
        #expect(value(o, "decode.target_met") as? Bool == false)
        #expect(number(o, "decode.batch_per_device") == 1)
        #expect((value(o, "decode.batch_rule") as? String)?.contains("no batch meets") == true)
        let table = try run(Self.base + ["--tpot-slo-ms", "0.001"])
        #expect(table.status == 0 && table.stderr.isEmpty)
        #expect(table.stdout.contains("no batch meets TPOT"))
    }

    @Test func fixedBatch() throws {
        let o = try json(Self.base + ["--batch-per-device", "7"])
        #expect(number(o, "decode.batch_per_device") == 7)
        #expect((value(o, "decode.batch_rule") as? String) == "fixed at 7 per device")
        let x = try Self.library().decode(batchPerDevice: 7)
        #expect(close(number(o, "decode.tokens_per_second_per_device"), x.tokensPerSecondPerDevice))
    }

    @Test func severalAcceleratorsGiveAnArray() throws {
        let run = try runMoebench(Self.base.map { $0 == "h200" ? "h200,b200" : $0 } + ["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 2)
        #expect(list.map { $0["accelerator"] as? String } == ["h200", "b200"])
        // B200 at $2.90 per hour.
        #expect(number(list[1], "cost.price_per_hour") == 2.9)
    }

    @Test func plotHasOneCurvePerAccelerator() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("frontier.svg").path
        let result = try runMoebench(Self.base.map { $0 == "h200" ? "h200,b200" : $0 } + ["--plot", path])
        #expect(result.status == 0, "\(result.stderr)")
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains(">h200</text>") && svg.contains(">b200</text>"))
        // One accelerator, one curve with one point per frontier batch.
        let single = dir.appendingPathComponent("one.svg").path
        let o = try json(Self.base + ["--plot", single, "--frontier-points", "8"])
        let frontier = try #require(o["frontier"] as? [[String: Any]])
        let one = try String(contentsOfFile: single, encoding: .utf8)
        #expect(one.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(one.components(separatedBy: "<circle").count - 1 == frontier.count)
    }

    @Test func csvAndTable() throws {
        let csv = try run(Self.base + ["--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "model,accelerator,key,value")
        let o = try json(Self.base)
        let batch = try #require(number(o, "decode.batch_per_device"))
        #expect(lines.contains("deepseek-v3,h200,decode.batch_per_device,\(Int(batch))"))
        #expect(lines.contains("deepseek-v3,h200,memory.fits,true"))
        #expect(lines.allSatisfy { $0.hasPrefix("model,") || $0.hasPrefix("deepseek-v3,h200,") })
        // Frontier points are rows too (`frontier.<i>.<key>`); assumptions are JSON-only.
        #expect(lines.contains { $0.hasPrefix("deepseek-v3,h200,frontier.0.batch_per_device,1") })
        #expect(!lines.contains { $0.contains(",assumptions.") })

        let table = try run(Self.base)
        #expect(table.status == 0, "\(table.stderr)")
        for text in ["decode:", "prefill:", "cost at", "$2.30 per device-hour", "time per output token", "assumptions"] {
            #expect(table.stdout.contains(text), "table lacks '\(text)'")
        }
        #expect(table.stdout.contains("decode: batch \(Int(batch)) per device"))
    }

    /// `--phase decode` and `--phase prefill` leave the other phase out.
    @Test func phases() throws {
        let decode = try json(Self.base + ["--phase", "decode"])
        #expect(decode["prefill"] is NSNull && number(decode, "decode.tpot_ms") != nil)
        #expect(value(decode, "cost.usd_per_million_input_tokens") is NSNull)
        let prefill = try json(Self.base + ["--phase", "prefill"])
        #expect(prefill["decode"] is NSNull && number(prefill, "prefill.ttft_ms") != nil)
        #expect(value(prefill, "cost.usd_per_million_output_tokens") is NSNull)
        #expect(number(prefill, "memory.bytes_per_device") == number(prefill, "prefill.memory.bytes_per_device"))
    }

    // MARK: Errors

    /// Each bad input with a fragment of its one-line message.
    static let badInputs: [([String], String)] = [
        (["--model", "deepsek-v3"], "did you mean 'deepseek-v3'?"),
        (["--accelerator", "h2000"], "did you mean 'h200'?"),
        (["--devices", "0"], "The value '0' is invalid for '--devices <devices>': must be a whole number in 1...1048576"),
        (["--devices", "7", "--tp", "2"], "tensor parallel size 2 must be at least 1 and divide the 7 devices"),
        (["--ep", "3", "--devices", "8"], "expert parallel size 3 must be at least 1 and divide the 8 devices"),
        (["--ep", "1024", "--devices", "1024"], "expert parallel size 1024 is larger than the 256 routed experts plus 0 redundant ones"),
        (["--batch-per-device", "0"], "The value '0' is invalid for '--batch-per-device <batch-per-device>': must be a whole number in 1...1048576"),
        (["--batch-per-device", "-5"], "The value '-5' is invalid for '--batch-per-device <batch-per-device>': must be a whole number in 1...1048576"),
        (["--context", "0"], "context must be in 1..."),
        (["--cache-hit-rate", "1"], "The value '1' is invalid for '--cache-hit-rate <cache-hit-rate>': must be a number in [0, 1)"),
        (["--mtp-acceptance", "1.5"], "The value '1.5' is invalid for '--mtp-acceptance <mtp-acceptance>': must be a number in [0, 1)"),
        (["--mtp-acceptance", "-0.1"], "The value '-0.1' is invalid for '--mtp-acceptance <mtp-acceptance>': must be a number in [0, 1)"),
        (["--mtp-tokens", "2"], "--mtp-tokens needs --mtp-acceptance"),
        (["--price-per-hour", "-1"], "--price-per-hour -1: must not be negative"),
        (["--price-per-hour", "0"], "--price-per-hour 0: must be positive"),
        (["--batch-per-device", "4", "--tpot-slo-ms", "50"], "give --batch-per-device or --tpot-slo-ms, not both"),
        (["--tpot-slo-ms", "0"], "The value '0' is invalid for '--tpot-slo-ms <tpot-slo-ms>': must be a number of milliseconds in (0, 1e9]"),
        (["--skew", "1.2", "--expert-load", "report.json"], "give --skew or --expert-load, not both"),
        (["--expert-load", "/nonexistent.json"], "expert load file '/nonexistent.json': cannot read file (no such file)"),
        (["--skew", "-1"], "The value '-1' is invalid for '--skew <skew>': must be a number in 0...100"),
        (["--phase", "prefill", "--plot", "never.svg"], "--plot draws the decode frontier"),
        (["--hbm-bandwidth", "1e-300"], "--hbm-bandwidth 1e-300: must be at least 1"),
        (["--frontier-points", "1"], "The value '1' is invalid for '--frontier-points <frontier-points>': must be a whole number in 2...10000"),
    ]

    /// A failed run: status 2, one line on stderr, nothing on stdout, no plot left behind.
    func expectFailure(_ arguments: [String], _ message: String) throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plot = dir.appendingPathComponent("plot.svg")
        var all = ["serve"]
        if !arguments.contains("--model") { all += ["--model", "deepseek-v3"] }
        if !arguments.contains("--accelerator") && !arguments.contains("--accelerator-file") { all += ["--accelerator", "h200"] }
        all += arguments + ["--plot", plot.path]
        let run = try runMoebench(all)
        #expect(run.status == 2, "\(arguments): status \(run.status), \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(arguments)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(run.stderr)")
        #expect(lines.first?.hasPrefix("moebench: error: ") == true)
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: plot.path), "\(arguments) left a plot")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "\(arguments) left a file")
    }

    @Test("Bad input exits 2 with one line and writes nothing", arguments: badInputs)
    func badInput(_ arguments: [String], _ message: String) throws {
        try expectFailure(arguments, message)
    }

    @Test func acceleratorFileWithAMissingField() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let document: [String: Any] = [
            "summary": "My NPU", "peak_flops": ["bf16": 1e15], "hbm_capacity": 96e9,
            "scale_up": ["bandwidth": 400e9, "latency": 1e-5, "domain_size": 8],
            "scale_out": ["bandwidth": 50e9, "latency": 2e-5], "tdp": 600, "price_per_hour": 1.5,
            "efficiency": ["compute": ["bf16": 0.4], "attention": 0.4, "memory": 0.8, "scale_up": 0.8,
                           "scale_out": 0.8, "kernel_overhead": 2e-6, "usable_memory": 0.9],
            "cache_tier": ["name": "SSD", "bandwidth": 40e9],
        ]
        let url = dir.appendingPathComponent("npu.json")
        try JSONSerialization.data(withJSONObject: document).write(to: url)
        try expectFailure(["--accelerator-file", url.path], "missing field 'hbm_bandwidth'")
        // With the field it projects, named after the file.
        var complete = document
        complete["hbm_bandwidth"] = 4e12
        try JSONSerialization.data(withJSONObject: complete).write(to: url)
        let o = try json(["serve", "--model", "deepseek-v3", "--accelerator-file", url.path])
        #expect(o["accelerator"] as? String == "npu")
        #expect(number(o, "cost.price_per_hour") == 1.5)
    }

    // MARK: Measured expert load

    /// `moebench balance --format json` writes what `ExpertLoad.measured(balanceReport:)` and
    /// `serve --expert-load` read: 4,096 tokens × k = 8 selections, so Σ p = 8.
    @Test func balanceReportRoundTrip() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let balance = try runMoebench(["balance", "--skew", "1.2", "--tokens", "4096", "--preset", "kimi-k2", "--format", "json"])
        #expect(balance.status == 0, "\(balance.stderr)")
        let url = dir.appendingPathComponent("balance.json")
        try Data(balance.stdout.utf8).write(to: url)

        let load = try ExpertLoad.measured(balanceReport: url)
        let p = try #require(load.selectionProbabilities)
        #expect(p.count == 384)
        #expect(abs(p.reduce(0, +) - 8) <= 1e-9)
        #expect(p.allSatisfy { $0 >= 0 && $0 <= 1 })
        // The counts over the tokens, as written.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(balance.stdout.utf8)) as? [String: Any])
        let counts = try #require(value(report, "load.counts") as? [Int])
        let tokens = try #require(report["tokens"] as? Int)
        #expect(tokens == 4096)
        #expect(p == counts.map { Double($0) / 4096 })
        // Zipf 1.2 is skewed: the hottest expert is chosen far above the mean 8/384.
        #expect(p.max()! > 10 * 8.0 / 384)

        let o = try json(["serve", "--model", "kimi-k2", "--accelerator", "h200", "--devices", "16", "--batch-per-device", "32",
                          "--expert-load", url.path])
        #expect(value(o, "deployment.expert_load") as? String == "measured")
        let model = try ModelSpec.preset(named: "kimi-k2")
        var d = Deployment(model: model, devices: 16, context: 4096)
        d.expertLoad = .measured(load)
        let library = try ServingProjection(model: model, accelerator: try Accelerator.preset(named: "h200"), deployment: d)
        let x = try library.decode(batchPerDevice: 32)
        #expect(close(number(o, "decode.tokens_per_second_per_device"), x.tokensPerSecondPerDevice))
        #expect(close(number(o, "prefill.tokens_per_second_per_device"), library.prefill().tokensPerSecondPerDevice))
        // A report for another expert count is refused for this model.
        let mismatch = try runMoebench(["serve", "--model", "deepseek-v3", "--accelerator", "h200", "--expert-load", url.path])
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("the expert load has 384 experts but the model has 256"))
    }

    /// The linear hybrids serve: Kimi Linear at 4K with 10 sequences per device holds
    /// 10 × (20 KDA states of 2,170,880 B + 7 MLA layers × 1,152 B × 4,096) = 764,477,440 B of
    /// cache (TP 1: no replication).
    @Test func linearHybridsServe() throws {
        let o = try json(["serve", "--model", "kimi-linear-48b-a3b", "--accelerator", "h200", "--context", "4096",
                          "--batch-per-device", "10"])
        #expect(number(o, "decode.memory.components.kv_cache") == 764_477_440)
        #expect(value(o, "deployment.state_format") as? String == "fp32")
        // TP 8: every rank of a group holds the whole MLA latent (8 copies per 8 devices' worth of
        // sequences) but only 32/8 of the KDA heads' state: 10 × (8 × 7 × 1,152 × 4,096 + 20 × 2,170,880).
        let tp = try json(["serve", "--model", "kimi-linear-48b-a3b", "--accelerator", "h200", "--context", "4096",
                           "--batch-per-device", "10", "--tp", "8"])
        #expect(number(tp, "decode.memory.components.kv_cache") == 3_076_587_520)
        let q = try run(["serve", "--model", "qwen3-next-80b-a3b", "--accelerator", "h200", "--context", "128K"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("recurrent state fp32"))
        let k3 = try run(["serve", "--model", "kimi-k3", "--accelerator", "b200", "--context", "1M", "--devices", "8"])
        #expect(k3.status == 0, "\(k3.stderr)")
    }
}
