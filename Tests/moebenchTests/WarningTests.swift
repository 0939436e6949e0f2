//===--- WarningTests.swift - Legal values outside what a model supports --===//

import Foundation
import MoEKit
import Testing

/// A legal value outside what the model supports prints exactly one warning line on stderr
/// and the command still succeeds with its normal output.
@Suite("moebench warnings and progress")
struct WarningTests {
    func expectOneWarning(_ arguments: [String], containing text: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try runMoebench(arguments)
        #expect(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(!run.stdout.isEmpty, sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix("moebench: warning: "), "\(run.stderr)",
                sourceLocation: sourceLocation)
        #expect(run.stderr.contains(text), "\(run.stderr)", sourceLocation: sourceLocation)
    }

    @Test("A context beyond max_position_embeddings warns once, naming every model past it")
    func contextBeyondTheModel() throws {
        // kimi-k2 and llama-3.1-8b: 131072; deepseek-v4-pro: 1048576 (the presets' config values).
        try expectOneWarning(["estimate", "--model", "kimi-k2", "--context", "256K"],
                             containing: "context 262144 is beyond the max_position_embeddings of kimi-k2 (131072)")
        try expectOneWarning(["compare", "--models", "kimi-k2,deepseek-v4-pro,llama-3.1-8b", "--context", "2M"],
                             containing: "of kimi-k2 (131072), deepseek-v4-pro (1048576), llama-3.1-8b (131072);")
        try expectOneWarning(["curve", "--models", "deepseek-v4-pro,kimi-k2", "--contexts", "1K..512K", "--points", "3"],
                             containing: "context 524288 is beyond the max_position_embeddings of kimi-k2 (131072);")
        try expectOneWarning(["serve", "--model", "kimi-k2", "--context", "1M", "--phase", "decode", "--batch-per-device", "1"],
                             containing: "context 1048576 is beyond the max_position_embeddings of kimi-k2 (131072)")
        // Within the limit: no warning.
        let inside = try runMoebench(["estimate", "--model", "kimi-k2", "--context", "128K"])
        #expect(inside.status == 0 && inside.stderr.isEmpty, "\(inside.stderr)")
    }

    @Test("route and balance --logits warn when a bias preset runs without --bias")
    func missingBias() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SeededGenerator(seed: 4)
        let logits = dir.appendingPathComponent("l.npy")
        try Data(NPY.encode(NPYArray(shape: [4, 384], values: g.uniformFloats(count: 4 * 384)))).write(to: logits)
        let bias = dir.appendingPathComponent("b.npy")
        try Data(NPY.encode(NPYArray(shape: [384], values: g.uniformFloats(count: 384, scale: 0.1)))).write(to: bias)
        let warning = "preset kimi-k2 selects experts with a correction bias (e_score_correction_bias) but no --bias B.npy was given"
        try expectOneWarning(["route", "--logits", logits.path, "--preset", "kimi-k2"], containing: warning)
        try expectOneWarning(["balance", "--logits", logits.path], containing: warning)
        // With the bias, or with a preset whose model has none: silent.
        for arguments in [["route", "--logits", logits.path, "--preset", "kimi-k2", "--bias", bias.path],
                          ["route", "--logits", logits.path, "--preset", "qwen3-moe", "--experts", "384"],
                          ["balance", "--logits", logits.path, "--bias", bias.path]] {
            let run = try runMoebench(arguments)
            #expect(run.status == 0 && run.stderr.isEmpty, "\(arguments): \(run.stderr)")
        }
    }

    @Test("balance --batches shows a progress line (forced here; on a terminal it is automatic)")
    func progress() throws {
        let process = Process()
        process.executableURL = moebenchURL
        process.arguments = ["balance", "--batches", "3", "--tokens", "64", "--format", "csv"]
        process.environment = ProcessInfo.processInfo.environment.merging(["MOEBENCH_PROGRESS": "1"]) { $1 }
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = out
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && !stdout.isEmpty)
        #expect(stderr.hasPrefix("\r\u{1B}[K[1/3] routing synthetic batches of 64 tokens"), "\(stderr.debugDescription)")
        #expect(stderr.hasSuffix("\r\u{1B}[K"), "the line is cleared at the end")
        // Without the variable, and stderr not a terminal: nothing.
        let quiet = try runMoebench(["balance", "--batches", "3", "--tokens", "64", "--format", "csv"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty)
    }

    @Test("help for an unknown subcommand is an error; help for a known one is not")
    func help() throws {
        let unknown = try runMoebench(["help", "frobnicate"])
        #expect(unknown.status == 2 && unknown.stdout.isEmpty)
        #expect(unknown.stderr == "moebench: error: help: unknown subcommand 'frobnicate' (subcommands: bench, route, layer, balance, "
            + "estimate, curve, compare, models, serve, validate, accelerators)\n")
        let known = try runMoebench(["help", "serve"])
        #expect(known.status == 0 && known.stdout.contains("--batch-per-device <batch-per-device>"))
        #expect(known.stdout.contains("Decode sequences per device, 1...1048576"))
    }
}
