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
    ///   logit. After an error the output buffers hold unspecified values.
    /// - Complexity: O(*T* · *E*) time; O(*E*) scratch per thread, allocated once per call.
    public func route(
        logits: UnsafeBufferPointer<Float>,
        indices: UnsafeMutableBufferPointer<Int32>,
        weights: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        let experts = configuration.experts, k = configuration.topK
        guard logits.count % experts == 0 else {
            throw .raggedBuffer(buffer: "logits", count: logits.count, rowLength: experts)
        }
        let tokens = logits.count / experts
        guard indices.count == tokens * k else {
            throw .bufferSizeMismatch(buffer: "indices", expected: tokens * k, actual: indices.count)
        }
        guard weights.count == tokens * k else {
            throw .bufferSizeMismatch(buffer: "weights", expected: tokens * k, actual: weights.count)
        }
        guard tokens > 0, let x = logits.baseAddress, let ix = indices.baseAddress,
              let w = weights.baseAddress else { return }

        let workers = max(1, min(threads, tokens / 64))
        var badToken: Int?
        if workers == 1 {
            badToken = routeRows(0..<tokens, logits: x, indices: ix, weights: w)
        } else {
            let chunk = (tokens + workers - 1) / workers
            let found = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
            defer { found.deallocate() }
            found.initialize(repeating: -1)
            let kernel = UnsafeSendable((self, x, ix, w, found))
            DispatchQueue.concurrentPerform(iterations: workers) { part in
                let (router, x, ix, w, found) = kernel.value
                let rows = (part * chunk)..<min(tokens, (part + 1) * chunk)
                if let t = router.routeRows(rows, logits: x, indices: ix, weights: w) { found[part] = t }
            }
            badToken = found.first(where: { $0 >= 0 })
        }
        if let t = badToken {
            let row = UnsafeBufferPointer(start: x + t * experts, count: experts)
            let e = row.firstIndex(where: { !$0.isFinite }) ?? 0
            throw .nonFiniteLogit(token: t, expert: e, value: row[e])
        }
    }

    /// Routes `T` tokens from logits `[T, E]` and returns indices and weights `[T, k]`.
    ///
    /// - Throws: See ``route(logits:indices:weights:threads:)``.
    public func route(logits: [Float], threads: Int = 1) throws(RoutingError) -> RoutingResult {
        let experts = configuration.experts, k = configuration.topK
        guard logits.count % experts == 0 else {
            throw .raggedBuffer(buffer: "logits", count: logits.count, rowLength: experts)
        }
        let tokens = logits.count / experts
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

    /// Routes rows `rows` with one scratch allocation; returns the first row holding a
    /// non-finite logit, or `nil`.
    func routeRows(
        _ rows: Range<Int>,
        logits: UnsafePointer<Float>,
        indices: UnsafeMutablePointer<Int32>,
        weights: UnsafeMutablePointer<Float>
    ) -> Int? {
        let config = configuration
        let experts = config.experts, k = config.topK
        let groups = config.groupLimit.map { $0.keptGroups < $0.groups ? $0 : nil } ?? nil
        // Group-limited selection needs G group scores, the kept groups' keys, and room for
        // the group indices and values when G > 64 (see moekit_group_limited_topk).
        let groupScratchCount = groups.map { $0.groups * 3 + $0.keptGroups * (experts / $0.groups) } ?? 0

        // Scratch, allocated once: scores [E], keys [E], top values [k], group scratch.
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: 2 * experts + k + groupScratchCount)
        defer { floats.deallocate() }
        let scoreBuffer = floats, keyBuffer = floats + experts
        let topValues = floats + 2 * experts, groupScratch = topValues + k

        // Softmax routers without a bias select on the logits: the softmax is monotonic, so
        // the order is the probabilities' order, and only the chosen experts' probabilities
        // are ever computed. gpt-oss selects on the logits anyway. (Not with a top-2-sum
        // group score: a sum of logits does not order groups as a sum of probabilities.)
        let logitsSelect = correctionBias == nil
            && (config.scoring == .softmax || config.scoring == .logits)
            && (groups == nil || groups!.score == .max)

        return correctionBias.withUnsafeBufferPointerIfPresent { bias in
            for t in rows {
                let x = logits + t * experts
                let out = indices + t * k, w = weights + t * k
                var scores = x
                var rowMax: Float = 0
                var selectsOnLogits = logitsSelect

                while true {
                    if selectsOnLogits && groups == nil {
                        // Non-finite check, row maximum and top-k in one pass.
                        if moekit_topk_finite(x, experts, k, out, topValues, &rowMax) != 0 { return t }
                    } else {
                        // 1. Scores and selection keys.
                        var keys = UnsafePointer(scoreBuffer)
                        var bad: Int32
                        switch config.scoring {
                        case _ where selectsOnLogits:
                            bad = moekit_row_max(x, experts, &rowMax)
                            keys = x
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
                            if let bias {
                                for e in 0..<experts { keyBuffer[e] = scoreBuffer[e] + bias[e] }
                                keys = UnsafePointer(keyBuffer)
                            }
                        case .logits:
                            bad = moekit_nonfinite(x, experts)
                            keys = x
                            if let bias {
                                for e in 0..<experts { keyBuffer[e] = x[e] + bias[e] }
                                keys = UnsafePointer(keyBuffer)
                            }
                        }
                        if bad != 0 { return t }

                        // 2-3. Top-k by key (ties: lower expert index), within the best
                        // groups when group-limited.
                        if let groups {
                            moekit_group_limited_topk(
                                keys, experts, groups.groups, groups.keptGroups, groups.score == .max ? 1 : 0,
                                k, out, topValues, groupScratch)
                        } else {
                            moekit_topk(keys, experts, k, out, topValues)
                        }
                    }
                    // A chosen probability can underflow (a logit 80 below the row's
                    // maximum): distinct logits then share the probability 0, an exact tie
                    // the reference code breaks by index. Redo such rows on probabilities.
                    if selectsOnLogits && config.scoring == .softmax && topValues[k - 1] - rowMax < -80 {
                        selectsOnLogits = false
                        continue
                    }
                    break
                }

                // 4. Weights from the unbiased scores (`topValues` is scratch from here on).
                for j in 0..<k { topValues[j] = scores[Int(out[j])] }
                switch config.weighting {
                case .softmaxOverChosen:
                    var largest = topValues[0]
                    for j in 1..<k { largest = max(largest, topValues[j]) }
                    moekit_softmax_weights(topValues, k, largest, w)
                case .chosenScores where config.scoring == .softmax && selectsOnLogits:
                    if config.normalizesWeights && config.normalizationEpsilon == 0 {
                        // p_j / Σ p = e^(x_j - x_0) / Σ e^(x - x_0): the row's denominator cancels.
                        moekit_softmax_weights(topValues, k, topValues[0], w)
                    } else {
                        let denominator = moekit_exp_sum(x, rowMax, experts)
                        var sum: Float = 0
                        for j in 0..<k {
                            let p = moekit_exp(topValues[j] - rowMax) / denominator
                            w[j] = p
                            sum += p
                        }
                        if config.normalizesWeights {
                            let d = sum + config.normalizationEpsilon
                            for j in 0..<k { w[j] = w[j] / d }
                        }
                    }
                case .chosenScores:
                    var sum: Float = 0
                    for j in 0..<k {
                        w[j] = topValues[j]
                        sum += topValues[j]
                    }
                    if config.normalizesWeights {
                        let denominator = sum + config.normalizationEpsilon
                        for j in 0..<k { w[j] = w[j] / denominator }
                    }
                }
                if config.scalingFactor != 1 {
                    for j in 0..<k { w[j] = w[j] * config.scalingFactor }
                }
            }
            return nil
        }
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
