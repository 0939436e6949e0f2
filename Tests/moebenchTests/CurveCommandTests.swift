//===--- CurveCommandTests.swift - `moebench curve`, `compare`, `models` ---===//

import Foundation
import Testing

@Suite("moebench curve, compare and models")
struct CurveCommandTests {
    @Test func csvAndPlotFiles() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("kv.csv"), svg = dir.appendingPathComponent("kv.svg")
        let run = try runMoebench(["curve", "--models", "deepseek-v3.2,deepseek-v4-pro,kimi-k2.6", "--contexts", "1K..1M",
                                   "--points", "11", "--metric", "kv", "--csv", csv.path, "--plot", svg.path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 12)
        #expect(lines[0] == "context,deepseek-v3.2,deepseek-v4-pro,kimi-k2.6")
        // 1K..1M in 11 log-spaced points are the powers of two; K2.6 at 1024 tokens holds
        // 70,272 × 1024 B in BF16 (models.md §2).
        #expect(lines[1].hasPrefix("1024,") && lines[1].hasSuffix(",\(70_272 * 1024)"))
        #expect(lines[11].hasPrefix("1048576,"))
        let plot = try String(contentsOf: svg, encoding: .utf8)
        #expect(plot.hasPrefix("<svg") && plot.hasSuffix("</svg>\n"))
        for text in ["deepseek-v4-pro", "kimi-k2.6", "1K", "1M", "(bytes)", "Context length (tokens"] {
            #expect(plot.contains(text), "\(text) missing from the SVG")
        }
        #expect(plot.components(separatedBy: "<polyline").count - 1 == 3)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["kv.csv", "kv.svg"])
    }

    @Test func errorsLeaveNoFiles() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("out.csv")
        let unknown = try runMoebench(["curve", "--models", "deepseek-v3,nope", "--csv", csv.path])
        #expect(unknown.status == 2 && unknown.stderr.split(separator: "\n").count == 1)
        // The plot's directory does not exist: neither file may appear.
        let missingDir = dir.appendingPathComponent("absent/out.svg")
        let run = try runMoebench(["curve", "--models", "deepseek-v3", "--csv", csv.path, "--plot", missingDir.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("absent"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let range = try runMoebench(["curve", "--models", "deepseek-v3", "--contexts", "1M..1K", "--csv", csv.path])
        #expect(range.status == 2 && range.stderr.contains("1M..1K"))
        let points = try runMoebench(["curve", "--models", "deepseek-v3", "--points", "0"])
        #expect(points.status == 2 && points.stderr.contains("points"))
        #expect(!FileManager.default.fileExists(atPath: csv.path))
    }

    @Test func jsonOutput() throws {
        let run = try runMoebench(["curve", "--models", "deepseek-v3", "--points", "3", "--metric", "prefill-flops", "--format", "json"])
        #expect(run.status == 0)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(o["metric"] as? String == "prefill-flops")
        #expect(o["unit"] as? String == "FLOPs")
        #expect((o["contexts"] as? [Int]) == [1024, 32768, 1_048_576])
        let series = try #require(o["series"] as? [[String: Any]])
        #expect((series.first?["values"] as? [Double])?.count == 3)
    }

    @Test func compareTable() throws {
        let run = try runMoebench(["compare", "--models", "deepseek-v3,deepseek-v3.2,deepseek-v4-flash,deepseek-v4-pro,kimi-k2.6",
                                   "--context", "131072"])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["deepseek-v3", "deepseek-v3.2", "deepseek-v4-flash", "deepseek-v4-pro", "kimi-k2.6", "1.00x"] {
            #expect(run.stdout.contains(name))
        }
        let json = try runMoebench(["compare", "--models", "kimi-k2,deepseek-v3", "--context", "1K", "--kv-format", "fp8", "--format", "json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let models = try #require(o["models"] as? [[String: Any]])
        // Same MLA cache for both: 61 × 656 B × 1024 tokens.
        let kv: [Double?] = models.map { $0["kv_bytes_per_sequence"] as? Double }
        let expected: Double = 61 * 656 * 1024
        #expect(kv == [expected, expected])
    }

    @Test func modelsList() throws {
        let run = try runMoebench(["models", "--format", "json"])
        #expect(run.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 18)
        #expect(rows.contains { $0["name"] as? String == "deepseek-v4-flash" && $0["attention"] as? String == "CSA+HCA" })
        let table = try runMoebench(["models"])
        #expect(table.stdout.contains("qwen3-235b-a22b") && table.stdout.contains("671B"))
    }
}
