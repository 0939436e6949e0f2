//===--- RoutingBenchmark.swift - Router GEMM, routing and both, measured --===//

/// Measures the stages of an MoE router on this CPU with seeded random inputs:
/// the router GEMM (hidden `[T, d]` · gateᵀ `[d, E]`), routing from logits (scoring,
/// correction bias, group limit, top-k, weights), the whole router (both, through
/// ``Router/route(hidden:gemm:logits:indices:weights:threads:)``), and the two steps that
/// follow it in an MoE layer: dispatch (``DispatchPlan/dispatch(indices:topK:)`` on the routed
/// indices) and combine (``DispatchPlan/combine(_:weights:hiddenSize:into:adding:)`` of expert
/// outputs `[T·k, d]` into `[T, d]`).
///
/// Combine runs over the whole batch in chunks of ``combineChunk(topK:hiddenSize:)`` tokens,
/// each with its own dispatch, so that the expert-output buffer stays within 128 MiB
/// (`T·k·d` floats would be 896 MiB at T = 4096, k = 8, d = 7168); a chunk's 112 MiB still
/// streams from memory, so the time per token is the unchunked one.
///
/// Inputs are uniform: hidden states in `[-1, 1)` (variance 1/3), the gate in
/// `[-3, 3)/sqrt(d)` (variance 3/d), so logits have unit variance; a correction bias, when
/// the router configuration uses one, in `[-0.05, 0.05)`. All buffers are allocated once, for the largest batch.
public struct RoutingBenchmark {
    /// One batch size's measurements.
    public struct Measurement: Hashable, Sendable {
        /// Tokens per batch, `T`.
        public var tokens: Int
        /// The router GEMM alone.
        public var gemm: TimingSummary
        /// Routing from logits alone.
        public var route: TimingSummary
        /// GEMM and routing in one call.
        public var router: TimingSummary
        /// The counting-sort dispatch of the routed `T·k` slots.
        public var dispatch: TimingSummary
        /// The weighted combine of `T·k` expert-output rows of width `d` into `[T, d]`.
        public var combine: TimingSummary
        /// Tokens per combine chunk.
        public var combineChunk: Int
        /// FLOPs of one GEMM, `2·T·E·d`.
        public var gemmFLOPs: Double

        /// Achieved GEMM throughput at the median time, in FLOP/s.
        public var gemmFLOPSPerSecond: Double { gemmFLOPs / gemm.median }

        /// The whole router's median time over the sum of the separate stages' medians;
        /// 1.0 means no hidden cost in putting them together.
        public var routerOverhead: Double { router.median / (gemm.median + route.median) }

        /// The same ratio of the fastest samples, less sensitive to noise (at T = 1 the GEMM
        /// streams the whole gate weight from memory and varies by ±10% between samples).
        public var routerOverheadOfMinimums: Double { router.minimum / (gemm.minimum + route.minimum) }
    }

    /// The router under test (its configuration and correction bias).
    public let router: Router
    /// The router GEMM (seeded gate weight `[E, d]`, in the format asked for).
    public let gemm: RouterGEMM
    /// The seeded gate weight `[E, d]` in float32 (for the other format's GEMM).
    let gateValues: [Float]
    /// Timed samples per stage.
    public let repetitions: Int
    /// Threads for OpenBLAS and for routing.
    public let threads: Int
    var generator: SeededGenerator

    /// Prepares a benchmark; builds the seeded gate weight and, when the configuration
    /// uses one, a seeded correction bias.
    ///
    /// - Parameter weightFormat: How the GEMM stores the gate (float32 on OpenBLAS, or bf16
    ///   on MoEKit's kernel).
    /// - Parameter availableMemory: Bytes the gate weight and its transposed copy may take
    ///   (8·E·d); ``SystemMemory/availableBytes`` by default, `nil` skips the check.
    /// - Throws: ``RoutingError`` for an invalid configuration or hidden size;
    ///   ``RoutingError/insufficientMemory(_:)`` before allocating a gate that would not fit.
    public init(
        configuration: RouterConfiguration, hiddenSize: Int, repetitions: Int = 5,
        threads: Int = 1, seed: UInt64 = 0x4D6F_454B_6974,
        weightFormat: RouterGEMM.WeightFormat = .float32,
        availableMemory: Int? = SystemMemory.availableBytes
    ) throws(RoutingError) {
        try configuration.validate()
        guard hiddenSize >= 1 else { throw .invalidParameter("hidden size", Double(hiddenSize)) }
        do {
            try SystemMemory.require("gate weight and its transposed copy", shape: [2, configuration.experts, hiddenSize],
                                     elementBytes: 4, available: availableMemory)
        } catch { throw .insufficientMemory(error) }
        var generator = SeededGenerator(seed: seed)
        let bias = configuration.usesCorrectionBias
            ? generator.uniformFloats(count: configuration.experts, scale: 0.05) : nil
        self.router = try Router(configuration, correctionBias: bias)
        let gate = generator.uniformFloats(
            count: configuration.experts * hiddenSize, scale: 3 / Float(hiddenSize).squareRoot())
        self.gemm = try RouterGEMM(gate: gate, experts: configuration.experts, hiddenSize: hiddenSize,
                                   weightFormat: weightFormat, availableMemory: nil)
        self.gateValues = gate
        self.repetitions = max(1, repetitions)
        self.threads = max(1, threads)
        self.generator = generator
    }

    /// Bytes the benchmark allocates for batches of up to `largestBatch` tokens: hidden states
    /// `[T, d]`, logits `[T, E]`, indices and weights `[T, k]`, the gate `[E, d]` and its
    /// transposed copy, and the bias `[E]`; `nil` if the count overflows `Int`.
    ///
    /// Lets a caller refuse sizes that would not fit before anything is allocated.
    public static func bufferBytes(configuration: RouterConfiguration, hiddenSize: Int, largestBatch: Int) -> Int? {
        let k = configuration.topK
        let chunk = Double(min(largestBatch, combineChunk(topK: k, hiddenSize: hiddenSize)))
        let (t, d, e, kk) = (Double(largestBatch), Double(hiddenSize), Double(configuration.experts), Double(k))
        // Per token: hidden, logits, indices and weights, combine output, and the dispatch
        // positions and permutations of the batch and of its chunks (Int32, 4 bytes like a
        // float). Once: the gate and its transposed copy, the bias, one chunk's expert outputs.
        let floats = t * (d + e + 2 * kk) + t * (d + 4 * kk) + 2 * e * d + e + chunk * kk * d
        let bytes = 4 * floats
        return bytes < 0x1p62 ? Int(bytes) : nil
    }

    /// Tokens per combine chunk: the largest power of two whose expert outputs `[chunk·k, d]`
    /// fit in 128 MiB (at least 1).
    public static func combineChunk(topK: Int, hiddenSize: Int) -> Int {
        let budget = 128 << 20
        let (rows, overflow) = max(1, topK).multipliedReportingOverflow(by: max(1, hiddenSize))
        guard !overflow, rows <= budget / 4 else { return 1 }
        var chunk = 1
        while chunk * 2 * rows * 4 <= budget { chunk *= 2 }
        return chunk
    }

    /// Measures every batch size in `tokenCounts`, calling `progress` before each one.
    ///
    /// - Parameter availableMemory: Bytes the batch buffers may take;
    ///   ``SystemMemory/availableBytes`` by default, `nil` skips the check.
    /// - Throws: ``RoutingError`` if a token count is below 1;
    ///   ``RoutingError/insufficientMemory(_:)`` before allocating buffers that would not fit.
    /// - Complexity: Allocates ``bufferBytes(configuration:hiddenSize:largestBatch:)`` once.
    public mutating func run(
        tokenCounts: [Int], availableMemory: Int? = SystemMemory.availableBytes,
        progress: (_ index: Int, _ tokens: Int) -> Void = { _, _ in }
    ) throws(RoutingError) -> [Measurement] {
        guard let largest = tokenCounts.max() else { return [] }
        if let bad = tokenCounts.first(where: { $0 < 1 }) {
            throw .invalidParameter("tokens per batch", Double(bad))
        }
        let d = gemm.hiddenSize, e = gemm.experts, k = router.configuration.topK
        let bytes = Self.bufferBytes(configuration: router.configuration, hiddenSize: d, largestBatch: largest)
        if bytes == nil || bytes! > availableMemory ?? Int.max {
            throw .insufficientMemory(InsufficientMemory(
                buffer: "benchmark buffers for \(largest) tokens (hidden, logits, results, combine)",
                shape: [], elementBytes: 1, bytes: bytes, available: availableMemory ?? Int.max))
        }
        let hidden = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * d)
        let logits = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * e)
        let indices = UnsafeMutableBufferPointer<Int32>.allocate(capacity: largest * k)
        let weights = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * k)
        let chunk = Swift.min(largest, Self.combineChunk(topK: k, hiddenSize: d))
        let expertOutputs = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * k * d)
        let combined = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * d)
        defer {
            for buffer in [hidden, logits, weights, expertOutputs, combined] { buffer.deallocate() }
            indices.deallocate()
        }
        generator.fill(hidden)
        generator.fill(expertOutputs)
        combined.initialize(repeating: 0)
        var plan: DispatchPlan
        do { plan = try DispatchPlan(experts: e) } catch { throw .invalidExpertCount(e) }

        return try BLAS.withThreads(threads) { () throws(RoutingError) -> [Measurement] in
            var results: [Measurement] = []
            for (i, t) in tokenCounts.enumerated() {
                progress(i, t)
                let h = UnsafeBufferPointer(rebasing: hidden[0..<(t * d)])
                let l = UnsafeMutableBufferPointer(rebasing: logits[0..<(t * e)])
                let ix = UnsafeMutableBufferPointer(rebasing: indices[0..<(t * k)])
                let w = UnsafeMutableBufferPointer(rebasing: weights[0..<(t * k)])
                let (gemm, router, threads) = (self.gemm, self.router, self.threads)
                // One checked call of the whole router: the timed calls below cannot fail after it.
                try router.route(hidden: h, gemm: gemm, logits: l, indices: ix, weights: w, threads: threads)
                // One dispatch per combine chunk of the routed indices, made before timing.
                let chunks = stride(from: 0, to: t, by: chunk).map { $0..<Swift.min(t, $0 + chunk) }
                var chunkPlans: [DispatchPlan] = []
                for range in chunks {
                    var p = plan
                    try? p.dispatch(indices: UnsafeBufferPointer(rebasing: ix[(range.lowerBound * k)..<(range.upperBound * k)]), topK: k)
                    chunkPlans.append(p)
                }
                let (outputs, y) = (UnsafeBufferPointer(expertOutputs), combined)
                // Interleaved, so that the stages see the same machine state.
                let times = measureInterleaved(repetitions: repetitions, [
                    { _ = try? gemm.logits(hidden: h, into: l, threads: threads) },
                    { _ = try? router.route(logits: UnsafeBufferPointer(l), indices: ix, weights: w, threads: threads) },
                    { _ = try? router.route(hidden: h, gemm: gemm, logits: l, indices: ix, weights: w, threads: threads) },
                    { try? plan.dispatch(indices: UnsafeBufferPointer(ix), topK: k) },
                    {
                        for (range, p) in zip(chunks, chunkPlans) {
                            try? p.combine(
                                UnsafeBufferPointer(rebasing: outputs[0..<(p.paddedLength * d)]),
                                weights: UnsafeBufferPointer(rebasing: w[(range.lowerBound * k)..<(range.upperBound * k)]),
                                hiddenSize: d,
                                into: UnsafeMutableBufferPointer(rebasing: y[(range.lowerBound * d)..<(range.upperBound * d)]))
                        }
                    },
                ])
                results.append(Measurement(
                    tokens: t, gemm: times[0], route: times[1], router: times[2], dispatch: times[3], combine: times[4],
                    combineChunk: Swift.min(t, chunk), gemmFLOPs: gemm.flops(tokens: t)))
            }
            return results
        }
    }

    /// The best single-call throughput of a large square `cblas_sgemm`, in FLOP/s: the
    /// machine's practical sgemm limit, to put the router GEMM's figure in context.
    ///
    /// - Parameters:
    ///   - size: `n` for an `n × n × n` product (`2·n³` FLOPs).
    ///   - repetitions: Timed calls after one warm-up; the fastest counts.
    ///   - threads: OpenBLAS threads.
    public static func peakSGEMM(size: Int = 2048, repetitions: Int = 3, threads: Int = 1) -> Double {
        let n = max(64, size)
        var generator = SeededGenerator(seed: 7)
        let a = generator.uniformFloats(count: n * n), b = generator.uniformFloats(count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let time = BLAS.withThreads(threads) {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        measure(repetitions: repetitions, minimumSampleSeconds: 0) {
                            BLAS.multiply(a.baseAddress!, b.baseAddress!, into: c.baseAddress!, m: n, n: n, k: n)
                        }
                    }
                }
            }
        }
        return 2 * Double(n) * Double(n) * Double(n) / time.minimum
    }
}
