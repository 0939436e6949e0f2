//===--- EstimateCommandTests.swift - `moebench estimate` end to end ------===//

import Foundation
import Testing

@Suite("moebench estimate")
struct EstimateCommandTests {
    func json(_ run: MoebenchRun) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        return try #require(object as? [String: Any])
    }

    func number(_ object: [String: Any], _ path: String) -> Double? {
        var current: Any? = object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        guard let n = current as? NSNumber, !(current is String) else { return nil }
        return n.doubleValue
    }

    /// The keys issue 4 requires, as nested objects holding plain numbers.
    @Test func jsonSchema() throws {
        let run = try runMoebench(["estimate", "--model", "deepseek-v3", "--context", "1000", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let o = try json(run)
        #expect(o["model"] as? String == "deepseek-v3")
        #expect(number(o, "context") == 1000)
        for key in ["params.total", "params.active", "kv_cache.bytes_per_sequence", "kv_cache.bytes_per_token",
                    "decode.attention_flops", "decode.total_flops", "decode.kv_bytes_read",
                    "prefill.attention_flops", "prefill.total_flops"] {
            #expect(number(o, key) != nil, "missing or non-numeric \(key)")
        }
        // Hand-checked: MLA 576 elements × 2 B × 61 layers = 70,272 B per token (models.md §2);
        // absorbed decode 278,528 FLOPs per key per layer (models.md §3.3).
        #expect(number(o, "kv_cache.bytes_per_token") == 70_272)
        #expect(number(o, "kv_cache.bytes_per_sequence") == Double(70_272_000))
        #expect(number(o, "decode.attention_flops") == Double(61 * 278_528 * 1000))
        #expect(number(o, "decode.kv_bytes_read") == Double(70_272_000))
        #expect((number(o, "params.total") ?? 0) > 660e9 && (number(o, "params.total") ?? 0) < 685e9)
    }

    @Test func kvFormatOptionChangesBytes() throws {
        let run = try runMoebench(["estimate", "--model", "deepseek-v3", "--context", "1K", "--kv-format", "fp8", "--format", "json"])
        #expect(run.status == 0)
        #expect(number(try json(run), "kv_cache.bytes_per_token") == 61 * 656)
        let v4 = try runMoebench(["estimate", "--model", "deepseek-v4-flash", "--context", "1M", "--indexer-format", "fp8", "--format", "json"])
        #expect(v4.status == 0)
        let o = try json(v4)
        let n = 1_048_576
        let expected = Double(2 * 128 * 584 + 21 * ((128 + n / 4) * 584 + (n / 4) * 132) + 20 * (128 + n / 128) * 584)
        #expect(number(o, "kv_cache.bytes_per_sequence") == expected)
    }

    /// Naive MLA decode re-expands every cached latent: per layer 81,920·n + 33,554,432·(n − 1)
    /// FLOPs (models.md §3.3).
    @Test func mlaModeAndWeightOptions() throws {
        let run = try runMoebench(["estimate", "--model", "deepseek-v3", "--context", "4096", "--mla-decode", "naive", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let expected = Double(61 * (81_920 * 4096 + 33_554_432 * 4095))
        #expect(number(try json(run), "decode.attention_flops") == expected)
        let weights = try runMoebench(["estimate", "--model", "mixtral-8x7b", "--context", "1K", "--weights", "fp8",
                                       "--expert-weights", "nvfp4", "--format", "json"])
        let o = try json(weights)
        #expect((o["formats"] as? [String: Any])?["expert_weights"] as? String == "nvfp4")
        // Batch 1, Mixtral: 2 of 8 experts per layer, 3·4096·14336 parameters each, 9/16 B each.
        let experts = number(o, "decode.weight_bytes_per_step_breakdown.routed_experts") ?? 0
        #expect(abs(experts - 32 * 2 * 3 * 4096 * 14336 * 9.0 / 16) < 1)
        try expectOneLineError(["estimate", "--model", "deepseek-v3.2", "--context", "1K", "--mla-prefill", "absorbed"],
                               containing: ["MLA"])
        try expectOneLineError(["estimate", "--model", "deepseek-v3", "--context", "1K", "--weights", "fp3"],
                               containing: ["--weights 'fp3'"])
    }

    @Test func tableAndCSV() throws {
        let table = try runMoebench(["estimate", "--model", "mixtral-8x7b", "--context", "32K"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("kv_cache.bytes_per_token") && table.stdout.contains("131072"))
        let csv = try runMoebench(["estimate", "--model", "mixtral-8x7b", "--context", "32K", "--format", "csv"])
        #expect(csv.stdout.hasPrefix("key,value\n"))
        #expect(csv.stdout.contains("kv_cache.bytes_per_token,131072\n"))
    }

    @Test func configFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("config.json")
        try Data(#"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 100, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 4096, "intermediate_size": 128, "future_key": true}"#.utf8).write(to: url)
        let run = try runMoebench(["estimate", "--config", url.path, "--context", "10", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        // 2 layers × 2 (K, V) × 2 KV heads × 16 dims × 2 B = 256 B per token.
        #expect(number(try json(run), "kv_cache.bytes_per_token") == 256)
    }

    // MARK: - Bad input: exit status 2, one line on stderr, nothing on stdout

    func expectOneLineError(_ args: [String], containing words: [String]) throws {
        let run = try runMoebench(args)
        #expect(run.status == 2, "\(args): status \(run.status)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(args): \(run.stderr)")
        #expect(run.stderr.hasPrefix("moebench: error: "))
        for w in words { #expect(run.stderr.contains(w), "\(args): '\(w)' not in \(run.stderr)") }
        #expect(run.stdout.isEmpty)
    }

    @Test func unknownModelSuggestsTheClosest() throws {
        try expectOneLineError(["estimate", "--model", "deepseek-v33", "--context", "1K"],
                               containing: ["unknown model 'deepseek-v33'", "did you mean 'deepseek-v3'"])
    }

    @Test func badContexts() throws {
        try expectOneLineError(["estimate", "--model", "deepseek-v3", "--context", "0"], containing: ["context"])
        try expectOneLineError(["estimate", "--model", "deepseek-v3", "--context=-5"], containing: ["context"])
        try expectOneLineError(["estimate", "--model", "deepseek-v3", "--context", "2T"], containing: ["2^40"])
        try expectOneLineError(["estimate", "--model", "deepseek-v3", "--context", "lots"], containing: ["lots"])
    }

    @Test func malformedAndIncompleteConfigs() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"model_type": "llama", "#.utf8).write(to: bad)
        try expectOneLineError(["estimate", "--config", bad.path, "--context", "1K"], containing: ["not a valid JSON"])
        let missing = dir.appendingPathComponent("missing.json")
        try Data(#"{"model_type": "deepseek_v3", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 10, "num_attention_heads": 2, "max_position_embeddings": 100}"#.utf8).write(to: missing)
        try expectOneLineError(["estimate", "--config", missing.path, "--context", "1K"], containing: ["kv_lora_rank"])
        try expectOneLineError(["estimate", "--config", dir.appendingPathComponent("none.json").path, "--context", "1K"],
                               containing: ["none.json"])
    }

    /// Issue 11: a GLM-5 indexer schedule that misses a layer and a Llama 4 chunk size of 0.
    @Test func badGLMAndLlama4Schedules() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let glm = dir.appendingPathComponent("glm.json")
        try Data(#"{"model_type": "glm_moe_dsa", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 10, "num_attention_heads": 2, "max_position_embeddings": 100, "q_lora_rank": 16, "kv_lora_rank": 8, "qk_nope_head_dim": 4, "qk_rope_head_dim": 2, "v_head_dim": 4, "index_n_heads": 2, "index_head_dim": 4, "index_topk": 8, "indexer_types": ["full"], "intermediate_size": 32, "first_k_dense_replace": 2}"#.utf8).write(to: glm)
        try expectOneLineError(["estimate", "--config", glm.path, "--context", "1K"], containing: ["indexer_types", "num_hidden_layers"])
        let llama = dir.appendingPathComponent("llama4.json")
        try Data(#"{"model_type": "llama4", "text_config": {"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 10, "num_attention_heads": 2, "max_position_embeddings": 100, "attention_chunk_size": 0, "intermediate_size": 32, "intermediate_size_mlp": 64, "num_local_experts": 4, "num_experts_per_tok": 1}}"#.utf8).write(to: llama)
        try expectOneLineError(["estimate", "--config", llama.path, "--context", "1K"], containing: ["text_config.attention_chunk_size"])
    }

    @Test func formatsTheDesignDoesNotHave() throws {
        try expectOneLineError(["estimate", "--model", "mixtral-8x7b", "--context", "1K", "--indexer-format", "fp4"],
                               containing: ["indexer"])
        try expectOneLineError(["estimate", "--model", "mixtral-8x7b", "--context", "1K", "--kv-format", "fp4"],
                               containing: ["kv-format"])
    }

    /// Qwen3-Next: 36 Gated DeltaNet layers hold 2,146,304 B each in FP32 (32·128·128·4 state +
    /// 8,192·3·2 convolution), 1,097,728 B with `--state-format bf16`; the 12 GQA layers add
    /// 2·2·256·2 = 2,048 B per token each. `bytes_per_sequence` stays the total.
    @Test func linearStateIsReportedSeparately() throws {
        for (format, perLayer) in [("fp32", 2_146_304), ("bf16", 1_097_728)] {
            let run = try runMoebench(["estimate", "--model", "qwen3-next-80b-a3b", "--context", "4096",
                                       "--state-format", format, "--format", "json"])
            #expect(run.status == 0, "\(run.stderr)")
            let o = try json(run)
            #expect(number(o, "kv_cache.state_bytes_per_sequence") == Double(36 * perLayer))
            #expect(number(o, "kv_cache.bytes_per_sequence") == Double(36 * perLayer + 12 * 2_048 * 4096))
            #expect((o["formats"] as? [String: Any])?["recurrent_state"] as? String == format)
            // Decode reads each state once: 36 states + 12 layers of 4,096 cached tokens.
            #expect(number(o, "decode.kv_bytes_read") == Double(36 * perLayer + 12 * 2_048 * 4096))
        }
        let table = try runMoebench(["estimate", "--model", "kimi-linear-48b-a3b", "--context", "1M"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("kv_cache.state_bytes_per_sequence") && table.stdout.contains("recurrent state fp32"))
        // Designs without linear layers report 0 and refuse a state format.
        let mla = try json(try runMoebench(["estimate", "--model", "deepseek-v3", "--context", "1K", "--format", "json"]))
        #expect(number(mla, "kv_cache.state_bytes_per_sequence") == 0)
        try expectOneLineError(["estimate", "--model", "deepseek-v3", "--context", "1K", "--state-format", "bf16"],
                               containing: ["recurrent-state format", "no linear-attention layers"])
        try expectOneLineError(["estimate", "--model", "kimi-k3", "--context", "1K", "--state-format", "int8"],
                               containing: ["int8"])
    }

    /// Schedule errors in a config name their keys, in one line, exit status 2.
    @Test func linearScheduleErrorsNameTheirKeys() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moebench-linear-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func config(_ kda: String, _ full: String, latent: Int = 32) -> String {
            """
            {"model_type": "kimi_linear", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 100,
             "num_attention_heads": 4, "model_max_length": 4096, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
             "qk_rope_head_dim": 4, "v_head_dim": 8, "num_experts": 8, "num_experts_per_token": 2,
             "moe_intermediate_size": 32, "routed_expert_hidden_size": \(latent),
             "linear_attn_config": {"kda_layers": \(kda), "full_attn_layers": \(full), "num_heads": 2, "head_dim": 8,
                                    "short_conv_kernel_size": 4}}
            """
        }
        let cases: [(String, [String])] = [
            (config("[1, 2, 3]", "[3, 4]"), ["kda_layers", "full_attn_layers", "layer 3 is in both lists"]),
            (config("[1, 2]", "[4]"), ["layer 3 of 4 is in neither list"]),
            (config("[1, 2, 3]", "[4]", latent: 128), ["routed_expert_hidden_size", "hidden_size"]),
        ]
        for (i, (text, words)) in cases.enumerated() {
            let url = dir.appendingPathComponent("c\(i).json")
            try Data(text.utf8).write(to: url)
            try expectOneLineError(["estimate", "--config", url.path, "--context", "1K"], containing: words)
        }
    }

    @Test func modelOrConfigRequired() throws {
        try expectOneLineError(["estimate", "--context", "1K"], containing: ["--model"])
    }
}
