//===--- AcceleratorsCommandTests.swift - `moebench accelerators` end to end ===//

import Foundation
import Testing

@Suite("moebench accelerators")
struct AcceleratorsCommandTests {
    func json(_ arguments: [String]) throws -> [[String: Any]] {
        let run = try runMoebench(["accelerators"] + arguments + ["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
    }

    func number(_ object: [String: Any], _ path: String) -> Double? {
        var current: Any? = object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return (current as? NSNumber)?.doubleValue
    }

    /// A failed run: status 2 and one line on stderr.
    func failure(_ arguments: [String]) throws -> String {
        let run = try runMoebench(["accelerators"] + arguments)
        #expect(run.status == 2, "status \(run.status): \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        return run.stderr
    }

    @Test func jsonListsEveryPreset() throws {
        let list = try json([])
        #expect(list.count == 14)
        let names = list.compactMap { $0["name"] as? String }
        #expect(Set(names) == ["h100", "h800", "h20", "h200", "b200", "gb200", "b300", "gb300", "mi300x", "mi325x",
                               "mi355x", "ascend-910b", "ascend-910c", "cpu"])
        let h200 = try #require(list.first { $0["name"] as? String == "h200" })
        #expect(number(h200, "hbm_bandwidth") == 4.8e12)
        #expect(number(h200, "hbm_capacity") == 141e9)
        #expect(number(h200, "peak_flops.fp8") == 1.979e15)
        #expect(number(h200, "scale_up.domain_size") == 8)
        #expect(number(h200, "scale_out.bandwidth") == 50e9)
        #expect(number(h200, "price_per_hour") == 2.3)
        #expect(number(h200, "efficiency.compute.fp8") == 0.3)
        #expect(number(h200, "cache_tier.bandwidth") == 40e9)
        let sources = try #require(h200["sources"] as? [String: [String: String]])
        #expect(sources["hbm_bandwidth"]?["source"]?.contains("aiconfigurator") == true)
        #expect(sources["price_per_hour"]?["date"] == "2025-07-20")
        #expect(sources.count == 22)
        // Scale-out has no domain; the cpu's file values are marked.
        #expect((h200["scale_out"] as? [String: Any])?["domain_size"] == nil)
        let cpu = try #require(list.first { $0["name"] as? String == "cpu" })
        #expect(cpu["measured_at_run_time"] as? [String] == ["peak_flops.bf16", "hbm_capacity", "hbm_bandwidth", "scale_up.bandwidth"])
        #expect(h200["measured_at_run_time"] == nil)
    }

    @Test func tableAndCSV() throws {
        let table = try runMoebench(["accelerators"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("gb200") && table.stdout.contains("900 (72)"))
        #expect(table.stdout.contains("measured at run time"))
        let csv = try runMoebench(["accelerators", "--format", "csv"])
        #expect(csv.status == 0)
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 15)
        #expect(lines[0].hasPrefix("name,summary,bf16_flops,fp8_flops,fp4_flops,int8_flops,hbm_capacity"))
        let sources = try runMoebench(["accelerators", "--accelerator", "h100", "--sources", "--format", "csv"])
        #expect(sources.status == 0)
        let rows = sources.stdout.split(separator: "\n")
        #expect(rows.first == "accelerator,field,value,source,date")
        #expect(rows.count == 1 + 22)
        #expect(rows.contains { $0.hasPrefix("h100,peak_flops.fp8,1979000000000000,") })
    }

    @Test func overridesWithSuffixes() throws {
        let list = try json(["--accelerator", "h200,b200", "--hbm-bandwidth", "4.8T", "--hbm-capacity", "141G",
                             "--peak-flops", "fp8=1.5e15", "--peak-flops", "fp4=2P", "--scale-up-latency", "10e-6",
                             "--scale-out-bandwidth", "0", "--scale-up-domain", "16", "--compute-efficiency", "fp8=0.5",
                             "--memory-efficiency", "0.9", "--cache-bandwidth", "2k", "--price-per-hour", "3"])
        #expect(list.map { $0["name"] as? String } == ["h200", "b200"])
        for a in list {
            #expect(number(a, "hbm_bandwidth") == 4.8e12)
            #expect(number(a, "hbm_capacity") == 141e9)
            #expect(number(a, "peak_flops.fp8") == 1.5e15)
            #expect(number(a, "peak_flops.fp4") == 2e15)
            #expect(number(a, "scale_up.latency") == 10e-6)
            #expect(number(a, "scale_out.bandwidth") == 0)
            #expect(number(a, "scale_up.domain_size") == 16)
            #expect(number(a, "efficiency.compute.fp8") == 0.5)
            #expect(number(a, "efficiency.memory") == 0.9)
            #expect(number(a, "cache_tier.bandwidth") == 2000)
            #expect(number(a, "price_per_hour") == 3)
            let sources = try #require(a["sources"] as? [String: [String: String]])
            #expect(sources["hbm_bandwidth"]?["source"] == "command line override")
            #expect(sources["tdp"]?["source"] != "command line override")
        }
    }

    @Test func negativeAndMalformedNumbersNameTheFlag() throws {
        #expect(try failure(["--price-per-hour", "-1"]).contains("--price-per-hour -1: must not be negative"))
        #expect(try failure(["--hbm-bandwidth", "-4.8T"]).contains("--hbm-bandwidth -4.8T: must not be negative"))
        #expect(try failure(["--peak-flops", "fp8=-1"]).contains("--peak-flops fp8=-1: must not be negative"))
        #expect(try failure(["--memory-efficiency", "1.5"]).contains("--memory-efficiency 1.5: must be in [0.001, 1]"))
        #expect(try failure(["--hbm-capacity", "0"]).contains("--hbm-capacity 0: must be positive"))
        #expect(try failure(["--scale-up-domain", "0"]).contains("--scale-up-domain 0:"))
        #expect(try failure(["--hbm-bandwidth", "fast"]).contains("--hbm-bandwidth fast: not a number"))
        #expect(try failure(["--hbm-bandwidth", "nan"]).contains("not a number"))
        #expect(try failure(["--peak-flops", "fp16=1P"]).contains("unknown format 'fp16'"))
        #expect(try failure(["--compute-efficiency", "0.5"]).contains("FORMAT=VALUE"))
    }

    @Test func acceleratorSelection() throws {
        let error = try failure(["--accelerator", "h2O"])
        #expect(error.contains("--accelerator") && error.contains("did you mean 'h20'?"))
        #expect(try failure(["--accelerator", ","]).contains("--accelerator needs at least one item"))
        #expect(try json(["--accelerator", "H100"]).map { $0["name"] as? String } == ["h100"])
    }

    @Test func acceleratorFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("my-npu.json")
        let document: [String: Any] = [
            "summary": "My NPU", "peak_flops": ["bf16": 1e15], "hbm_capacity": 96e9, "hbm_bandwidth": 4e12,
            "scale_up": ["bandwidth": 400e9, "latency": 1e-5, "domain_size": 8],
            "scale_out": ["bandwidth": 50e9, "latency": 2e-5], "tdp": 600,
            "price_per_hour": ["value": 1.5, "source": "our contract", "date": "2026-10"],
            "efficiency": ["compute": ["bf16": 0.4], "attention": 0.4, "memory": 0.8, "scale_up": 0.8,
                           "scale_out": 0.8, "kernel_overhead": 2e-6, "usable_memory": 0.9],
            "cache_tier": ["name": "SSD", "bandwidth": 40e9],
        ]
        try JSONSerialization.data(withJSONObject: document).write(to: good)
        let list = try json(["--accelerator-file", good.path, "--accelerator", "h100"])
        #expect(list.map { $0["name"] as? String } == ["my-npu", "h100"])
        let sources = try #require(list[0]["sources"] as? [String: [String: String]])
        #expect(sources["price_per_hour"]?["source"] == "our contract")
        #expect(sources["tdp"]?["source"] == "user file my-npu.json")

        // A broken file: exit 2, one line naming the flag, the file and the field.
        var broken = document
        broken["hbm_bandwidth"] = -1
        let bad = dir.appendingPathComponent("bad.json")
        try JSONSerialization.data(withJSONObject: broken).write(to: bad)
        let message = try failure(["--accelerator-file", bad.path])
        #expect(message.contains("--accelerator-file") && message.contains("bad.json"))
        #expect(message.contains("field 'hbm_bandwidth' is negative (-1)"))
        #expect(try failure(["--accelerator-file", dir.appendingPathComponent("missing.json").path]).contains("no such file"))
        let notJSON = dir.appendingPathComponent("text.json")
        try Data("not json".utf8).write(to: notJSON)
        #expect(try failure(["--accelerator-file", notJSON.path]).contains("not a valid JSON object"))
    }
}
