//===--- Route.swift - moebench route: apply a router to data in files ----===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    struct Route: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a router to logits or hidden states from .npy files.",
            discussion: """
                Input: --logits L.npy (float32 [T, E]), or --hidden H.npy [T, d] with --gate \
                G.npy [E, d], each float32 or bf16 bits ('<u2', or '<V2' as np.save writes an \
                ml_dtypes.bfloat16 array), and optionally --gate-bias (float32 [E], added to \
                the logits as gpt-oss's router bias). With --gate-format bf16 a float32 gate \
                or hidden state is rounded to bf16 and a bf16 one used as it is; with fp32 a \
                bf16 one is widened to float32 (exact). --bias B.npy (float32 [E]) is a \
                selection-only correction bias (DeepSeek-V3, Kimi K2, V4). Output: \
                --out-indices (int32 [T, k]) and --out-weights (float32 [T, k]), written only \
                when everything succeeded; without them the result is printed. The router: \
                --preset/--model NAME (a model preset or router alias), --config config.json \
                (the router its keys describe), or --scoring with --topk; the other router \
                flags override it.
                """)

        @Option(help: ArgumentHelp("Router logits, float32 [T, E].", valueName: "L.npy"))
        var logits: String?

        @Option(help: ArgumentHelp("Hidden states, float32 or bf16 bits [T, d] (with --gate).", valueName: "H.npy"))
        var hidden: String?

        @Option(help: ArgumentHelp("Gate weight, float32 or bf16 bits [E, d] (nn.Linear layout).", valueName: "G.npy"))
        var gate: String?

        @Option(name: .customLong("gate-bias"), help: ArgumentHelp("Linear bias of the gate, float32 [E].", valueName: "GB.npy"))
        var gateBias: String?

        @Option(name: .customLong("gate-format"),
                help: "Router GEMM with --gate: fp32 (OpenBLAS) or bf16 (gate and hidden states in bf16, float32 sums).")
        var gateFormat: RouterGEMM.WeightFormat = .float32

        @Option(help: ArgumentHelp("Selection-only correction bias, float32 [E].", valueName: "B.npy"))
        var bias: String?

        @OptionGroup var router: RouterOptions

        @Option(name: .customLong("out-indices"), help: ArgumentHelp("Write expert indices, int32 [T, k].", valueName: "I.npy"))
        var outIndices: String?

        @Option(name: .customLong("out-weights"), help: ArgumentHelp("Write weights, float32 [T, k].", valueName: "W.npy"))
        var outWeights: String?

        @Option(parsing: .unconditional, help: "Threads for the GEMM and routing, 1...1024.",
                transform: wholeNumber(in: 1...Bounds.threads))
        var threads = 1

        @Option(help: "Printed output when no --out-* file is given: table, json or csv.")
        var format: OutputFormat = .table

        func run() throws {
            guard (1...1024).contains(threads) else { throw UsageError("--threads must be in 1...1024, got \(threads)") }
            let logitRows: NPYArray<Float>
            switch (logits, hidden, gate) {
            case (let path?, nil, nil):
                logitRows = try NPY.read(Float.self, from: URL(fileURLWithPath: path))
                try requireRank(logitRows.shape, 2, path: path, expected: "[T, E]")
            case (nil, let h?, let g?):
                logitRows = try gemmLogits(hiddenPath: h, gatePath: g)
            case (nil, nil, nil):
                throw UsageError("give --logits L.npy, or --hidden H.npy with --gate G.npy")
            case (_?, _, _):
                throw UsageError("--logits cannot be combined with --hidden or --gate")
            case (nil, _?, nil):
                throw UsageError("--hidden needs --gate G.npy")
            case (nil, nil, _?):
                throw UsageError("--gate needs --hidden H.npy")
            }
            if gateBias != nil && logits != nil { throw UsageError("--gate-bias applies to --hidden/--gate input only") }
            if gateFormat != .float32 && logits != nil { throw UsageError("--gate-format applies to --hidden/--gate input only") }
            let experts = logitRows.shape[1]

            var correction: [Float]?
            if let bias {
                let b = try NPY.read(Float.self, from: URL(fileURLWithPath: bias))
                guard b.shape == [experts] else {
                    throw NPYError.shapeMismatch(path: bias, expected: "[\(experts)] (one per expert)", actual: b.shape)
                }
                correction = b.values
            }
            let config = try router.configuration(fallback: nil, experts: experts, hasBias: correction != nil)
            router.warnIfBiasMissing(hasBias: correction != nil)
            let result = try Router(config, correctionBias: correction).route(logits: logitRows.values, threads: threads)

            if outIndices == nil && outWeights == nil {
                try printResult(result)
                return
            }
            let files = FileCommit()
            files.protect(inputs: [logits, hidden, gate, gateBias, bias].compactMap { $0 })
            let shape = [result.tokens, result.topK]
            if let outIndices {
                try files.stage(NPY.encode(NPYArray(shape: shape, values: result.indices)), at: URL(fileURLWithPath: outIndices))
            }
            if let outWeights {
                try files.stage(NPY.encode(NPYArray(shape: shape, values: result.weights)), at: URL(fileURLWithPath: outWeights))
            }
            try files.commit()
        }

        private func gemmLogits(hiddenPath: String, gatePath: String) throws -> NPYArray<Float> {
            let h = try NPY.readFloatingPoint(from: URL(fileURLWithPath: hiddenPath))
            try requireRank(h.shape, 2, path: hiddenPath, expected: "[T, d]")
            let g = try NPY.readFloatingPoint(from: URL(fileURLWithPath: gatePath))
            try requireRank(g.shape, 2, path: gatePath, expected: "[E, d]")
            let (experts, d) = (g.shape[0], g.shape[1])
            guard d == h.shape[1] else {
                throw NPYError.shapeMismatch(path: gatePath, expected: "[E, \(h.shape[1])] (d of the hidden states)", actual: g.shape)
            }
            var linearBias: [Float]?
            if let gateBias {
                let b = try NPY.read(Float.self, from: URL(fileURLWithPath: gateBias))
                guard b.shape == [experts] else {
                    throw NPYError.shapeMismatch(path: gateBias, expected: "[\(experts)] (one per expert)", actual: b.shape)
                }
                linearBias = b.values
            }
            let gemm: RouterGEMM
            switch (g, gateFormat) {
            case (.bfloat16(let bits), .bfloat16):
                gemm = try RouterGEMM(bfloat16Gate: bits.values, experts: experts, hiddenSize: d, gateBias: linearBias)
            case (.bfloat16, .float32):
                try SystemMemory.require("gate weight widened to float32", shape: g.shape, elementBytes: 4,
                                         available: SystemMemory.availableBytes)
                gemm = try RouterGEMM(gate: g.float32Values, experts: experts, hiddenSize: d, gateBias: linearBias)
            case (.float32(let weights), _):
                gemm = try RouterGEMM(gate: weights.values, experts: experts, hiddenSize: d, gateBias: linearBias,
                                      weightFormat: gateFormat)
            }
            BLAS.threads = threads
            // Both check the [T, E] logits against the available memory before allocating them.
            switch h {
            case .float32(let hidden):
                if let bad = hidden.values.firstIndex(where: { !$0.isFinite }) {
                    throw RoutingError.nonFiniteInput(buffer: "hidden states", index: bad, value: hidden.values[bad])
                }
                return NPYArray(shape: [h.shape[0], experts], values: try gemm.logits(hidden: hidden.values, threads: threads))
            case .bfloat16(let hidden):
                return NPYArray(shape: [h.shape[0], experts],
                                values: try gemm.logits(bfloat16Hidden: hidden.values, threads: threads))
            }
        }

        private func requireRank(_ shape: [Int], _ rank: Int, path: String, expected: String) throws {
            guard shape.count == rank, shape.last.map({ $0 >= 1 }) ?? false else {
                throw NPYError.shapeMismatch(path: path, expected: expected, actual: shape)
            }
        }

        private func printResult(_ result: RoutingResult) throws {
            switch format {
            case .json:
                let object: [String: Any] = [
                    "tokens": result.tokens, "topk": result.topK,
                    "indices": (0..<result.tokens).map { Array(result.experts(ofToken: $0)) },
                    "weights": (0..<result.tokens).map { result.weights(ofToken: $0).map(Double.init) },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            case .csv:
                print("token,slot,expert,weight")
                for t in 0..<result.tokens {
                    for j in 0..<result.topK {
                        print("\(t),\(j),\(result.indices[t * result.topK + j]),\(result.weights[t * result.topK + j])")
                    }
                }
            case .table:
                var table = TextTable(["token", "experts (descending key)", "weights"])
                for t in 0..<result.tokens {
                    table.append([
                        "\(t)", result.experts(ofToken: t).map(String.init).joined(separator: " "),
                        result.weights(ofToken: t).map { Format.fixed(Double($0), 4) }.joined(separator: " "),
                    ])
                }
                print(table.render(), terminator: "")
            }
        }
    }
}
