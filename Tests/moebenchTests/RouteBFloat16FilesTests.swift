//===--- RouteBFloat16FilesTests.swift - route with bf16 .npy inputs -------===//

import Foundation
import MoEKit
import Testing

@Suite("moebench route: bf16 gate and hidden-state files")
struct RouteBFloat16FilesTests: NPYFileSuite {
    let dir: URL

    init() throws { dir = try makeTemporaryDirectory() }

    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MoEKitTests/IO/Fixtures")

    /// Runs `route` (sigmoid top-4 over 64 experts) and returns the files' indices and weights.
    func route(_ inputs: [String], experts: Int = 64, topK: Int = 4) throws -> (indices: [Int32], weights: [Float]) {
        for name in ["i.npy", "w.npy"] { try? FileManager.default.removeItem(atPath: path(name)) }
        let run = try runMoebench(["route", "--scoring", "sigmoid", "--topk", "\(topK)"] + inputs
                                  + ["--out-indices", path("i.npy"), "--out-weights", path("w.npy")])
        #expect(run.status == 0, "\(inputs): \(run.stderr)")
        return (try NPY.read(Int32.self, from: URL(fileURLWithPath: path("i.npy"))).values,
                try NPY.read(Float.self, from: URL(fileURLWithPath: path("w.npy"))).values)
    }

    @Test("bf16 bits in either file equal the library's router on the same bits; float32 gates widen them")
    func equalsLibrary() throws {
        let (t, d, e) = (11, 96, 64)
        var g = SeededGenerator(seed: 31)
        let hiddenFloats = g.uniformFloats(count: t * d), gateFloats = g.uniformFloats(count: e * d, scale: 0.3)
        let hiddenBits = BFloat16.rounded(hiddenFloats), gateBits = BFloat16.rounded(gateFloats)
        let h32 = try write("h32.npy", NPYArray(shape: [t, d], values: hiddenFloats))
        let g32 = try write("g32.npy", NPYArray(shape: [e, d], values: gateFloats))
        let h16 = try write("h16.npy", shape: [t, d], bfloat16: hiddenBits)
        let g16 = try write("g16.npy", shape: [e, d], bfloat16: gateBits)
        let router = try Router(RouterConfiguration(experts: e, topK: 4, scoring: .sigmoid))

        // --gate-format bf16: a bf16 gate is used as it is, a float32 one rounded; likewise the
        // hidden states. All four combinations are the same bf16 GEMM.
        let bf16Gate = try RouterGEMM(bfloat16Gate: gateBits, experts: e, hiddenSize: d)
        let expected = try router.route(bfloat16Hidden: hiddenBits, gemm: bf16Gate)
        for (hidden, gate) in [(h16, g16), (h16, g32), (h32, g16), (h32, g32)] {
            let got = try route(["--hidden", hidden, "--gate", gate, "--gate-format", "bf16", "--threads", "2"])
            #expect(got.indices == expected.indices && got.weights == expected.weights, "\(hidden) \(gate)")
        }

        // --gate-format fp32: bf16 files are widened exactly; the same as float32 files of those values.
        let widenedGate = try RouterGEMM(gate: gateBits.map(BFloat16.float), experts: e, hiddenSize: d)
        let fp32 = try router.route(hidden: hiddenBits.map(BFloat16.float), gemm: widenedGate)
        let got = try route(["--hidden", h16, "--gate", g16])
        #expect(got.indices == fp32.indices && got.weights == fp32.weights)
        let mixed = try router.route(hidden: hiddenFloats, gemm: widenedGate)
        let gotMixed = try route(["--hidden", h32, "--gate", g16, "--gate-format", "fp32"])
        #expect(gotMixed.indices == mixed.indices && gotMixed.weights == mixed.weights)
    }

    @Test("Reads an ml_dtypes.bfloat16 array saved by np.save ('<V2')")
    func mlDtypesFile() throws {
        // bf16_v2_2x3.npy holds [[1, -2.5, 0.10009765625], [3, 1e-30 (bf16 0x0DA2), -0]]. With
        // this gate the logits of token 0 are 1, -2.5, 0.10009765625, -1 and of token 1
        // 3, 1e-30, -0, -3: top-2 experts 0, 2 and 0, 1 (sigmoid(1e-30) and sigmoid(-0) are both
        // 0.5 in float32; the tie goes to the lower index).
        let gate = try write("g.npy", NPYArray<Float>(shape: [4, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1, -1, 0, 0]))
        let hidden = fixtures.appendingPathComponent("bf16_v2_2x3.npy").path
        for format in ["bf16", "fp32"] {
            let got = try route(["--hidden", hidden, "--gate", gate, "--gate-format", format], experts: 4, topK: 2)
            #expect(got.indices == [0, 2, 0, 1], "\(format)")
        }
    }

    @Test("Bad bf16 input: one line on stderr, exit 2, no output file")
    func badInput() throws {
        let (t, d, e) = (3, 8, 16)
        var g = SeededGenerator(seed: 32)
        var hidden = BFloat16.rounded(g.uniformFloats(count: t * d))
        var gate = BFloat16.rounded(g.uniformFloats(count: e * d))
        let h = try write("h.npy", shape: [t, d], bfloat16: hidden)
        let w = try write("g.npy", shape: [e, d], bfloat16: gate)
        let narrow = try write("thin.npy", shape: [e, d - 1], bfloat16: Array(gate.prefix(e * (d - 1))))
        let flat = try write("flat.npy", shape: [e * d], bfloat16: gate)
        hidden[13] = 0x7F80
        let infHidden = try write("infh.npy", shape: [t, d], bfloat16: hidden)
        gate[100] = 0xFFC0
        let nanGate = try write("nang.npy", shape: [e, d], bfloat16: gate)
        let bits16 = try write("b16.npy", shape: [e], bfloat16: [UInt16](repeating: 0x3F80, count: e))
        let logits16 = try write("l16.npy", shape: [t, e], bfloat16: [UInt16](repeating: 0x3F80, count: t * e))
        let ints = fixtures.appendingPathComponent("i32_3.npy").path
        let big = fixtures.appendingPathComponent("u2_big_endian.npy").path
        let base = ["route", "--scoring", "softmax", "--topk", "2"]
        let cases: [([String], String)] = [
            (["--hidden", h, "--gate", narrow, "--gate-format", "bf16"], "shape (16, 7) does not match the required [E, 8]"),
            (["--hidden", h, "--gate", flat, "--gate-format", "bf16"], "shape (128) does not match the required [E, d]"),
            (["--hidden", infHidden, "--gate", w, "--gate-format", "bf16"], "bf16 hidden states element 13 is inf"),
            (["--hidden", infHidden, "--gate", w, "--gate-format", "fp32"], "bf16 hidden states element 13 is inf"),
            (["--hidden", h, "--gate", nanGate, "--gate-format", "bf16"], "bf16 gate weight element 100 is -nan"),
            (["--hidden", h, "--gate", nanGate], "gate weight element 100 is -nan"),
            (["--logits", logits16], "dtype '<u2' is not supported here; expected '<f4'"),
            (["--hidden", h, "--gate", w, "--gate-bias", bits16], "dtype '<u2' is not supported here; expected '<f4'"),
            (["--hidden", h, "--gate", w, "--bias", bits16], "dtype '<u2' is not supported here; expected '<f4'"),
            (["--hidden", ints, "--gate", w], "dtype '<i4' is not supported here; expected '<f4', '<u2' or '<V2'"),
            (["--hidden", h, "--gate", big, "--gate-format", "bf16"], "dtype '>u2' is not supported here"),
        ]
        let out = ["--out-indices", path("i.npy"), "--out-weights", path("w.npy")]
        for (arguments, message) in cases {
            let run = try runMoebench(base + arguments + out)
            #expect(run.status == 2, "\(arguments): status \(run.status) \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("moebench: error: "), "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("i.npy") || $0.contains("w.npy") }
            #expect(leftovers.isEmpty, "partial output \(leftovers)")
        }
    }
}
