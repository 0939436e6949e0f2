//===--- RouteCommandTests.swift - moebench route end to end --------------===//

import Foundation
import MoEKit
import Testing

@Suite("moebench route")
struct RouteCommandTests: NPYFileSuite {
    let dir: URL

    init() throws { dir = try makeTemporaryDirectory() }

    @Test("Logits and bias in, indices and weights out, equal to the library")
    func logitsToFiles() throws {
        var g = SeededGenerator(seed: 1)
        let tokens = 37
        let logits = NPYArray(shape: [tokens, 384], values: g.uniformFloats(count: tokens * 384, scale: 3))
        let bias = NPYArray(shape: [384], values: g.uniformFloats(count: 384, scale: 0.1))
        let run = try runMoebench(["route", "--preset", "kimi-k2", "--logits", try write("l.npy", logits),
                                   "--bias", try write("b.npy", bias),
                                   "--out-indices", path("i.npy"), "--out-weights", path("w.npy")])
        #expect(run.status == 0, "\(run.stderr)")
        let indices = try NPY.read(Int32.self, from: URL(fileURLWithPath: path("i.npy")))
        let weights = try NPY.read(Float.self, from: URL(fileURLWithPath: path("w.npy")))
        let expected = try Router(.kimiK2, correctionBias: bias.values).route(logits: logits.values)
        #expect(indices.shape == [tokens, 8] && weights.shape == [tokens, 8])
        #expect(indices.values == expected.indices && weights.values == expected.weights)
    }

    /// The published config.json files vendored with the MoEKit tests.
    static let configFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MoEKitTests/Architecture/Fixtures")

    @Test("--config routes with the router its config.json keys describe; --model names a model preset")
    func configAndModel() throws {
        var g = SeededGenerator(seed: 3)
        let tokens = 21
        let logits = NPYArray(shape: [tokens, 256], values: g.uniformFloats(count: tokens * 256, scale: 3))
        let bias = NPYArray(shape: [256], values: g.uniformFloats(count: 256, scale: 0.1))
        let config = Self.configFixtures.appendingPathComponent("deepseek-ai--DeepSeek-V3.json").path
        let run = try runMoebench(["route", "--config", config, "--logits", try write("l.npy", logits),
                                   "--bias", try write("b.npy", bias), "--out-indices", path("i.npy"), "--out-weights", path("w.npy")])
        #expect(run.status == 0, "\(run.stderr)")
        // DeepSeek-V3: sigmoid + bias, 8 groups keep 4, top-8, × 2.5 — the library's preset.
        let expected = try Router(.deepSeekV3, correctionBias: bias.values).route(logits: logits.values)
        #expect(try NPY.read(Int32.self, from: URL(fileURLWithPath: path("i.npy"))).values == expected.indices)
        #expect(try NPY.read(Float.self, from: URL(fileURLWithPath: path("w.npy"))).values == expected.weights)

        // --model kimi-k2.6 is the same router as the kimi-k2 alias.
        let kimiLogits = NPYArray(shape: [3, 384], values: g.uniformFloats(count: 3 * 384, scale: 3))
        let l = try write("k.npy", kimiLogits)
        let alias = try runMoebench(["route", "--preset", "kimi-k2", "--logits", l, "--format", "json"])
        let model = try runMoebench(["route", "--model", "kimi-k2.6", "--logits", l, "--format", "json"])
        #expect(alias.status == 0 && model.status == 0, "\(model.stderr)")
        #expect(alias.stdout == model.stdout && !model.stdout.isEmpty)
    }

    @Test("--config errors: a dense model, a conflicting --preset, an unreadable file")
    func configErrors() throws {
        let logits = try write("l.npy", NPYArray<Float>(shape: [1, 8], values: [0, 1, 2, 3, 4, 5, 6, 7]))
        let llama = Self.configFixtures.appendingPathComponent("meta-llama--Meta-Llama-3.1-8B.json").path
        let cases: [([String], String)] = [
            (["--config", llama], "has no router: it is a dense model"),
            (["--config", llama, "--preset", "mixtral"], "--config cannot be combined with --preset/--model"),
            (["--config", path("missing.json")], "cannot read config"),
            (["--model", "llama-3.1-8b"], "model 'llama-3.1-8b' has no router: it is a dense model"),
        ]
        for (arguments, message) in cases {
            let run = try runMoebench(["route", "--logits", logits] + arguments)
            #expect(run.status == 2, "\(arguments): status \(run.status) \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("moebench: error: "), "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    @Test("Hidden states and gate give the same result as their logits")
    func hiddenAndGate() throws {
        var g = SeededGenerator(seed: 2)
        let hidden = NPYArray(shape: [9, 64], values: g.uniformFloats(count: 9 * 64))
        let gate = NPYArray(shape: [128, 64], values: g.uniformFloats(count: 128 * 64, scale: 0.3))
        let gateBias = NPYArray(shape: [128], values: g.uniformFloats(count: 128, scale: 0.3))
        let run = try runMoebench(["route", "--preset", "gpt-oss", "--hidden", try write("h.npy", hidden),
                                   "--gate", try write("g.npy", gate), "--gate-bias", try write("gb.npy", gateBias),
                                   "--out-indices", path("i.npy"), "--out-weights", path("w.npy")])
        #expect(run.status == 0, "\(run.stderr)")
        let gemm = try RouterGEMM(gate: gate.values, experts: 128, hiddenSize: 64, gateBias: gateBias.values)
        let expected = try Router(.gptOSS).route(hidden: hidden.values, gemm: gemm)
        #expect(try NPY.read(Int32.self, from: URL(fileURLWithPath: path("i.npy"))).values == expected.indices)
        #expect(try NPY.read(Float.self, from: URL(fileURLWithPath: path("w.npy"))).values == expected.weights)
    }

    @Test("Explicit flags describe a router without a preset")
    func explicitFlags() throws {
        let logits = NPYArray<Float>(shape: [2, 8], values: [0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0])
        let run = try runMoebench(["route", "--logits", try write("l.npy", logits), "--scoring", "sigmoid", "--topk", "2",
                                   "--n-group", "4", "--topk-group", "1", "--no-normalize", "--scale", "2",
                                   "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        // Groups {0,1} {2,3} {4,5} {6,7} by max (no bias): token 0 keeps group 3, token 1 group 0.
        #expect(object["indices"] as? [[Int]] == [[7, 6], [0, 1]])
        let w = try #require(object["weights"] as? [[Double]])
        #expect(abs(w[0][0] - 2 / (1 + exp(-7.0))) < 1e-6)
    }

    @Test("Bad input: one line on stderr, exit 2, no output file")
    func badInput() throws {
        var g = SeededGenerator(seed: 3)
        var values = g.uniformFloats(count: 4 * 16)
        let good = try write("good.npy", NPYArray(shape: [4, 16], values: values))
        values[21] = .nan
        let nan = try write("nan.npy", NPYArray(shape: [4, 16], values: values))
        let flat = try write("flat.npy", NPYArray(shape: [64], values: values))
        let shortBias = try write("bias.npy", NPYArray(shape: [3], values: [0, 0, 0]))
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MoEKitTests/IO/Fixtures")
        let out = ["--out-indices", path("i.npy"), "--out-weights", path("w.npy")]
        let cases: [([String], String)] = [
            (["--logits", nan, "--scoring", "softmax", "--topk", "2"], "logit of token 1, expert 5 is nan"),
            (["--logits", good, "--scoring", "softmax", "--topk", "17"], "top-k must be in 1...16"),
            (["--logits", good, "--scoring", "sigmoid", "--topk", "2", "--n-group", "3", "--topk-group", "1"], "n_group 3 does not divide the 16 experts"),
            (["--logits", good, "--scoring", "sigmoid", "--topk", "9", "--n-group", "4", "--topk-group", "2"], "top-k 9 is larger than the 8 experts"),
            (["--logits", good, "--scoring", "sigmoid", "--topk", "2", "--n-group", "4", "--topk-group", "5"], "topk_group must be in 1...4"),
            (["--logits", good, "--preset", "kimi-k2"], "preset kimi-k2 has 384 experts but the input has 16"),
            (["--logits", flat, "--scoring", "softmax", "--topk", "2"], "does not match the required [T, E]"),
            (["--logits", good, "--scoring", "softmax", "--topk", "2", "--bias", shortBias], "does not match the required [16]"),
            (["--logits", fixtures.appendingPathComponent("f64_2.npy").path, "--scoring", "softmax", "--topk", "1"], "dtype '<f8' is not supported"),
            (["--logits", fixtures.appendingPathComponent("f32_fortran.npy").path, "--scoring", "softmax", "--topk", "1"], "Fortran-order"),
            (["--logits", path("missing.npy"), "--scoring", "softmax", "--topk", "1"], "cannot read file"),
            (["--logits", good, "--topk", "2"], "choose a router with --preset"),
            (["--hidden", good, "--scoring", "softmax", "--topk", "2"], "--hidden needs --gate"),
            (["--logits", good, "--scoring", "logits", "--topk", "2", "--weights", "chosen"], "renormalising raw logits is undefined"),
            (["--logits", good, "--scoring", "sigmoid", "--topk", "2", "--scale=-1"], "'--scale <scale>': must be a number in 0...1e6"),
            (["--logits", good, "--scoring", "sigmoid", "--topk", "2", "--threads", "3000000000"], "'--threads <threads>': must be a whole number in 1...1024"),
        ]
        for (arguments, message) in cases {
            let run = try runMoebench(["route"] + arguments + out)
            #expect(run.status == 2, "\(arguments): status \(run.status) \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("moebench: error: "), "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("i.npy") || $0.contains("w.npy") }
            #expect(leftovers.isEmpty, "partial output \(leftovers)")
        }
    }

    @Test("The same path for both outputs, or a directory, is refused before anything is written")
    func conflictingOutputs() throws {
        let logits = try write("l.npy", NPYArray<Float>(shape: [1, 4], values: [1, 2, 3, 4]))
        let same = try runMoebench(["route", "--logits", logits, "--scoring", "softmax", "--topk", "1",
                                    "--out-indices", path("x.npy"), "--out-weights", path("./x.npy")])
        #expect(same.status == 2 && same.stderr.contains("the same file twice"), "\(same.stderr)")
        try FileManager.default.createDirectory(atPath: path("isdir"), withIntermediateDirectories: true)
        let directory = try runMoebench(["route", "--logits", logits, "--scoring", "softmax", "--topk", "1",
                                         "--out-indices", path("i.npy"), "--out-weights", path("isdir")])
        #expect(directory.status == 2 && directory.stderr.contains("it is a directory"), "\(directory.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["isdir", "l.npy"])
    }

    @Test("Raw logits without a preset are weighted by a softmax over the chosen")
    func logitsScoring() throws {
        let logits = try write("l.npy", NPYArray<Float>(shape: [1, 4], values: [0, 2, 1, -1]))
        let run = try runMoebench(["route", "--logits", logits, "--scoring", "logits", "--topk", "2", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["indices"] as? [[Int]] == [[1, 2]])
        let w = try #require((object["weights"] as? [[Double]])?.first)
        #expect(abs(w[0] - 1 / (1 + exp(-1.0))) < 1e-6)   // e^2 / (e^2 + e^1)
    }

    @Test("An unwritable output leaves no partial file behind")
    func unwritable() throws {
        let logits = try write("l.npy", NPYArray<Float>(shape: [1, 4], values: [1, 2, 3, 4]))
        let run = try runMoebench(["route", "--logits", logits, "--scoring", "softmax", "--topk", "1",
                                   "--out-indices", path("i.npy"), "--out-weights", path("no/such/dir/w.npy")])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cannot write file"))
        #expect(!FileManager.default.fileExists(atPath: path("i.npy")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["l.npy"])
    }
}
