//===--- Router+Logits.swift - Batch routing from logits -------------------===//

import Dispatch
import _MoEKitKernels

extension Router {
    /// Routes `T` tokens from their logits.
    ///
    /// - Parameters:
    ///   - logits: Router logits `[T, E]`, row-major float32.
    ///   - indices: Receives the chosen experts `[T, k]`; each row in descending key order,
    ///     equal keys by ascending expert index.
    ///   - weights: Receives the routing weights `[T, k]`, aligned with `indices`.
    ///   - threads: Worker threads (1 by default). Results do not depend on it.
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` or
    ///   ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` for buffers of the wrong
    ///   size, ``RoutingError/nonFiniteLogit(token:expert:value:)`` for a NaN or infinite
    ///   logit, ``RoutingError/nonFiniteWeights(token:)`` when finite logits give a token
    ///   weights that are not finite. After an error the output buffers hold unspecified values.
    /// - Complexity: O(*T* · *E*) time; O(*E*) scratch per thread, on the stack when it fits
    ///   (no allocation with one thread for real routers).
    public func route(
        logits: UnsafeBufferPointer<Float>,
        indices: UnsafeMutableBufferPointer<Int32>,
        weights: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        let experts = configuration.experts, k = configuration.topK
        let tokens = try Router.tokenCount(logits: logits.count, indices: indices.count,
                                           weights: weights.count, experts: experts, topK: k)
        guard tokens > 0, let x = logits.baseAddress, let ix = indices.baseAddress,
              let w = weights.baseAddress else { return }

        let workers = Self.workerCount(threads: threads, tokens: tokens)
        var badToken: Int?
        if workers == 1 {
            badToken = routeRows(0..<tokens, logits: x, indices: ix, weights: w)
        } else {
            let found = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
            defer { found.deallocate() }
            found.initialize(repeating: -1)
            let kernel = UnsafeSendable((self, x, ix, w, found))
            DispatchQueue.concurrentPerform(iterations: workers) { part in
                let (router, x, ix, w, found) = kernel.value
                let rows = Self.rows(ofPart: part, parts: workers, tokens: tokens)
                if let t = router.routeRows(rows, logits: x, indices: ix, weights: w) { found[part] = t }
            }
            badToken = found.first(where: { $0 >= 0 })
        }
        if let t = badToken {
            let row = UnsafeBufferPointer(start: x + t * experts, count: experts)
            guard let e = row.firstIndex(where: { !$0.isFinite }) else { throw .nonFiniteWeights(token: t) }
            throw .nonFiniteLogit(token: t, expert: e, value: row[e])
        }
    }

    /// Routes `T` tokens from logits `[T, E]` and returns indices and weights `[T, k]`.
    ///
    /// - Parameters:
    ///   - logits: Router logits `[T, E]`, row-major float32.
    ///   - threads: Worker threads (1 by default). Results do not depend on it.
    ///   - availableMemory: Bytes the indices and weights may take (8·T·k);
    ///     ``SystemMemory/availableBytes`` by default, `nil` skips the check.
    /// - Throws: ``RoutingError/insufficientMemory(_:)`` before allocating when the results
    ///   would not fit, and the errors of ``route(logits:indices:weights:threads:)``.
    public func route(logits: [Float], threads: Int = 1,
                      availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) -> RoutingResult {
        let experts = configuration.experts, k = configuration.topK
        guard logits.count % experts == 0 else {
            throw .raggedBuffer(buffer: "logits", count: logits.count, rowLength: experts)
        }
        let tokens = logits.count / experts
        do { try SystemMemory.require("indices and weights", shape: [tokens, k], elementBytes: 8, available: availableMemory) }
        catch { throw .insufficientMemory(error) }
        var indices = [Int32](repeating: 0, count: tokens * k)
        var weights = [Float](repeating: 0, count: tokens * k)
        try logits.withUnsafeBufferPointer { (x) throws(RoutingError) in
            try indices.withUnsafeMutableBufferPointer { (ix) throws(RoutingError) in
                try weights.withUnsafeMutableBufferPointer { (w) throws(RoutingError) in
                    try route(logits: x, indices: ix, weights: w, threads: threads)
                }
            }
        }
        return RoutingResult(tokens: tokens, topK: k, indices: indices, weights: weights)
    }

    /// Tokens a worker routes at least: below this, starting a thread costs more than it saves.
    static let tokensPerWorker = 64

    /// Workers for `tokens` rows with `threads` threads: at most one per ``tokensPerWorker``
    /// tokens, at least 1 (any `threads`, including 0 or negative, gives a valid count).
    static func workerCount(threads: Int, tokens: Int) -> Int {
        max(1, min(threads, tokens / tokensPerWorker))
    }

    /// The rows of worker `part` of `parts` over `tokens` rows: consecutive ranges that cover
    /// `0..<tokens` exactly once, sizes differing by at most one row, every range in bounds
    /// for any `parts >= 1`, including `parts > tokens` (some ranges are then empty).
    static func rows(ofPart part: Int, parts: Int, tokens: Int) -> Range<Int> {
        // The first `extra` parts take one row more; no product can overflow.
        let base = tokens / parts, extra = tokens % parts
        let start = part * base + min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }

    /// Routes rows `rows` (a fused kernel for scored routers and for softmax and raw-logit
    /// routers without bias or group limit; scratch on the stack when it fits); returns the
    /// first row holding a non-finite logit or getting a non-finite weight, or `nil`. The
    /// row-by-row code below is what `moekit_route_softmax` reproduces bit for bit;
    /// `fused: false` runs it for every router (the tests compare the two).
    func routeRows(
        _ rows: Range<Int>,
        logits: UnsafePointer<Float>,
        indices: UnsafeMutablePointer<Int32>,
        weights: UnsafeMutablePointer<Float>,
        fused: Bool = true
    ) -> Int? {
        if !fused {
            // The row-by-row path below.
        } else if let bias = correctionBias {
            let routed = bias.withUnsafeBufferPointer { b in
                fusedParameters(bias: b.baseAddress).map {
                    routeRowsFused($0, rows, logits: logits, indices: indices, weights: weights)
                }
            }
            if let routed { return routed }
        } else if let parameters = fusedParameters(bias: nil) {
            return routeRowsFused(parameters, rows, logits: logits, indices: indices, weights: weights)
        } else if let parameters = softmaxParameters() {
            return routeRowsFused(parameters, kernel: .softmax, rows, logits: logits, indices: indices, weights: weights)
        }
        let config = configuration
        let experts = config.experts, k = config.topK
        let groups = config.groupLimit.map { $0.keptGroups < $0.groups ? $0 : nil } ?? nil
        let biased = correctionBias != nil

        // gpt-oss selects on the logits by definition. Softmax routers without a bias or group
        // limit select on the logits too: the softmax is monotonic, so the logits' order is
        // the probabilities' order, except where two different logits round to one
        // probability. To see those ties, the k + 1 largest logits are taken and the rows
        // where neighbouring probabilities could be equal are redone on probabilities.
        let logitsSelect = !biased && groups == nil && config.scoring == .logits
        let softmaxOnLogits = !biased && groups == nil && config.scoring == .softmax
        let candidates = softmaxOnLogits && k < experts ? k + 1 : k
        // Group-limited selection needs G group scores, the kept groups' keys, and room for
        // the group indices and values when G > 64 (see moekit_group_limited_topk).
        let groupScratchCount = groups.map { $0.groups * 3 + $0.keptGroups * (experts / $0.groups) } ?? 0

        // Scratch, allocated once: scores [E], keys [E], candidate values and their
        // exponentials [k + 1] each, group scratch, candidate indices [k + 1].
        let floatCount = 2 * experts + 2 * candidates + groupScratchCount
        // On the stack when it fits (8 KiB: E up to about 1000): no allocation per call.
        return Self.withScratch(floats: floatCount + candidates) { scratch in
            let scoreBuffer = scratch
            let keyBuffer = scoreBuffer + experts
            let values = keyBuffer + experts, exps = values + candidates
            let groupScratch = exps + candidates
            let chosen = UnsafeMutableRawPointer(scratch + floatCount).bindMemory(to: Int32.self, capacity: candidates)

            return correctionBias.withUnsafeBufferPointerIfPresent { bias in
                for t in rows {
                    let x = logits + t * experts
                    let out = indices + t * k, w = weights + t * k
                    var scores = x                  // each expert's unbiased score
                    var rowMax: Float = 0
                    var onLogits = logitsSelect || softmaxOnLogits

                    // 1. Selection on the logits: non-finite check, row maximum and top-k in one pass.
                    if onLogits {
                        if moekit_topk_finite(x, experts, candidates, chosen, values, &rowMax) != 0 { return t }
                        if softmaxOnLogits && !Self.probabilitiesStrictlyOrdered(values, count: candidates, rowMax: rowMax, exps: exps) {
                            onLogits = false
                        }
                    }

                    // 1'. Otherwise scores, keys (score + bias), group limit and top-k by key.
                    if !onLogits {
                        var keys = UnsafePointer(scoreBuffer)
                        var bad: Int32
                        switch config.scoring {
                        case .sigmoid:
                            bad = moekit_sigmoid(x, bias, scoreBuffer, keyBuffer, experts)
                            scores = UnsafePointer(scoreBuffer)
                            if bias != nil { keys = UnsafePointer(keyBuffer) }
                        case .sqrtSoftplus:
                            bad = moekit_sqrt_softplus(x, bias, scoreBuffer, keyBuffer, experts)
                            scores = UnsafePointer(scoreBuffer)
                            if bias != nil { keys = UnsafePointer(keyBuffer) }
                        case .softmax:
                            bad = moekit_softmax(x, scoreBuffer, experts)
                            scores = UnsafePointer(scoreBuffer)
                        case .logits:
                            bad = moekit_nonfinite(x, experts)
                            keys = x
                        }
                        if bad != 0 { return t }
                        if let bias, config.scoring == .softmax || config.scoring == .logits {
                            for e in 0..<experts { keyBuffer[e] = scores[e] + bias[e] }
                            keys = UnsafePointer(keyBuffer)
                        }
                        if let groups {
                            moekit_group_limited_topk(
                                keys, experts, groups.groups, groups.keptGroups, groups.score == .max ? 1 : 0,
                                k, chosen, values, groupScratch)
                        } else {
                            moekit_topk(keys, experts, k, chosen, values)
                        }
                    }
                    out.update(from: chosen, count: k)

                    // 2. The chosen experts' unbiased scores, into `values`.
                    if onLogits && softmaxOnLogits {
                        if config.weighting == .chosenScores && config.normalizesWeights && config.normalizationEpsilon == 0 {
                            // p_j / Σ p = e^(x_j - max) / Σ e^(x - max): the softmax denominator cancels.
                            var sum: Float = 0
                            for j in 0..<k { sum += exps[j] }
                            for j in 0..<k { w[j] = exps[j] / sum }
                            Self.scale(w, count: k, by: config.scalingFactor)
                            continue
                        }
                        let denominator = moekit_exp_sum(x, rowMax, experts)
                        for j in 0..<k { values[j] = exps[j] / denominator }
                    } else {
                        for j in 0..<k { values[j] = scores[Int(out[j])] }
                    }

                    // 3. Weights.
                    switch config.weighting {
                    case .softmaxOverChosen:
                        var largest = values[0]
                        for j in 1..<k { largest = max(largest, values[j]) }
                        moekit_softmax_weights(values, k, largest, w)
                    case .sigmoidOfChosen:
                        var sum: Float = 0
                        for j in 0..<k {
                            w[j] = Self.sigmoid(values[j])
                            sum += w[j]
                        }
                        if config.normalizesWeights {
                            let denominator = sum + config.normalizationEpsilon
                            for j in 0..<k { w[j] = w[j] / denominator }
                        }
                    case .chosenScores:
                        var sum: Float = 0
                        for j in 0..<k {
                            w[j] = values[j]
                            sum += values[j]
                        }
                        if config.normalizesWeights {
                            let denominator = sum + config.normalizationEpsilon
                            for j in 0..<k { w[j] = w[j] / denominator }
                        }
                    }
                    Self.scale(w, count: k, by: config.scalingFactor)
                    // Finite logits can still give 0/0 (every chosen score underflowed to 0 and no
                    // epsilon) or overflow (a large scaling factor): an error, never a NaN weight.
                    for j in 0..<k where !w[j].isFinite { return t }
                }
                return nil
            }
        }
    }

    /// Calls `body` with `floats` floats of scratch (also used as Int32): a stack buffer
    /// up to 2048 floats, a heap allocation above.
    @inline(__always)
    static func withScratch<R>(floats: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        if floats <= 2048 {
            var buffer = InlineArray<2048, Float>(repeating: 0)
            return withUnsafeMutablePointer(to: &buffer) { p in
                p.withMemoryRebound(to: Float.self, capacity: 2048) { body($0) }
            }
        }
        let heap = UnsafeMutablePointer<Float>.allocate(capacity: floats)
        defer { heap.deallocate() }
        return body(heap)
    }

    /// Whether the probabilities of the candidate logits `values` (descending) are strictly
    /// ordered wherever the logits differ, so that choosing on the logits chooses exactly
    /// what choosing on the float32 probabilities would. Stores e^(value - rowMax) in `exps`.
    ///
    /// Two different logits can round to one probability only if their exponentials are
    /// within about two ulps (division by the common denominator is monotonic and rounds
    /// once); a margin of 2^-20 relative keeps well clear of that. Probabilities below
    /// e^-70 relative to the largest are treated as possible ties too (they approach the
    /// subnormal range, where float spacing is coarse).
    @inline(__always)
    static func probabilitiesStrictlyOrdered(
        _ values: UnsafePointer<Float>, count: Int, rowMax: Float, exps: UnsafeMutablePointer<Float>
    ) -> Bool {
        if values[count - 1] - rowMax < -70 { return false }
        moekit_exp_shifted(values, count, rowMax, exps)
        for j in 0..<(count - 1) where values[j] != values[j + 1] {
            if !(exps[j] > exps[j + 1] * (1 + 0x1p-20)) { return false }
        }
        return true
    }

    /// `1 / (1 + e^-x)` in float32, from `e = e^-|x|` as `moekit_sigmoid` computes it:
    /// `1/(1+e)` for x ≥ 0, `e/(1+e)` below, so nothing overflows and small values keep
    /// their precision.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        let e = moekit_exp(-abs(x))
        return (x >= 0 ? 1 : e) / (1 + e)
    }

    @inline(__always)
    static func scale(_ w: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        if factor != 1 { for j in 0..<count { w[j] = w[j] * factor } }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's storage, or `nil` when there is no array.
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}

/// Carries pointers into `concurrentPerform`, whose workers write disjoint rows.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
