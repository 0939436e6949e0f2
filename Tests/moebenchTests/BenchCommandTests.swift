//===--- BenchCommandTests.swift - moebench (bench) end to end ------------===//

import Foundation
import MoEKit
import Testing

@Suite("moebench bench")
struct BenchCommandTests {
    @Test("JSON output follows the documented schema")
    func json() throws {
        let run = try runMoebench(["--experts", "16", "--topk", "2", "--hidden", "32", "--tokens", "1,5",
                                   "--repetitions", "2", "--no-peak", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["sgemm_peak_gflops"] is Double)
        #expect(object["hidden"] as? Int == 32)
        let router = try #require(object["router"] as? [String: Any])
        #expect(router["experts"] as? Int == 16 && router["topk"] as? Int == 2 && router["scoring"] as? String == "sigmoid")
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["tokens"] as? Int } == [1, 5])
        for r in results {
            #expect(r["combine_chunk_tokens"] as? Int == r["tokens"] as? Int, "one chunk for small batches")
            for stage in ["gemm", "route", "router", "dispatch", "combine"] {
                let s = try #require(r[stage] as? [String: Any], "missing \(stage)")
                let median = try #require(s["median_seconds"] as? Double)
                let minimum = try #require(s["min_seconds"] as? Double)
                #expect(median > 0 && minimum > 0 && minimum <= median)
            }
        }
    }

    /// Qwen/Qwen3-30B-A3B config.json: hidden_size 2048, 48 layers (all MoE), 128 experts, top-8.
    @Test("--model takes the hidden size, experts and k from the model, and projects onto its layers")
    func model() throws {
        let run = try runMoebench(["--model", "qwen3-30b-a3b", "--tokens", "1", "--repetitions", "1", "--no-peak", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["hidden"] as? Int == 2048)
        let router = try #require(object["router"] as? [String: Any])
        #expect(router["experts"] as? Int == 128 && router["topk"] as? Int == 8 && router["scoring"] as? String == "softmax")
        let projection = try #require(object["projection"] as? [String: Any])
        #expect(projection["model"] as? String == "qwen3-30b-a3b" && projection["moe_layers"] as? Int == 48)
        #expect(projection["shape_matches_model"] as? Bool == true)
        // --hidden still overrides the model's.
        let small = try runMoebench(["--model", "qwen3-30b-a3b", "--hidden", "64", "--tokens", "1", "--repetitions", "1", "--no-peak", "--format", "json"])
        let smallObject = try #require(try JSONSerialization.jsonObject(with: Data(small.stdout.utf8)) as? [String: Any])
        #expect(smallObject["hidden"] as? Int == 64)
    }

    /// mistralai/Mixtral-8x7B-v0.1 config.json: hidden_size 4096, 8 experts, top-2.
    @Test("--config takes the sizes and router from a config.json")
    func config() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MoEKitTests/Architecture/Fixtures/mistralai--Mixtral-8x7B-v0.1.json").path
        let run = try runMoebench(["--config", file, "--tokens", "1", "--repetitions", "1", "--no-peak", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["hidden"] as? Int == 4096)
        let router = try #require(object["router"] as? [String: Any])
        #expect(router["experts"] as? Int == 8 && router["topk"] as? Int == 2 && router["normalize"] as? Bool == true)
    }

    /// The router projection at the end of the run: the four default accelerators and the CPU.
    @Test("JSON projection onto accelerators")
    func projectionJSON() throws {
        let run = try runMoebench(["--experts", "16", "--topk", "2", "--hidden", "32", "--tokens", "1,5",
                                   "--repetitions", "1", "--no-peak", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let projection = try #require(object["projection"] as? [String: Any])
        #expect(projection["model"] as? String == "kimi-k2.6")
        // Kimi K2.6: 61 layers, the first dense.
        #expect(projection["moe_layers"] as? Int == 60)
        #expect(projection["shape_matches_model"] as? Bool == false)
        #expect(projection["decode_tokens_per_device"] as? Int == 64 && projection["prefill_tokens_per_device"] as? Int == 16_384)
        let rows = try #require(projection["accelerators"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["h200", "b200", "mi355x", "ascend-910c"])
        for row in rows {
            for key in ["decode_seconds_per_token_per_layer", "prefill_seconds_per_token_per_layer",
                        "decode_usd_per_million_tokens", "prefill_usd_per_million_tokens", "price_per_hour"] {
                let v = try #require((row[key] as? NSNumber)?.doubleValue, "\(row["name"] ?? "?") \(key)")
                #expect(v > 0 && v.isFinite, "\(row["name"] ?? "?") \(key) = \(v)")
            }
            // A prefill-sized batch amortises the gate read and the launches.
            let decode = try #require((row["decode_seconds_per_token_per_layer"] as? NSNumber)?.doubleValue)
            let prefill = try #require((row["prefill_seconds_per_token_per_layer"] as? NSNumber)?.doubleValue)
            #expect(prefill < decode)
        }
        // H200 by hand, E = 16, k = 2, d = 32, T = 64: the GEMM's 2·64·16·32 = 65,536 FLOPs take
        // 0.22 ns at 989 TFLOP/s × 0.30; its 16·32·2 + 64·32·2 + 64·16·4 = 9,216 B take 2.4 ns at
        // 4.8 TB/s × 0.80 (memory-bound); routing reads 4,096 B of logits and writes 1,024 B; each
        // kernel costs 2 µs.
        let h200 = rows[0]
        let gemm = 9_216 / 3.84e12 + 2e-6, routing = 5_120 / 3.84e12 + 2e-6
        let perToken = (gemm + routing) / 64
        let decode = try #require((h200["decode_seconds_per_token_per_layer"] as? NSNumber)?.doubleValue)
        #expect(abs(decode - perToken) <= 1e-12 * perToken)
        // 60 layers at $2.30 per hour.
        let dollars = try #require((h200["decode_usd_per_million_tokens"] as? NSNumber)?.doubleValue)
        #expect(abs(dollars - perToken * 60 * 2.3 / 3600 * 1e6) <= 1e-12 * dollars)
        let cpu = try #require(projection["cpu"] as? [String: Any])
        // The measured batches: the first with at least 64 tokens, else the largest (5).
        #expect(cpu["decode_tokens"] as? Int == 5 && cpu["prefill_tokens"] as? Int == 5)
        #expect(((cpu["decode_seconds_per_token_per_layer"] as? NSNumber)?.doubleValue ?? 0) > 0)
        #expect((cpu["price_per_hour"] as? NSNumber)?.doubleValue == 0.1)
        #expect(cpu["gemm_fraction_of_peak"] is NSNull, "no peak was measured")
    }

    @Test("Table and CSV output")
    func tableAndCSV() throws {
        let table = try runMoebench(["--preset", "mixtral", "--hidden", "16", "--tokens", "4", "--repetitions", "1", "--no-peak"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("router: mixtral: E=8, k=2, softmax"))
        #expect(table.stdout.contains("router / (gemm + route)"))
        let csv = try runMoebench(["--experts", "32", "--topk", "4", "--hidden", "16", "--tokens", "3",
                                   "--repetitions", "1", "--no-peak", "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "tokens,stage,median_seconds,min_seconds,ns_per_token,tokens_per_second,gflops")
        #expect(lines.count == 6)
        #expect(lines.dropFirst().map { $0.split(separator: ",")[1] } == ["gemm", "route", "router", "dispatch", "combine"])
    }

    /// Each bad option with a fragment of the message that must name the problem. Small,
    /// valid defaults are added for the options a case does not set, so that no case could
    /// pass by failing for another reason (such as memory).
    static let badOptionCases: [([String], String)] = [
        (["--topk", "0"], "top-k must be in 1...384"),
        (["--experts", "8", "--topk", "9"], "top-k must be in 1...8"),
        (["--preset", "deepseek-v9"], "unknown preset 'deepseek-v9'"),
        (["--preset", "deepseek-v3", "--experts", "100"], "n_group 8 does not divide the 100 experts"),
        (["--n-group", "8", "--topk-group", "9"], "topk_group must be in 1...8"),
        (["--n-group", "8"], "--n-group needs --topk-group"),
        (["--tokens", "0"], "'0' is not a token count"),
        (["--tokens", "abc"], "'abc' is not a token count"),
        (["--tokens", "16385k"], "'16385k' is not a token count"),
        (["--hidden", "0"], "'--hidden <hidden>': must be a whole number in 1...131072"),
        (["--no-such-flag"], "no-such-flag"),
        (["--scoring", "tanh"], "tanh"),
        (["--hidden", "4611686018427387904"], "'--hidden <hidden>': must be a whole number in 1...131072"),
        (["--experts", "4611686018427387904", "--topk", "8"], "'--experts <experts>': must be a whole number in 1...16777216"),
        (["--tokens", "16384k", "--hidden", "7168"], "of buffers (the limit is 16 GiB)"),
        (["--threads", "3000000000"], "'--threads <threads>': must be a whole number in 1...1024"),
        (["--threads", "0"], "'--threads <threads>': must be a whole number in 1...1024"),
        (["--scale=-2"], "'--scale <scale>': must be a number in 0...1e6"),
    ]

    @Test("Bad options print one line naming the problem on stderr and exit 2", arguments: badOptionCases)
    func badOptions(arguments: [String], message: String) throws {
        var all = arguments
        for (option, value) in [("--hidden", "8"), ("--tokens", "1")] where !arguments.contains(option) {
            all += [option, value]
        }
        let run = try runMoebench(all + ["--no-peak"])
        #expect(run.status == 2, "\(arguments): status \(run.status)")
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(run.stderr)")
        #expect(lines.first?.hasPrefix("moebench: error: ") == true)
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }

    @Test("Unknown preset names the closest one")
    func suggestion() throws {
        let run = try runMoebench(["--preset", "kimi-k9", "--no-peak"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("did you mean 'kimi-k2'?"))
    }
}
