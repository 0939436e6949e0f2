//===--- RoutingBenchmark.swift - Router GEMM, routing and both, measured --===//

/// Measures the three stages of an MoE router on this CPU with seeded random inputs:
/// the router GEMM (hidden `[T, d]` · gateᵀ `[d, E]`), routing from logits (scoring,
/// correction bias, group limit, top-k, weights), and the whole router (both, through
/// ``Router/route(hidden:gemm:logits:indices:weights:threads:)``).
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
    /// The router GEMM (seeded gate weight `[E, d]`).
    public let gemm: RouterGEMM
    /// Timed samples per stage.
    public let repetitions: Int
    /// Threads for OpenBLAS and for routing.
    public let threads: Int
    private var generator: SeededGenerator

    /// Prepares a benchmark; builds the seeded gate weight and, when the configuration
    /// uses one, a seeded correction bias.
    ///
    /// - Throws: ``RoutingError`` for an invalid configuration or hidden size.
    public init(
        configuration: RouterConfiguration, hiddenSize: Int, repetitions: Int = 5,
        threads: Int = 1, seed: UInt64 = 0x4D6F_454B_6974
    ) throws(RoutingError) {
        try configuration.validate()
        guard hiddenSize >= 1 else { throw .invalidParameter("hidden size", Double(hiddenSize)) }
        var generator = SeededGenerator(seed: seed)
        let bias = configuration.usesCorrectionBias
            ? generator.uniformFloats(count: configuration.experts, scale: 0.05) : nil
        self.router = try Router(configuration, correctionBias: bias)
        let gate = generator.uniformFloats(
            count: configuration.experts * hiddenSize, scale: 3 / Float(hiddenSize).squareRoot())
        self.gemm = try RouterGEMM(gate: gate, experts: configuration.experts, hiddenSize: hiddenSize)
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
        func product(_ a: Int, _ b: Int) -> Int? {
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? nil : p
        }
        func sum(_ a: Int, _ b: Int) -> Int? {
            let (s, overflow) = a.addingReportingOverflow(b)
            return overflow ? nil : s
        }
        let e = configuration.experts, k = configuration.topK
        guard let perToken = sum(hiddenSize, e).flatMap({ sum($0, 2 * k) }),
              let batch = product(largestBatch, perToken),
              let gate = product(e, hiddenSize).flatMap({ product($0, 2) }),
              let floats = sum(batch, gate).flatMap({ sum($0, e) }) else { return nil }
        return product(floats, 4)
    }

    /// Measures every batch size in `tokenCounts`, calling `progress` before each one.
    ///
    /// - Throws: ``RoutingError`` if a token count is below 1.
    /// - Complexity: Allocates `max(T)·(d + E + 2k)` floats once.
    public mutating func run(
        tokenCounts: [Int], progress: (_ index: Int, _ tokens: Int) -> Void = { _, _ in }
    ) throws(RoutingError) -> [Measurement] {
        guard let largest = tokenCounts.max() else { return [] }
        if let bad = tokenCounts.first(where: { $0 < 1 }) {
            throw .invalidParameter("tokens per batch", Double(bad))
        }
        let d = gemm.hiddenSize, e = gemm.experts, k = router.configuration.topK
        let hidden = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * d)
        let logits = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * e)
        let indices = UnsafeMutableBufferPointer<Int32>.allocate(capacity: largest * k)
        let weights = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest * k)
        defer { hidden.deallocate(); logits.deallocate(); indices.deallocate(); weights.deallocate() }
        generator.fill(hidden)

        let savedThreads = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = savedThreads }

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
            // Interleaved, so that the three stages see the same machine state.
            let times = measureInterleaved(repetitions: repetitions, [
                { _ = try? gemm.logits(hidden: h, into: l) },
                { _ = try? router.route(logits: UnsafeBufferPointer(l), indices: ix, weights: w, threads: threads) },
                { _ = try? router.route(hidden: h, gemm: gemm, logits: l, indices: ix, weights: w, threads: threads) },
            ])
            results.append(Measurement(
                tokens: t, gemm: times[0], route: times[1], router: times[2],
                gemmFLOPs: gemm.flops(tokens: t)))
        }
        return results
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
        let savedThreads = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = savedThreads }
        let time = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    measure(repetitions: repetitions, minimumSampleSeconds: 0) {
                        BLAS.multiply(a.baseAddress!, b.baseAddress!, into: c.baseAddress!, m: n, n: n, k: n)
                    }
                }
            }
        }
        return 2 * Double(n) * Double(n) * Double(n) / time.minimum
    }
}
