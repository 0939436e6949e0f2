//===--- MoELayer+Forward.swift - The forward pass, stage by stage --------===//

import _MoEKitKernels

/// Receives the end of each stage of a forward pass (no-op or timing).
protocol StageClock {
    mutating func finished(_ stage: MoELayer.Stage)
}

/// A clock that records nothing: the plain forward pass.
struct NoStageClock: StageClock {
    /// Never read. It keeps the type from being empty: for an `inout` argument of an empty
    /// type Swift 6.3 passes no real address, and under ThreadSanitizer the generic callee's
    /// access check reads shadow memory for that garbage pointer and crashes (a toolchain bug;
    /// it made `forward` SEGV in the TSan test run).
    private var unused: UInt8 = 0

    @inline(__always) mutating func finished(_ stage: MoELayer.Stage) {}
}

extension MoELayer {
    /// Runs the layer on hidden states `[T, d]`, writing `[T, d]` to `output`.
    ///
    /// OpenBLAS uses ``BLAS/threads`` threads; routing uses `threads`.
    ///
    /// - Throws: ``MoELayerError`` when `T` exceeds the workspace's capacity, a buffer has the
    ///   wrong size, the workspace belongs to a layer of another shape, or a router logit is
    ///   NaN or infinite (``MoELayerError/routing(_:)``).
    /// - Complexity: `2·T·E·d` (router) + `6·T·k·d·I` (experts) + `6·T·d·I_s` (shared) FLOPs.
    public func forward(hidden: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                        workspace: Workspace, threads: Int = 1) throws(MoELayerError) {
        var clock = NoStageClock()
        try forward(hidden: hidden, into: output, workspace: workspace, threads: threads, clock: &clock)
    }

    /// ``forward(hidden:into:workspace:threads:)`` on arrays, with a workspace of its own.
    public func forward(_ hidden: [Float], threads: Int = 1) throws(MoELayerError) -> [Float] {
        let d = experts.hiddenSize
        guard hidden.count % d == 0 else {
            throw .bufferSizeMismatch(buffer: "hidden states", expected: (hidden.count / d + 1) * d, actual: hidden.count)
        }
        let tokens = hidden.count / d
        guard tokens > 0 else { return [] }
        let workspace = try Workspace(layer: self, capacity: tokens)
        var output = [Float](repeating: 0, count: hidden.count)
        try hidden.withUnsafeBufferPointer { (h) throws(MoELayerError) in
            try output.withUnsafeMutableBufferPointer { (y) throws(MoELayerError) in
                try forward(hidden: h, into: y, workspace: workspace, threads: threads)
            }
        }
        return output
    }

    func forward<Clock: StageClock>(
        hidden: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
        workspace w: Workspace, threads: Int, clock: inout Clock
    ) throws(MoELayerError) {
        let d = experts.hiddenSize, e = experts.count, k = router.configuration.topK
        let i = experts.intermediateSize
        guard w.hiddenSize == d, w.experts == e, w.topK == k, w.intermediateSize == i,
              w.sharedWidth == (sharedExperts?.intermediateSize ?? 0), w.plan.options == dispatchOptions else {
            throw .inconsistent("the workspace was made for a layer of another shape")
        }
        guard hidden.count % d == 0 else {
            throw .bufferSizeMismatch(buffer: "hidden states", expected: (hidden.count / d + 1) * d, actual: hidden.count)
        }
        let t = hidden.count / d
        guard t <= w.capacity else { throw .inconsistent("\(t) tokens exceed the workspace's capacity of \(w.capacity)") }
        guard output.count == t * d else { throw .bufferSizeMismatch(buffer: "output", expected: t * d, actual: output.count) }
        w.tokens = 0
        guard t > 0 else { return }

        let logits = UnsafeMutableBufferPointer(rebasing: w.logits[0..<(t * e)])
        let indices = UnsafeMutableBufferPointer(rebasing: w.indices[0..<(t * k)])
        let weights = UnsafeMutableBufferPointer(rebasing: w.weights[0..<(t * k)])
        do {
            try gate.logits(hidden: hidden, into: logits)
            clock.finished(.routerGEMM)
            try router.route(logits: UnsafeBufferPointer(logits), indices: indices, weights: weights, threads: threads)
            clock.finished(.routing)
        } catch {
            throw .routing(error)
        }
        do {
            try w.plan.dispatch(indices: UnsafeBufferPointer(indices), topK: k)
            clock.finished(.dispatch)
            let rows = w.plan.paddedLength
            try w.plan.gather(hidden, hiddenSize: d, into: UnsafeMutableBufferPointer(rebasing: w.rows[0..<(rows * d)]),
                              zeroPadding: false)
            clock.finished(.gather)
        } catch {
            throw .dispatch(error)
        }
        w.tokens = t

        let plan = w.plan
        experts.gateUp.withUnsafeBufferPointer { weightsGU in
            for x in 0..<e where plan.counts[x] > 0 {
                let r = plan.offsets[x]
                BLAS.multiply(w.rows.baseAddress! + r * d, weightsGU.baseAddress! + x * d * 2 * i,
                              into: w.gateUp.baseAddress! + r * 2 * i, m: plan.counts[x], n: 2 * i, k: d)
            }
        }
        clock.finished(.gateUp)
        for x in 0..<e where plan.counts[x] > 0 {
            let r = plan.offsets[x]
            moekit_swiglu(w.gateUp.baseAddress! + r * 2 * i, plan.counts[x], i, w.activations.baseAddress! + r * i)
        }
        clock.finished(.activation)
        experts.down.withUnsafeBufferPointer { weightsDown in
            for x in 0..<e where plan.counts[x] > 0 {
                let r = plan.offsets[x]
                BLAS.multiply(w.activations.baseAddress! + r * i, weightsDown.baseAddress! + x * i * d,
                              into: w.expertOutputs.baseAddress! + r * d, m: plan.counts[x], n: d, k: i)
            }
        }
        clock.finished(.down)

        var addend: UnsafeBufferPointer<Float>?
        if let shared = sharedExperts {
            let s = shared.intermediateSize
            shared.gateUp.withUnsafeBufferPointer { gu in
                shared.down.withUnsafeBufferPointer { dn in
                    BLAS.multiply(hidden.baseAddress!, gu.baseAddress!, into: w.sharedGateUp.baseAddress!, m: t, n: 2 * s, k: d)
                    moekit_swiglu(w.sharedGateUp.baseAddress!, t, s, w.sharedActivations.baseAddress!)
                    BLAS.multiply(w.sharedActivations.baseAddress!, dn.baseAddress!, into: w.sharedOutput.baseAddress!,
                                  m: t, n: d, k: s)
                }
            }
            addend = UnsafeBufferPointer(rebasing: w.sharedOutput[0..<(t * d)])
        }
        clock.finished(.shared)
        do {
            try plan.combine(UnsafeBufferPointer(rebasing: w.expertOutputs[0..<(plan.paddedLength * d)]),
                             weights: UnsafeBufferPointer(weights), hiddenSize: d, into: output, adding: addend)
        } catch {
            throw .dispatch(error)
        }
        clock.finished(.combine)
    }
}
