//===--- BadInputMatrixTests.swift - Every subcommand, every bad input -----===//
//
// The CLI's contract for bad input (issue 9): exit status 2, exactly one printable line on
// stderr ("moebench: error: ..."), nothing on stdout, no output file left behind, and no
// special file or symbolic link replaced. Cases are built from tables: every numeric option
// of every subcommand (negative in both spellings, zero where it is out of range, huge,
// malformed, empty list items), every file argument (missing, a directory, /dev/zero, a
// dangling link, the same file as another argument, unreadable), and every output argument
// (a directory, the same path twice, an input of the run; /dev/null and a link are written
// through). No case runs a benchmark: bench and layer refuse their input before measuring.
//
// In arguments, `@in/` is a shared directory of valid inputs and `@out/` a fresh directory
// per case, checked to be empty (or unchanged) afterwards.
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit
import Testing

/// One bad command line and what its single error line must contain (`nil`: only the shape
/// of the failure is checked).
struct BadInputCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var message: String?
    var testDescription: String { arguments.joined(separator: " ") }
}

/// Valid inputs shared by all cases, written once.
enum MatrixInputs {
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moebench-matrix-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir.appendingPathComponent("dir"), withIntermediateDirectories: true)
        func npy(_ name: String, _ bytes: [UInt8]) { try! Data(bytes).write(to: dir.appendingPathComponent(name)) }
        var g = SeededGenerator(seed: 9)
        npy("logits.npy", NPY.encode(NPYArray(shape: [8, 16], values: g.uniformFloats(count: 128))))
        npy("hidden.npy", NPY.encode(NPYArray(shape: [4, 8], values: g.uniformFloats(count: 32))))
        npy("gate.npy", NPY.encode(NPYArray(shape: [16, 8], values: g.uniformFloats(count: 128))))
        npy("bias.npy", NPY.encode(NPYArray(shape: [16], values: g.uniformFloats(count: 16, scale: 0.1))))
        npy("indices.npy", NPY.encode(NPYArray<Int32>(shape: [2, 2], values: [0, 1, 2, 3])))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let resources = root.appendingPathComponent("Sources/MoEKit/Resources")
        try! FileManager.default.copyItem(at: resources.appendingPathComponent("Models/kimi-k2.json"), to: dir.appendingPathComponent("config.json"))
        try! FileManager.default.copyItem(at: resources.appendingPathComponent("Accelerators/h200.json"), to: dir.appendingPathComponent("accel.json"))
        let counts = [String](repeating: "64", count: 384).joined(separator: ", ")
        try! "{\"tokens\": 3072, \"load\": {\"counts\": [\(counts)]}}".write(to: dir.appendingPathComponent("load.json"), atomically: true, encoding: .utf8)
        try! FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("dangling.npy").path, withDestinationPath: "nowhere.npy")
        try! FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("dangling.json").path, withDestinationPath: "nowhere.json")
        return dir
    }()

    /// `arguments` with `@in/` and `@out/` replaced.
    static func resolve(_ arguments: [String], out: URL) -> [String] {
        arguments.map {
            $0.replacingOccurrences(of: "@in/", with: directory.path + "/").replacingOccurrences(of: "@out/", with: out.path + "/")
        }
    }
}

@Suite("moebench bad-input matrix")
struct BadInputMatrixTests {
    // MARK: - Tables

    /// A valid command line per subcommand, as (option, value) pairs; a case replaces the
    /// option it tests. Sizes are tiny so that nothing heavy could run.
    static let bases: [String: [(String, String?)]] = [
        "bench": [("--no-peak", nil), ("--hidden", "8"), ("--tokens", "1"), ("--repetitions", "1"),
                  ("--experts", "16"), ("--topk", "2"), ("--scoring", "softmax")],
        "route": [("--logits", "@in/logits.npy"), ("--scoring", "softmax"), ("--topk", "2")],
        "layer": [("--no-peak", nil), ("--experts", "16"), ("--topk", "2"), ("--hidden", "16"), ("--moe-intermediate", "16"),
                  ("--shared-experts", "0"), ("--tokens", "4"), ("--repetitions", "1")],
        "balance": [("--tokens", "64")],
        "estimate": [("--model", "kimi-k2"), ("--context", "4096")],
        "curve": [("--models", "kimi-k2"), ("--contexts", "1K..4K"), ("--points", "4")],
        "compare": [("--models", "kimi-k2,llama-3.1-8b"), ("--context", "4096")],
        "serve": [("--model", "kimi-k2"), ("--phase", "decode"), ("--batch-per-device", "8")],
        "accelerators": [],
    ]

    /// Numeric options per subcommand: (option, whether 0 is out of range).
    static let routerOptions: [(String, Bool)] = [("--experts", true), ("--topk", true), ("--n-group", true),
                                                  ("--topk-group", true), ("--scale", false)]
    static let overrideOptions: [(String, Bool)] = [
        ("--price-per-hour", false), ("--hbm-bandwidth", true), ("--hbm-capacity", true), ("--scale-up-bandwidth", true),
        ("--scale-out-bandwidth", false), ("--scale-up-latency", false), ("--scale-out-latency", false),
        ("--scale-up-domain", true), ("--memory-efficiency", true), ("--cache-bandwidth", false),
    ]
    static let numericOptions: [String: [(String, Bool)]] = [
        "bench": routerOptions + [("--hidden", true), ("--tokens", true), ("--repetitions", true), ("--threads", true),
                                  ("--seed", false)] + overrideOptions,
        "route": routerOptions + [("--threads", true)],
        "layer": routerOptions + [("--hidden", true), ("--moe-intermediate", true), ("--shared-experts", false),
                                  ("--shared-intermediate", true), ("--tokens", true), ("--block-size", true),
                                  ("--capacity-factor", true), ("--repetitions", true), ("--threads", true), ("--seed", false)],
        "balance": routerOptions + [("--skew", false), ("--tokens", true), ("--batches", true), ("--seed", false),
                                    ("--bias-rate", false), ("--ep", true), ("--hottest", false)],
        "estimate": [("--context", true), ("--batch", true)],
        "curve": [("--contexts", true), ("--points", true)],
        "compare": [("--context", true), ("--batch", true)],
        "serve": [("--devices", true), ("--tp", true), ("--ep", true), ("--redundant-experts", false), ("--context", true),
                  ("--batch-per-device", true), ("--tpot-slo-ms", true), ("--prefill-chunk", true), ("--mtp-tokens", true),
                  ("--mtp-acceptance", false), ("--cache-hit-rate", false), ("--skew", false), ("--frontier-points", true)]
                 + overrideOptions,
        "accelerators": overrideOptions,
    ]

    /// `subcommand`'s base command line with `option` set to `value` (`--option=value` when
    /// `equals`). `extra` pairs replace base options of the same name; a pair with a nil value
    /// removes the option.
    static func command(_ subcommand: String, _ option: String, _ value: String, equals: Bool = false,
                        extra: [(String, String?)] = []) -> [String] {
        var pairs = (bases[subcommand] ?? []).filter { base in base.0 != option && !extra.contains { $0.0 == base.0 } }
        pairs += extra.filter { $0.1 != nil }
        var list = [subcommand]
        for (o, v) in pairs {
            list.append(o)
            if let v { list.append(v) }
        }
        return list + (equals ? ["\(option)=\(value)"] : [option, value])
    }

    /// Group limits come in pairs: the partner option, so that the message is about the value.
    static func partner(of option: String) -> [(String, String?)] {
        switch option {
        case "--n-group": return [("--topk-group", "1")]
        case "--topk-group": return [("--n-group", "4")]
        default: return []
        }
    }

    /// Every numeric option as (subcommand, option, whether 0 is out of range).
    static let everyNumericOption: [(String, String, Bool)] = numericOptions.sorted { $0.key < $1.key }.flatMap { subcommand, options in
        options.map { (subcommand, $0.0, $0.1) }
    }

    /// Zero where it is out of range, a huge value (above every bound, and beyond Int for
    /// whole numbers) and a malformed one for every numeric option; negative numbers are in
    /// ``bothSpellings(subcommand:option:)``.
    static let numericCases: [BadInputCase] = everyNumericOption.flatMap { subcommand, option, zeroIsBad -> [BadInputCase] in
        let extra = partner(of: option)
        var cases = [
            BadInputCase(arguments: command(subcommand, option, "99999999999999999999999", extra: extra), message: nil),
            BadInputCase(arguments: command(subcommand, option, "abc", extra: extra), message: "abc"),
        ]
        if zeroIsBad { cases.append(BadInputCase(arguments: command(subcommand, option, "0", extra: extra), message: nil)) }
        return cases
    } + [
        // Per-format overrides and the huge values the issue named.
        BadInputCase(arguments: command("accelerators", "--peak-flops", "fp8=-5"), message: "-5"),
        BadInputCase(arguments: command("accelerators", "--peak-flops", "fp8=-5", equals: true), message: "-5"),
        BadInputCase(arguments: command("bench", "--compute-efficiency", "fp8=-5", equals: true), message: "-5"),
        BadInputCase(arguments: command("serve", "--peak-flops", "fp8=1e400"), message: "1e400"),
        BadInputCase(arguments: command("estimate", "--context", ""), message: nil),
        BadInputCase(arguments: command("route", "--experts", ""), message: nil),
        BadInputCase(arguments: command("balance", "--skew", "nan"), message: "nan"),
        BadInputCase(arguments: command("serve", "--cache-hit-rate", "inf"), message: "inf"),
        BadInputCase(arguments: command("serve", "--compute-efficiency", "fp8=-5"), message: "-5"),
        BadInputCase(arguments: command("bench", "--peak-flops", "fp8=abc"), message: "abc"),
        BadInputCase(arguments: command("estimate", "--batch", "1e18"), message: "1...1048576"),
        BadInputCase(arguments: command("compare", "--batch", "1000000000000000000"), message: "1...1048576"),
        BadInputCase(arguments: command("serve", "--batch-per-device", "1e18"), message: "1...1048576"),
        BadInputCase(arguments: command("balance", "--batches", "100000000"), message: "1...1000000"),
        BadInputCase(arguments: command("curve", "--points", "1000000000"), message: "1...100000"),
        BadInputCase(arguments: command("layer", "--hidden", "1000000"), message: "1...131072"),
        BadInputCase(arguments: command("bench", "--tokens", "16384k", extra: [("--hidden", "131072")]), message: "16 GiB"),
    ]

    /// Empty items in every comma-separated option.
    static let listCases: [BadInputCase] = [
        BadInputCase(arguments: command("bench", "--tokens", "1,,2"), message: "empty item"),
        BadInputCase(arguments: command("bench", "--tokens", "1,2,"), message: "empty item"),
        BadInputCase(arguments: command("layer", "--tokens", "4,,8"), message: "empty item"),
        BadInputCase(arguments: command("balance", "--tokens", "1,,2"), message: "empty item"),
        BadInputCase(arguments: command("curve", "--models", "kimi-k2,,llama-3.1-8b"), message: "empty item"),
        BadInputCase(arguments: command("compare", "--models", "kimi-k2,,llama-3.1-8b"), message: "empty item"),
        BadInputCase(arguments: command("compare", "--models", ","), message: "at least one item"),
        BadInputCase(arguments: command("serve", "--model", "kimi-k2,,deepseek-v3"), message: "empty item"),
        BadInputCase(arguments: command("serve", "--accelerator", "h200,,b200"), message: "empty item"),
        BadInputCase(arguments: command("bench", "--accelerator", "h200,,b200"), message: "empty item"),
        BadInputCase(arguments: command("accelerators", "--accelerator", "h200,,b200"), message: "empty item"),
        BadInputCase(arguments: command("accelerators", "--accelerator", "h200,"), message: "empty item"),
    ]

    /// Every file argument, as (subcommand, option, extra arguments that make the rest valid,
    /// file extension).
    static let fileArguments: [(String, String, [(String, String?)], String)] = [
        ("route", "--logits", [], "npy"),
        ("route", "--hidden", [("--logits", nil), ("--gate", "@in/gate.npy")], "npy"),
        ("route", "--gate", [("--logits", nil), ("--hidden", "@in/hidden.npy")], "npy"),
        ("route", "--gate-bias", [("--logits", nil), ("--hidden", "@in/hidden.npy"), ("--gate", "@in/gate.npy")], "npy"),
        ("route", "--bias", [("--scoring", "sigmoid")], "npy"),
        ("balance", "--logits", [("--tokens", nil), ("--scoring", "softmax"), ("--topk", "2"), ("--ep", "1")], "npy"),
        ("balance", "--indices", [("--tokens", nil), ("--experts", "16"), ("--ep", "1")], "npy"),
        ("balance", "--bias", [("--tokens", nil), ("--logits", "@in/logits.npy"), ("--scoring", "sigmoid"), ("--topk", "2"), ("--ep", "1")], "npy"),
        ("estimate", "--config", [("--model", nil)], "json"),
        ("curve", "--models", [], "json"),
        ("compare", "--models", [], "json"),
        ("serve", "--config", [("--model", nil)], "json"),
        ("serve", "--model", [], "json"),
        ("serve", "--expert-load", [], "json"),
        ("serve", "--accelerator-file", [], "json"),
        ("bench", "--accelerator-file", [], "json"),
        ("accelerators", "--accelerator-file", [], "json"),
    ]

    static let fileCases: [BadInputCase] = fileArguments.flatMap { subcommand, option, extra, ext -> [BadInputCase] in
        [
            BadInputCase(arguments: command(subcommand, option, "@out/missing.\(ext)", extra: extra), message: "no such file"),
            // A directory passed to --models/--model has no .json suffix: it is taken for a preset name.
            BadInputCase(arguments: command(subcommand, option, "@in/dir", extra: extra),
                         message: option == "--models" || option == "--model" ? "unknown model" : "directory"),
            BadInputCase(arguments: command(subcommand, option, "@in/dangling.\(ext)", extra: extra), message: "no such file"),
            BadInputCase(arguments: command(subcommand, option, ext == "npy" ? "/dev/zero" : "@in/zero.json", extra: extra), message: nil),
        ]
    } + [
        // /dev/zero itself for the JSON readers: read up to the size limit, then refused.
        BadInputCase(arguments: command("estimate", "--config", "/dev/zero", extra: [("--model", nil)]), message: "limit"),
        BadInputCase(arguments: command("serve", "--config", "/dev/zero", extra: [("--model", nil)]), message: "limit"),
        BadInputCase(arguments: command("serve", "--expert-load", "/dev/zero", extra: []), message: "limit"),
        BadInputCase(arguments: command("serve", "--accelerator-file", "/dev/zero", extra: []), message: "limit"),
        BadInputCase(arguments: command("accelerators", "--accelerator-file", "/dev/zero", extra: []), message: "limit"),
        // The same file as another argument: shapes that cannot both hold.
        BadInputCase(arguments: command("route", "--bias", "@in/logits.npy", extra: [("--scoring", "sigmoid")]), message: "does not match"),
        BadInputCase(arguments: command("route", "--gate-bias", "@in/gate.npy",
                                            extra: [("--logits", nil), ("--hidden", "@in/hidden.npy"), ("--gate", "@in/gate.npy")]), message: "does not match"),
        BadInputCase(arguments: command("balance", "--bias", "@in/logits.npy",
                                            extra: [("--tokens", nil), ("--logits", "@in/logits.npy"), ("--scoring", "sigmoid"), ("--topk", "2"), ("--ep", "1")]),
                     message: "does not match"),
        BadInputCase(arguments: command("serve", "--expert-load", "@in/config.json", extra: []), message: "no integer 'tokens'"),
        BadInputCase(arguments: command("serve", "--accelerator-file", "@in/config.json", extra: []), message: "missing field"),
        // The huge-allocation case: small files whose product is 4 TB of logits.
        BadInputCase(arguments: ["route", "--hidden", "@in/tall.npy", "--gate", "@in/tall.npy", "--scoring", "softmax", "--topk", "1"],
                     message: "logits [1000000, 1000000] need 4.00 TB"),
    ]

    /// Every output argument, refused: (arguments, the input files that must stay unchanged).
    static let outputCases: [BadInputCase] = [
        // A directory.
        BadInputCase(arguments: command("route", "--out-indices", "@out/", extra: [("--out-weights", "@out/w.npy")]), message: "directory"),
        BadInputCase(arguments: command("route", "--out-weights", "@out/", extra: [("--out-indices", "@out/i.npy")]), message: "directory"),
        BadInputCase(arguments: command("curve", "--csv", "@out/", extra: [("--plot", "@out/p.svg")]), message: "directory"),
        BadInputCase(arguments: command("curve", "--plot", "@out/", extra: [("--csv", "@out/c.csv")]), message: "directory"),
        BadInputCase(arguments: command("serve", "--plot", "@out/"), message: "directory"),
        // The same path twice.
        BadInputCase(arguments: command("route", "--out-indices", "@out/x.npy", extra: [("--out-weights", "@out/./x.npy")]), message: "twice"),
        BadInputCase(arguments: command("curve", "--csv", "@out/x", extra: [("--plot", "@out/x")]), message: "twice"),
        // An input of the run.
        BadInputCase(arguments: command("route", "--out-indices", "@in/logits.npy"), message: "input of this run"),
        BadInputCase(arguments: command("route", "--out-weights", "@in/bias.npy", extra: [("--bias", "@in/bias.npy"), ("--scoring", "sigmoid")]),
                     message: "input of this run"),
        BadInputCase(arguments: command("route", "--out-indices", "@in/gate.npy",
                                            extra: [("--logits", nil), ("--hidden", "@in/hidden.npy"), ("--gate", "@in/gate.npy")]),
                     message: "input of this run"),
        BadInputCase(arguments: command("curve", "--csv", "@in/config.json", extra: [("--models", "@in/config.json")]), message: "input of this run"),
        BadInputCase(arguments: command("serve", "--plot", "@in/config.json", extra: [("--model", nil), ("--config", "@in/config.json")]),
                     message: "input of this run"),
        BadInputCase(arguments: command("serve", "--plot", "@in/load.json", extra: [("--expert-load", "@in/load.json")]), message: "input of this run"),
        BadInputCase(arguments: command("serve", "--plot", "@in/accel.json", extra: [("--accelerator-file", "@in/accel.json")]), message: "input of this run"),
        // A directory that does not exist.
        BadInputCase(arguments: command("curve", "--csv", "@out/no/such/c.csv"), message: "does not exist"),
    ]

    /// Subcommand-level mistakes.
    static let otherCases: [BadInputCase] = [
        BadInputCase(arguments: ["help", "frobnicate"], message: "unknown subcommand 'frobnicate'"),
        BadInputCase(arguments: ["frobnicate"], message: "frobnicate"),
        BadInputCase(arguments: ["models", "--format", "xml"], message: "xml"),
        BadInputCase(arguments: ["models", "extra"], message: "extra"),
        BadInputCase(arguments: ["validate", "--bogus"], message: "bogus"),
        BadInputCase(arguments: ["accelerators", "--format", "yaml"], message: "yaml"),
        BadInputCase(arguments: ["estimate", "--model", "kimi-k2"], message: "context"),
        BadInputCase(arguments: ["route", "--logits", "@in/logits.npy", "--scoring", "tanh", "--topk", "1"], message: "tanh"),
        BadInputCase(arguments: ["route", "--logits", "@in/mangled.npy", "--scoring", "softmax", "--topk", "1"], message: "\\u{1B}"),
        BadInputCase(arguments: ["estimate", "--config", "@in/bad.json", "--context", "1K"], message: "line 1, column 25"),
        BadInputCase(arguments: ["compare", "--models", "kimi-k2,@in/bad.json", "--context", "1K"], message: "bad.json: config is not a valid JSON object"),
        BadInputCase(arguments: ["estimate", "--config", "@in/deep.json", "--context", "1K"], message: "nested deeper than 64 levels"),
        BadInputCase(arguments: ["estimate", "--model", "deepseek-v3", "--context", "1K", "--state-format", "fp16"], message: "recurrent-state format"),
        BadInputCase(arguments: ["curve", "--models", "qwen3-next-80b-a3b", "--state-format", "fp64"], message: "fp64"),
    ]

    static let allCases = numericCases + listCases + fileCases + outputCases + otherCases

    // MARK: - Running

    /// Writes the inputs that only some cases need (beyond `MatrixInputs`), once.
    static let extraInputs: Void = {
        let dir = MatrixInputs.directory
        try! Data(count: 64).write(to: dir.appendingPathComponent("zero.json"))
        let tall = NPY.encode(NPYArray<Float>(shape: [1_000_000, 1], values: [Float](repeating: 0.5, count: 1_000_000)))
        try! Data(tall).write(to: dir.appendingPathComponent("tall.npy"))
        // A dtype string with an escape and a newline (same length as '<f4'): the error must
        // stay one printable line.
        var mangled = NPY.encode(NPYArray<Float>(shape: [2, 16], values: [Float](repeating: 0.5, count: 32)))
        let dtype = Array("'<f4'".utf8)
        if let at = (0...(mangled.count - dtype.count)).first(where: { Array(mangled[$0..<($0 + dtype.count)]) == dtype }) {
            mangled.replaceSubrange(at..<(at + dtype.count), with: Array("'<\u{1B}\n'".utf8))
        }
        try! Data(mangled).write(to: dir.appendingPathComponent("mangled.npy"))
        try! "{\"model_type\": \"llama\", ".write(to: dir.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
        let deep = "{\"model_type\": \"llama\", \"x\": " + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000) + "}"
        try! deep.write(to: dir.appendingPathComponent("deep.json"), atomically: true, encoding: .utf8)
    }()

    /// Whether every character of `line` is printable (no control or format characters).
    static func printable(_ line: Substring) -> Bool {
        line.unicodeScalars.allSatisfy { s in
            switch s.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: return false
            default: return true
            }
        }
    }

    /// Modification snapshot of the shared inputs: (name, size, mtime, kind).
    static func snapshot() throws -> [String] {
        _ = extraInputs
        return try FileManager.default.contentsOfDirectory(atPath: MatrixInputs.directory.path).sorted().map { name in
            var s = stat()
            lstat(MatrixInputs.directory.appendingPathComponent(name).path, &s)
            return "\(name) \(s.st_size) \(s.st_mtim.tv_sec).\(s.st_mtim.tv_nsec) \(s.st_mode)"
        }
    }

    /// Runs `arguments` and checks the contract: status 2, one printable error line, empty
    /// stdout, nothing left in the case's output directory.
    @discardableResult
    static func expectRefused(_ arguments: [String], message: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        _ = extraInputs
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("moebench-matrix-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let resolved = MatrixInputs.resolve(arguments, out: out)
        let run = try runMoebench(resolved)
        let shown = arguments.joined(separator: " ")
        #expect(run.status == 2, "\(shown): status \(run.status), stderr \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty, "\(shown): stdout \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix("moebench: error: "), "\(shown): \(run.stderr)",
                sourceLocation: sourceLocation)
        #expect(printable(lines[0]), "\(shown): unprintable \(run.stderr.debugDescription)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Missing value"), "\(shown): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("NSCocoaErrorDomain") && !run.stderr.contains("The operation could not be completed"),
                "\(shown): \(run.stderr)", sourceLocation: sourceLocation)
        if let message {
            #expect(run.stderr.contains(message), "\(shown): \(run.stderr)", sourceLocation: sourceLocation)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(left.isEmpty, "\(shown): left \(left)", sourceLocation: sourceLocation)
        return String(lines[0])
    }

    // MARK: - Tests

    @Test("Numeric options: zero, huge, malformed", arguments: numericCases)
    func numericOption(_ c: BadInputCase) throws {
        try Self.expectRefused(c.arguments, message: c.message)
    }

    @Test("Numeric options: a negative number is refused with the same message in both spellings",
          arguments: everyNumericOption.map { ($0.0, $0.1) })
    func bothSpellings(subcommand: String, option: String) throws {
        let partner = Self.partner(of: option)
        let spaced = try Self.expectRefused(Self.command(subcommand, option, "-5", extra: partner), message: "-5")
        let joined = try Self.expectRefused(Self.command(subcommand, option, "-5", equals: true, extra: partner), message: "-5")
        #expect(spaced == joined)
    }

    @Test("Empty list items are refused", arguments: listCases)
    func listItem(_ c: BadInputCase) throws {
        try Self.expectRefused(c.arguments, message: c.message)
    }

    @Test("File arguments: missing, a directory, special, a dangling link, the same as another", arguments: fileCases)
    func fileArgument(_ c: BadInputCase) throws {
        let before = try Self.snapshot()
        try Self.expectRefused(c.arguments, message: c.message)
        #expect(try Self.snapshot() == before, "an input changed")
    }

    /// Root reads a file whatever its mode, so the case cannot fail as root: skipped there.
    @Test("An unreadable input is refused (skipped as root)", .enabled(if: getuid() != 0))
    func unreadable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moebench-unreadable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("unreadable.npy")
        try Data(NPY.encode(NPYArray<Float>(shape: [1, 2], values: [1, 2]))).write(to: url)
        chmod(url.path, 0)
        try Self.expectRefused(["route", "--logits", url.path, "--scoring", "softmax", "--topk", "1"], message: "permission denied")
        try Self.expectRefused(["estimate", "--config", url.path, "--context", "1K"], message: "permission denied")
    }

    @Test("Output arguments: a directory, the same path twice, an input of the run", arguments: outputCases)
    func outputArgument(_ c: BadInputCase) throws {
        let before = try Self.snapshot()
        try Self.expectRefused(c.arguments, message: c.message)
        #expect(try Self.snapshot() == before, "an input changed")
    }

    @Test("Subcommand-level mistakes", arguments: otherCases)
    func other(_ c: BadInputCase) throws {
        try Self.expectRefused(c.arguments, message: c.message)
    }

    /// Outputs that must be written through: /dev/null stays a character device, a link stays a
    /// link and its target receives the file.
    @Test("Outputs to /dev/null and through a symbolic link succeed without replacing them",
          arguments: [["route", "--out-indices", "@dest", "--out-weights", "@out/w.npy"],
                      ["curve", "--csv", "@dest"], ["curve", "--plot", "@dest"], ["serve", "--plot", "@dest"]])
    func writtenThrough(_ arguments: [String]) throws {
        _ = Self.extraInputs
        let subcommand = arguments[0]
        let base = Self.bases[subcommand]!.filter { pair in !arguments.contains(pair.0) }.flatMap { [$0.0] + ($0.1.map { [$0] } ?? []) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("moebench-matrix-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }

        let toNull = MatrixInputs.resolve([subcommand] + base + arguments.dropFirst().map { $0 == "@dest" ? "/dev/null" : $0 }, out: out)
        let run = try runMoebench(toNull)
        #expect(run.status == 0, "\(run.stderr)")
        var s = stat()
        #expect(lstat("/dev/null", &s) == 0 && s.st_mode & S_IFMT == S_IFCHR, "/dev/null is no longer a character device")

        let link = out.appendingPathComponent("link"), target = out.appendingPathComponent("target")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "target")
        let throughLink = MatrixInputs.resolve([subcommand] + base + arguments.dropFirst().map { $0 == "@dest" ? link.path : $0 }, out: out)
        let linked = try runMoebench(throughLink)
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(lstat(link.path, &s) == 0 && s.st_mode & S_IFMT == S_IFLNK, "the link was replaced")
        #expect((try? Data(contentsOf: target))?.isEmpty == false, "the link's target was not written")
    }
}
