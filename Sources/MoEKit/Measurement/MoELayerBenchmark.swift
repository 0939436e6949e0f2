//===--- MoELayerBenchmark.swift - A whole MoE layer measured stage by stage ===//

/// Measures a whole MoE layer forward pass on this CPU, stage by stage (``MoELayer/Stage``),
/// with seeded random weights and inputs (see ``MoELayer/random(shape:router:dispatchOptions:seed:)``;
/// hidden states uniform in `[-1, 1)`).
///
/// Each repetition is one forward pass; the clock is read between stages, so the stage
/// times of a pass add up to the pass. One untimed pass comes first.
public struct MoELayerBenchmark {
    /// One stage's time and work.
    public struct StageMeasurement: Hashable, Sendable {
        /// The stage.
        public var stage: MoELayer.Stage
        /// Its time per forward pass.
        public var time: TimingSummary
        /// Floating-point operations, or `nil` for stages that only move data.
        public var flops: Double?
        /// The bytes the stage must move at least: the weights read for GEMM stages (each
        /// touched expert once), activations read and written for the others; `nil` for
        /// routing and dispatch.
        public var bytes: Double?

        /// FLOP/s at the median time, or `nil`.
        public var flopsPerSecond: Double? { flops.map { $0 / time.median } }
        /// Bytes per second at the median time, or `nil`.
        public var bytesPerSecond: Double? { bytes.map { $0 / time.median } }
    }

    /// One batch size's measurements.
    public struct Measurement: Hashable, Sendable {
        /// Tokens `T`.
        public var tokens: Int
        /// Every stage, in forward order.
        public var stages: [StageMeasurement]
        /// The whole forward pass (sum of the stages of each pass).
        public var total: TimingSummary
        /// Rows each expert ran, `counts[e]` of the dispatch (the same every pass: the inputs
        /// do not change).
        public var rowsPerExpert: [Int]
        /// Slots dropped by a capacity limit.
        public var droppedSlots: Int
        /// Padding rows added by block alignment.
        public var paddingRows: Int

        /// The stage `stage`.
        public subscript(stage: MoELayer.Stage) -> StageMeasurement? { stages.first { $0.stage == stage } }

        /// Experts that received at least one row.
        public var activeExperts: Int { rowsPerExpert.count { $0 > 0 } }

        /// FLOP/s of the routed experts' GEMMs (gate-up and down), at the median times.
        public var expertGEMMFLOPSPerSecond: Double {
            guard let gu = self[.gateUp], let dn = self[.down] else { return 0 }
            return ((gu.flops ?? 0) + (dn.flops ?? 0)) / (gu.time.median + dn.time.median)
        }
    }

    /// The layer under test.
    public let layer: MoELayer
    /// Timed passes per batch size.
    public let repetitions: Int
    /// Threads for OpenBLAS and routing.
    public let threads: Int
    /// The largest batch the memory check covered.
    public let largestBatch: Int
    /// The memory of the layer, its workspace and the input and output for ``largestBatch``.
    public let memory: MoELayerShape.Memory
    private let seed: UInt64

    /// Builds the layer with seeded random weights, after checking that it and its buffers
    /// for `largestBatch` tokens fit in memory.
    ///
    /// - Parameters:
    ///   - shape: The layer's sizes.
    ///   - router: Its routing; `E` and `k` must match `shape`.
    ///   - dispatchOptions: Block padding and capacity.
    ///   - largestBatch: The most tokens any measured batch has (sizes the buffers).
    ///   - repetitions: Timed forward passes per batch size.
    ///   - threads: OpenBLAS and routing threads.
    ///   - seed: Seed of the weights and inputs.
    ///   - availableMemory: Bytes the layer may use; ``SystemMemory/availableBytes`` by
    ///     default. `nil` skips the check.
    /// - Throws: ``MoELayerError/insufficientMemory(_:available:)`` naming the bytes needed, or ``MoELayerError`` for an invalid shape or router.
    public init(shape: MoELayerShape, router: RouterConfiguration, dispatchOptions: DispatchOptions = DispatchOptions(),
                largestBatch: Int, repetitions: Int = 5, threads: Int = 1, seed: UInt64 = 0x4D6F_454B_6974,
                availableMemory: Int? = SystemMemory.availableBytes) throws(MoELayerError) {
        try shape.validate()
        guard largestBatch >= 1 else { throw .invalidSize("tokens per batch", largestBatch) }
        do { try dispatchOptions.validate() } catch { throw .dispatch(error) }
        let memory = shape.memory(tokens: largestBatch, options: dispatchOptions)
        if let available = availableMemory, memory.total > Double(available) {
            throw .insufficientMemory(memory, available: available)
        }
        layer = try MoELayer.random(shape: shape, router: router, dispatchOptions: dispatchOptions, seed: seed)
        self.repetitions = max(1, repetitions)
        self.threads = max(1, threads)
        self.seed = seed
        self.largestBatch = largestBatch
        self.memory = memory
    }

    /// Measures every batch size in `tokenCounts`, calling `progress` before each one.
    ///
    /// - Throws: ``MoELayerError/invalidSize(_:_:)`` for a batch below 1 token,
    ///   ``MoELayerError/inconsistent(_:)`` for one above ``largestBatch``.
    public func run(tokenCounts: [Int], progress: (_ index: Int, _ tokens: Int) -> Void = { _, _ in }) throws(MoELayerError) -> [Measurement] {
        guard let largest = tokenCounts.max() else { return [] }
        if let bad = tokenCounts.first(where: { $0 < 1 }) { throw .invalidSize("tokens per batch", bad) }
        guard largest <= largestBatch else {
            throw .inconsistent("a batch of \(largest) tokens exceeds the \(largestBatch) the benchmark's memory check covered")
        }
        let d = layer.experts.hiddenSize
        let workspace = try MoELayer.Workspace(layer: layer, capacity: largest)
        var generator = SeededGenerator(seed: seed ^ 0x5EED)
        let hidden = generator.uniformFloats(count: largest * d)
        var output = [Float](repeating: 0, count: largest * d)
        return try BLAS.withThreads(threads) { () throws(MoELayerError) -> [Measurement] in
            var results: [Measurement] = []
            for (index, t) in tokenCounts.enumerated() {
                progress(index, t)
                var samples = [[Double]](repeating: [], count: MoELayer.Stage.allCases.count)
                try hidden.withUnsafeBufferPointer { (h) throws(MoELayerError) in
                    try output.withUnsafeMutableBufferPointer { (y) throws(MoELayerError) in
                        let input = UnsafeBufferPointer(rebasing: h[0..<(t * d)])
                        let out = UnsafeMutableBufferPointer(rebasing: y[0..<(t * d)])
                        for pass in 0...repetitions {
                            var clock = RecordingStageClock()
                            try layer.forward(hidden: input, into: out, workspace: workspace, threads: threads, clock: &clock)
                            if pass > 0 { for s in samples.indices { samples[s].append(clock.seconds[s]) } }
                        }
                    }
                }
                let totals = (0..<repetitions).map { r in samples.reduce(0) { $0 + $1[r] } }
                results.append(measurement(tokens: t, plan: workspace.plan, samples: samples,
                                           total: summarize(totals, callsPerSample: 1)))
            }
            return results
        }
    }

    private func measurement(tokens t: Int, plan: DispatchPlan, samples: [[Double]], total: TimingSummary) -> Measurement {
        let shape = layer.shape
        let (d, e, i) = (Double(shape.hiddenSize), Double(shape.experts), Double(shape.intermediateSize))
        let s = Double(shape.sharedWidth), tokens = Double(t)
        let kept = Double(plan.keptSlots), touched = Double(plan.counts.count { $0 > 0 })
        let hasShared = shape.sharedWidth > 0
        func work(_ stage: MoELayer.Stage) -> (flops: Double?, bytes: Double?) {
            switch stage {
            case .routerGEMM: return (2 * tokens * e * d, 4 * e * d)
            case .routing, .dispatch: return (nil, nil)
            case .gather: return (nil, 4 * 2 * kept * d)
            case .gateUp: return (4 * kept * d * i, 4 * touched * d * 2 * i)
            case .activation: return (nil, 4 * kept * 3 * i)
            case .down: return (2 * kept * i * d, 4 * touched * i * d)
            case .shared: return hasShared ? (6 * tokens * d * s, 4 * 3 * d * s) : (nil, nil)
            case .combine:
                let extra = hasShared ? tokens * d : 0
                return (2 * kept * d + extra, 4 * (kept * d + tokens * d + extra))
            }
        }
        let stages = MoELayer.Stage.allCases.enumerated().compactMap { index, stage -> StageMeasurement? in
            if stage == .shared && !hasShared { return nil }
            let (flops, bytes) = work(stage)
            return StageMeasurement(stage: stage, time: summarize(samples[index], callsPerSample: 1), flops: flops, bytes: bytes)
        }
        return Measurement(tokens: t, stages: stages, total: total, rowsPerExpert: plan.counts,
                           droppedSlots: plan.droppedSlots, paddingRows: plan.paddingRows)
    }
}

/// Reads the clock at the end of each stage.
struct RecordingStageClock: StageClock {
    var seconds = [Double](repeating: 0, count: MoELayer.Stage.allCases.count)
    private var last = monotonicSeconds()

    mutating func finished(_ stage: MoELayer.Stage) {
        let now = monotonicSeconds()
        seconds[stage.ordinal] = now - last
        last = now
    }
}
