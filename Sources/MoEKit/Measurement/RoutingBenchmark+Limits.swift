//===--- RoutingBenchmark+Limits.swift - The router against the machine's limits ===//

import _MoEKitKernels

extension RoutingBenchmark {
    /// The router measured against this machine's limits, on the benchmark's seeded inputs.
    public struct Limits: Sendable {
        /// Tokens of the batch measurements, `T`.
        public var tokens: Int
        /// Routing from logits `[T, E]` with MoEKit's kernels, one thread.
        public var route: TimingSummary
        /// The same logits routed by ``ScalarBaselineRouter`` (`nil` for a family it does
        /// not cover), timed interleaved with ``route``.
        public var baselineRoute: TimingSummary?
        /// The float32 router GEMM (OpenBLAS) at `T` tokens.
        public var float32GEMM: TimingSummary
        /// The bf16 router GEMM (MoEKit's kernel) at `T` tokens, interleaved with ``float32GEMM``.
        public var bfloat16GEMM: TimingSummary
        /// The bf16 kernel that ran (``BFloat16/Kernel/selected``).
        public var bfloat16Kernel: BFloat16.Kernel
        /// Every bf16 kernel this CPU can run, timed in the same rounds, fastest kernel first
        /// in ``BFloat16/Kernel`` order (AMX-BF16, AVX512-BF16, portable).
        public var bfloat16GEMMByKernel: [(kernel: BFloat16.Kernel, time: TimingSummary)]
        /// FLOPs of one GEMM, `2·T·E·d`.
        public var gemmFLOPs: Double
        /// Register-only `vdpbf16ps` throughput, FLOP/s (`nil` without AVX512-BF16).
        public var bfloat16Peak: Double?
        /// Largest error of the bf16 logits of the first ``accuracyTokens`` tokens against
        /// a float64 GEMM of the same bf16-rounded inputs, relative to max(|exact|, 0.1).
        public var bfloat16MaxError: Double
        /// Tokens in the float64 accuracy check.
        public var accuracyTokens: Int
        /// Tokens of the batch whose chosen experts (as a set) differ between the bf16 GEMM
        /// and an OpenBLAS float32 GEMM of the same bf16-rounded inputs.
        public var bfloat16Mismatches: Int
        /// The whole router for one token (GEMV + routing, calling thread, no allocation), float32 gate.
        public var singleTokenFloat32: TimingSummary
        /// The same with the bf16 gate.
        public var singleTokenBFloat16: TimingSummary
        /// Streaming read bandwidth of one thread, bytes per second (``MemoryBandwidth``).
        public var readBandwidth: Double
        /// Bytes of the float32 gate, `4·E·d`.
        public var float32GateBytes: Int
        /// Bytes of the bf16 gate, `2·E·d`.
        public var bfloat16GateBytes: Int

        /// MoEKit's routing over the baseline's, by median (how many times faster).
        public var routeSpeedup: Double? { baselineRoute.map { $0.median / route.median } }
        /// The same by minimum.
        public var routeSpeedupOfMinimums: Double? { baselineRoute.map { $0.minimum / route.minimum } }
        /// bf16 GEMM speed over float32, by median.
        public var bfloat16Speedup: Double { float32GEMM.median / bfloat16GEMM.median }
        /// Time to stream the float32 gate once at ``readBandwidth``, seconds.
        public var float32GateStreamSeconds: Double { Double(float32GateBytes) / readBandwidth }
        /// Time to stream the bf16 gate once at ``readBandwidth``, seconds.
        public var bfloat16GateStreamSeconds: Double { Double(bfloat16GateBytes) / readBandwidth }
        /// Fraction of the batch's tokens in ``bfloat16Mismatches``.
        public var bfloat16MismatchRate: Double { Double(bfloat16Mismatches) / Double(max(1, tokens)) }
    }

    /// Measures ``Limits`` at `tokens` tokens: routing against the scalar baseline, the
    /// bf16 GEMM against the float32 one and against the `vdpbf16ps` peak, the bf16
    /// accuracy, and the one-token router against the time to stream its gate.
    ///
    /// Runs on one thread whatever ``threads`` says (these are per-core limits).
    ///
    /// - Parameter availableMemory: Bytes the buffers may take; ``SystemMemory/availableBytes``
    ///   by default, `nil` skips the check.
    /// - Throws: ``RoutingError/invalidParameter(_:_:)`` for `tokens < 1`;
    ///   ``RoutingError/insufficientMemory(_:)`` before allocating buffers that would not fit.
    /// - Complexity: About ten GEMMs of `T` tokens, a 256 MiB read pass per repetition and
    ///   a float64 GEMM of 16 tokens.
    public mutating func measureLimits(
        tokens: Int, availableMemory: Int? = SystemMemory.availableBytes
    ) throws(RoutingError) -> Limits {
        guard tokens >= 1 else { throw .invalidParameter("tokens per batch", Double(tokens)) }
        let d = gemm.hiddenSize, e = gemm.experts, k = router.configuration.topK
        // Hidden states (plain, bf16 bits, rounded), logits three times (timed, bf16, fp32
        // reference), indices and weights three times, and the other-format and rounded gates.
        let floats = Double(tokens) * (2.5 * Double(d) + 3 * Double(e) + 6 * Double(k)) + 3 * Double(e) * Double(d)
        let bytes = floats * 4 < 0x1p62 ? Int(floats * 4) : nil
        if bytes == nil || bytes! > availableMemory ?? Int.max {
            throw .insufficientMemory(InsufficientMemory(
                buffer: "limit measurement buffers for \(tokens) tokens", shape: [], elementBytes: 1,
                bytes: bytes, available: availableMemory ?? Int.max))
        }

        let float32 = gemm.weightFormat == .float32 ? gemm
            : try RouterGEMM(gate: gateValues, experts: e, hiddenSize: d, availableMemory: nil)
        let bfloat16 = gemm.weightFormat == .bfloat16 ? gemm
            : try RouterGEMM(gate: gateValues, experts: e, hiddenSize: d, weightFormat: .bfloat16, availableMemory: nil)
        let hiddenValues = generator.uniformFloats(count: tokens * d)
        let logitBuffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: tokens * e)
        let indexBuffer = UnsafeMutableBufferPointer<Int32>.allocate(capacity: tokens * k)
        let weightBuffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: tokens * k)
        defer {
            logitBuffer.deallocate()
            indexBuffer.deallocate()
            weightBuffer.deallocate()
        }
        logitBuffer.initialize(repeating: 0)
        let (router, repetitions) = (self.router, self.repetitions)
        let baseline = ScalarBaselineRouter(router)

        return try BLAS.withThreads(1) { () throws(RoutingError) -> Limits in
            try hiddenValues.withUnsafeBufferPointer { (h) throws(RoutingError) -> Limits in
            let (l, ix, w) = (logitBuffer, indexBuffer, weightBuffer)
            // GEMMs, interleaved: the selected bf16 kernel, fp32, then every available bf16
            // kernel; the float32 logits written second stay for routing below.
            let kernels = BFloat16.Kernel.allCases.filter(\.isAvailable)
            var gemmBodies: [() -> Void] = [
                { _ = try? bfloat16.logits(hidden: h, into: l) },
                { _ = try? float32.logits(hidden: h, into: l) },
            ]
            for kernel in kernels where kernel != BFloat16.Kernel.selected {
                gemmBodies.insert({ _ = try? bfloat16.logits(hidden: h, into: l, bfloat16Kernel: kernel) }, at: 1)
            }
            let measured = measureInterleaved(repetitions: repetitions, gemmBodies)
            let gemmTimes = [measured[0], measured[measured.count - 1]]
            let others = kernels.filter { $0 != BFloat16.Kernel.selected }.reversed()
            var byKernel = [(kernel: BFloat16.Kernel.selected, time: measured[0])]
            for (i, kernel) in others.enumerated() { byKernel.append((kernel, measured[1 + i])) }
            byKernel.sort { a, b in kernels.firstIndex(of: a.kernel)! < kernels.firstIndex(of: b.kernel)! }
            try float32.logits(hidden: h, into: l)
            let logits = UnsafeBufferPointer(l)
            try router.route(logits: logits, indices: ix, weights: w)
            var bodies: [() -> Void] = [{ _ = try? router.route(logits: logits, indices: ix, weights: w) }]
            if let baseline { bodies.append { _ = try? baseline.route(logits: logits, indices: ix, weights: w) } }
            let routeTimes = measureInterleaved(repetitions: repetitions, bodies)

            // Accuracy: bf16 logits against float64 and float32 GEMMs of the rounded inputs.
            let roundedHidden = BFloat16.rounded(hiddenValues).map(BFloat16.float)
            let roundedGate = BFloat16.rounded(gateValues).map(BFloat16.float)
            let reference = try RouterGEMM(gate: roundedGate, experts: e, hiddenSize: d, availableMemory: nil)
            let bf16Logits = try bfloat16.logits(hidden: hiddenValues, availableMemory: nil)
            let fp32Logits = try reference.logits(hidden: roundedHidden, availableMemory: nil)
            let checked = min(tokens, 16)
            var maxError = 0.0
            for t in 0..<checked {
                for x in 0..<e {
                    var exact = 0.0
                    for i in 0..<d { exact += Double(roundedHidden[t * d + i]) * Double(roundedGate[x * d + i]) }
                    maxError = max(maxError, abs(Double(bf16Logits[t * e + x]) - exact) / max(abs(exact), 0.1))
                }
            }
            let a = try router.route(logits: bf16Logits, availableMemory: nil)
            let b = try router.route(logits: fp32Logits, availableMemory: nil)
            var mismatches = 0
            for t in 0..<tokens where Set(a.experts(ofToken: t)) != Set(b.experts(ofToken: t)) { mismatches += 1 }

            // One token: the whole router on the calling thread.
            let row = UnsafeBufferPointer(rebasing: h[0..<d])
            let (l1, ix1, w1) = (UnsafeMutableBufferPointer(rebasing: l[0..<e]),
                                 UnsafeMutableBufferPointer(rebasing: ix[0..<k]),
                                 UnsafeMutableBufferPointer(rebasing: w[0..<k]))
            try router.route(hidden: row, gemm: bfloat16, logits: l1, indices: ix1, weights: w1)
            try router.route(hidden: row, gemm: float32, logits: l1, indices: ix1, weights: w1)
            let single = measureInterleaved(repetitions: max(repetitions, 9), [
                { _ = try? router.route(hidden: row, gemm: float32, logits: l1, indices: ix1, weights: w1) },
                { _ = try? router.route(hidden: row, gemm: bfloat16, logits: l1, indices: ix1, weights: w1) },
            ])
            return Limits(
                tokens: tokens, route: routeTimes[0], baselineRoute: routeTimes.count > 1 ? routeTimes[1] : nil,
                float32GEMM: gemmTimes[1], bfloat16GEMM: gemmTimes[0], bfloat16Kernel: BFloat16.Kernel.selected,
                bfloat16GEMMByKernel: byKernel,
                gemmFLOPs: float32.flops(tokens: tokens), bfloat16Peak: BFloat16.peakDotProduct(),
                bfloat16MaxError: maxError, accuracyTokens: checked, bfloat16Mismatches: mismatches,
                singleTokenFloat32: single[0], singleTokenBFloat16: single[1],
                readBandwidth: MemoryBandwidth.measureRead(repetitions: 3),
                float32GateBytes: 4 * e * d, bfloat16GateBytes: 2 * e * d)
            }
        }
    }
}
