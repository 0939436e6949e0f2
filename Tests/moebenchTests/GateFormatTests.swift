//===--- GateFormatTests.swift - --gate-format on bench and route ----------===//

import Foundation
import MoEKit
import Testing

@Suite("moebench --gate-format")
struct GateFormatTests: NPYFileSuite {
    let dir: URL

    init() throws { dir = try makeTemporaryDirectory() }

    @Test("route --gate-format bf16 equals the library's bf16 router")
    func routeBFloat16() throws {
        var g = SeededGenerator(seed: 4)
        let hidden = NPYArray(shape: [11, 96], values: g.uniformFloats(count: 11 * 96))
        let gate = NPYArray(shape: [64, 96], values: g.uniformFloats(count: 64 * 96, scale: 0.3))
        let run = try runMoebench(["route", "--scoring", "sigmoid", "--topk", "4", "--hidden", try write("h.npy", hidden),
                                   "--gate", try write("g.npy", gate), "--gate-format", "bf16",
                                   "--out-indices", path("i.npy"), "--out-weights", path("w.npy")])
        #expect(run.status == 0, "\(run.stderr)")
        let gemm = try RouterGEMM(gate: gate.values, experts: 64, hiddenSize: 96, weightFormat: .bfloat16)
        let expected = try Router(RouterConfiguration(experts: 64, topK: 4, scoring: .sigmoid)).route(hidden: hidden.values, gemm: gemm)
        #expect(try NPY.read(Int32.self, from: URL(fileURLWithPath: path("i.npy"))).values == expected.indices)
        #expect(try NPY.read(Float.self, from: URL(fileURLWithPath: path("w.npy"))).values == expected.weights)
    }

    @Test("Bad gate formats and values that are not finite in bf16: one line, exit 2")
    func badInput() throws {
        var g = SeededGenerator(seed: 5)
        var hidden = g.uniformFloats(count: 3 * 8)
        var gate = g.uniformFloats(count: 16 * 8)
        let logits = try write("l.npy", NPYArray(shape: [3, 16], values: g.uniformFloats(count: 48)))
        let base = ["route", "--scoring", "softmax", "--topk", "2"]
        func expectRefused(_ arguments: [String], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let run = try runMoebench(arguments)
            #expect(run.status == 2, "\(arguments)", sourceLocation: sourceLocation)
            #expect(run.stdout.isEmpty, sourceLocation: sourceLocation)
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && run.stderr.contains(fragment), "\(run.stderr)", sourceLocation: sourceLocation)
        }
        let h = try write("h.npy", NPYArray(shape: [3, 8], values: hidden))
        let w = try write("g.npy", NPYArray(shape: [16, 8], values: gate))
        try expectRefused(base + ["--hidden", h, "--gate", w, "--gate-format", "fp16"], "fp16")
        try expectRefused(base + ["--logits", logits, "--gate-format", "bf16"], "--gate-format")
        try expectRefused(["bench", "--gate-format", "int8", "--no-peak"], "int8")
        hidden[13] = 3.4e38       // finite in float32, infinite in bf16
        let big = try write("big.npy", NPYArray(shape: [3, 8], values: hidden))
        try expectRefused(base + ["--hidden", big, "--gate", w, "--gate-format", "bf16"], "hidden states element 13")
        gate[100] = -3.4e38
        let bigGate = try write("bigg.npy", NPYArray(shape: [16, 8], values: gate))
        try expectRefused(base + ["--hidden", h, "--gate", bigGate, "--gate-format", "bf16"], "rounds to infinity in bf16")
    }

    @Test("bench --gate-format bf16 reports the limits section")
    func benchLimits() throws {
        let table = try runMoebench(["--experts", "32", "--topk", "4", "--hidden", "64", "--tokens", "1,40",
                                     "--repetitions", "1", "--gate-format", "bf16"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("gate bf16"))
        #expect(table.stdout.contains("limits (one thread, T=40)"))
        #expect(table.stdout.contains("scalar C baseline"))
        #expect(table.stdout.contains("memory read"))
        let json = try runMoebench(["--experts", "32", "--topk", "4", "--hidden", "64", "--tokens", "8",
                                    "--repetitions", "1", "--no-peak", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["gate_format"] as? String == "fp32")
        let limits = try #require(object["limits"] as? [String: Any])
        #expect(limits["tokens"] as? Int == 8)
        #expect((limits["bf16_expert_mismatches"] as? Int).map { $0 <= 1 } == true)
        #expect((limits["read_bandwidth_bytes_per_second"] as? Double).map { $0 > 1e8 } == true)
        #expect(limits["route_scalar_baseline"] is [String: Any])
        let noLimits = try runMoebench(["--experts", "32", "--topk", "4", "--hidden", "64", "--tokens", "8",
                                        "--repetitions", "1", "--no-peak", "--no-limits", "--format", "json"])
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(noLimits.stdout.utf8)) as? [String: Any])
        #expect(plain["limits"] == nil)
    }
}
