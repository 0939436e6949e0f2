//===--- LayerCommandTests.swift - moebench layer end to end --------------===//

import Foundation
import Testing

@Suite("moebench layer")
struct LayerCommandTests {
    /// A small Kimi-K2-shaped layer: E = 8, k = 2, d = 32, I = 16, one shared expert of width 16.
    let small = ["layer", "--experts", "8", "--topk", "2", "--hidden", "32", "--moe-intermediate", "16",
                 "--repetitions", "2", "--no-peak"]

    func json(_ extra: [String]) throws -> [String: Any] {
        let run = try runMoebench(small + extra + ["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    @Test("JSON: every stage in order, with FLOPs and bytes worked by hand")
    func schemaAndWork() throws {
        let object = try json(["--tokens", "1,40"])
        let layer = try #require(object["layer"] as? [String: Any])
        #expect(layer["hidden"] as? Int == 32 && layer["experts"] as? Int == 8 && layer["shared_experts"] as? Int == 1)
        let memory = try #require(object["memory_bytes"] as? [String: Double])
        #expect(memory["routed_weights"] == 3 * 8 * 32 * 16 * 4 && memory["shared_weights"] == 3 * 32 * 16 * 4)
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["tokens"] as? Int } == [1, 40])
        let r = results[1]
        let rows = try #require(r["rows_per_expert"] as? [Int])
        #expect(rows.count == 8 && rows.reduce(0, +) == 80 && r["dropped_slots"] as? Int == 0)
        let stages = try #require(r["stages"] as? [[String: Any]])
        #expect(stages.map { $0["stage"] as? String } ==
                ["router-gemm", "route", "dispatch", "gather", "gate-up", "swiglu", "down", "shared", "combine"])
        func flops(_ name: String) -> Double? { stages.first { $0["stage"] as? String == name }?["flops"] as? Double }
        #expect(flops("router-gemm") == Double(2 * 40 * 8 * 32))   // 2·T·E·d
        #expect(flops("gate-up") == Double(4 * 80 * 32 * 16))      // 2 GEMMs of 2·(T·k)·d·I
        #expect(flops("down") == Double(2 * 80 * 16 * 32))
        #expect(flops("shared") == Double(6 * 40 * 32 * 16))
        #expect(flops("combine") == Double(2 * 80 * 32 + 40 * 32)) // k multiply-adds per element, plus the shared add
        // Each pass's total is the sum of its stages: the fastest total is at least the sum of
        // the fastest stages.
        let total = try #require(r["total"] as? [String: Double])
        let fastestStages = stages.reduce(0.0) { $0 + ($1["min_seconds"] as? Double ?? .nan) }
        #expect(try #require(total["min_seconds"]) >= fastestStages * (1 - 1e-12) && fastestStages > 0)
    }

    @Test("Capacity drops and block padding are reported")
    func capacityAndPadding() throws {
        let dropped = try #require((try json(["--tokens", "64", "--capacity-factor", "0.5"])["results"] as? [[String: Any]])?.first)
        let kept = try #require(dropped["rows_per_expert"] as? [Int])
        // capacity = ceil(0.5 · 128 / 8) = 8 rows per expert at most.
        #expect(kept.allSatisfy { $0 <= 8 })
        #expect(kept.reduce(0, +) + (dropped["dropped_slots"] as? Int ?? -1) == 128)
        #expect((dropped["dropped_slots"] as? Int ?? 0) > 0)
        let padded = try #require((try json(["--tokens", "64", "--block-size", "16"])["results"] as? [[String: Any]])?.first)
        let counts = try #require(padded["rows_per_expert"] as? [Int])
        #expect(padded["padding_rows"] as? Int == counts.reduce(0) { $0 + ($1 + 15) / 16 * 16 - $1 })
    }

    @Test("Table output names the layer and the expert GEMM throughput")
    func table() throws {
        let run = try runMoebench(small + ["--tokens", "16", "--preset", "deepseek-v3", "--experts", "16", "--shared-experts", "0"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("layer: deepseek-v3: d=32, 16 experts of width 16, top-2"))
        #expect(run.stdout.contains("expert GEMMs (gate-up + down):"))
        #expect(!run.stdout.split(separator: "\n").contains { $0.hasPrefix("shared") }, "no shared stage without shared experts")
    }

    static let badCases: [([String], String)] = [
        (["--experts", "4096", "--hidden", "65536", "--moe-intermediate", "65536", "--tokens", "1"],
         "the layer needs 211 TB (routed experts 211 TB"),
        (["--block-size", "0"], "'--block-size <block-size>': must be a whole number in 1...65536"),
        (["--capacity-factor", "0"], "'--capacity-factor <capacity-factor>': must be a number in (0, 1e6]"),
        (["--capacity-factor", "nan"], "'--capacity-factor <capacity-factor>': must be a number in (0, 1e6]"),
        (["--hidden", "0"], "'--hidden <hidden>': must be a whole number in 1...131072"),
        (["--moe-intermediate=-3"], "'--moe-intermediate <moe-intermediate>': must be a whole number in 1...524288"),
        (["--shared-experts=-1"], "'--shared-experts <shared-experts>': must be a whole number in 0...64"),
        (["--tokens", "0"], "'0' is not a token count"),
        (["--repetitions", "0"], "'--repetitions <repetitions>': must be a whole number in 1...10000"),
        (["--preset", "deepseek-v3", "--experts", "100"], "n_group 8 does not divide the 100 experts"),
        (["--topk", "9"], "top-k must be in 1...8"),
    ]

    @Test("Bad input: one line on stderr naming the problem, exit 2", arguments: badCases)
    func badInput(arguments: [String], message: String) throws {
        var all = small + arguments
        if !arguments.contains("--tokens") { all += ["--tokens", "4"] }
        let run = try runMoebench(all)
        #expect(run.status == 2, "\(arguments): status \(run.status)")
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("moebench: error: ") == true, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }
}
