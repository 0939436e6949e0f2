//===--- DispatchPlan+Combine.swift - Rows into expert order and back -----===//

import _MoEKitKernels

extension DispatchPlan {
    /// Copies each kept slot's hidden state into expert order: row `r` of `rows`
    /// `[paddedLength, d]` is `hidden[permutation[r] / k]`; padding rows are zero, or left as
    /// they are when `zeroPadding` is `false` (for consumers that never read them, such as
    /// ``MoELayer``, whose GEMMs run on the kept rows only).
    ///
    /// - Parameters:
    ///   - hidden: Hidden states `[T, d]` of the dispatched batch.
    ///   - hiddenSize: `d`.
    ///   - rows: Output `[paddedLength, d]`.
    ///   - zeroPadding: Whether to write zeros into padding rows.
    /// - Throws: ``DispatchError`` if `d` is below 1 or a buffer has the wrong size.
    /// - Complexity: O(`paddedLength·d`) copies.
    public func gather(
        _ hidden: UnsafeBufferPointer<Float>, hiddenSize: Int, into rows: UnsafeMutableBufferPointer<Float>,
        zeroPadding: Bool = true
    ) throws(DispatchError) {
        let d = hiddenSize
        guard d >= 1 else { throw .invalidHiddenSize(d) }
        try Self.check("hidden states", hidden.count, rows: tokens, d)
        try Self.check("gathered rows", rows.count, rows: paddedLength, d)
        guard let src = hidden.baseAddress, let dst = rows.baseAddress else { return }
        let k = topK
        permutationStorage.withUnsafeBufferPointer { perm in
            for r in 0..<paddedLength {
                let p = perm[r]
                if p < 0 {
                    if zeroPadding { (dst + r * d).update(repeating: 0, count: d) }
                } else {
                    (dst + r * d).update(from: src + Int(p) / k * d, count: d)
                }
            }
        }
    }

    /// Combines expert outputs back into token order:
    /// `output[t] = Σ_j weights[t, j] · expertOutputs[positions[t·k + j]] (+ addend[t])`.
    ///
    /// The sum runs in float32 over `j = 0, 1, …, k − 1` from zero, then adds `addend`, so the
    /// result is deterministic and the same on every CPU. A dropped slot contributes zero (a
    /// token whose slots were all dropped gets `addend[t]`, or zero: its residual path is the
    /// caller's).
    ///
    /// - Parameters:
    ///   - expertOutputs: Expert outputs in expert order `[paddedLength, d]` (padding rows are
    ///     never read).
    ///   - weights: Routing weights `[T, k]`, aligned with the dispatched indices.
    ///   - hiddenSize: `d`.
    ///   - output: Output `[T, d]`.
    ///   - addend: Optional `[T, d]` added after the weighted sum (shared experts' output).
    /// - Throws: ``DispatchError`` if `d` is below 1 or a buffer has the wrong size.
    /// - Complexity: O(`T·k·d`) multiply-adds.
    public func combine(
        _ expertOutputs: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, hiddenSize: Int,
        into output: UnsafeMutableBufferPointer<Float>, adding addend: UnsafeBufferPointer<Float>? = nil
    ) throws(DispatchError) {
        let d = hiddenSize
        guard d >= 1 else { throw .invalidHiddenSize(d) }
        try Self.check("expert outputs", expertOutputs.count, rows: paddedLength, d)
        try Self.check("routing weights", weights.count, rows: slots, 1)
        try Self.check("output", output.count, rows: tokens, d)
        if let addend { try Self.check("addend", addend.count, rows: tokens, d) }
        guard tokens > 0 else { return }
        positionStorage.withUnsafeBufferPointer { pos in
            moekit_combine(expertOutputs.baseAddress, pos.baseAddress!, weights.baseAddress!,
                           addend?.baseAddress, tokens, topK, d, output.baseAddress!)
        }
    }

    /// ``combine(_:weights:hiddenSize:into:adding:)`` on arrays: `[T, d]` out.
    public func combine(_ expertOutputs: [Float], weights: [Float], hiddenSize d: Int) throws(DispatchError) -> [Float] {
        guard d >= 1 else { throw .invalidHiddenSize(d) }
        let (count, overflow) = tokens.multipliedReportingOverflow(by: d)
        guard !overflow else { throw .bufferTooLarge(buffer: "output", rows: tokens, hiddenSize: d) }
        var output = [Float](repeating: 0, count: count)
        try expertOutputs.withUnsafeBufferPointer { (o) throws(DispatchError) in
            try weights.withUnsafeBufferPointer { (w) throws(DispatchError) in
                try output.withUnsafeMutableBufferPointer { (y) throws(DispatchError) in
                    try combine(o, weights: w, hiddenSize: d, into: y)
                }
            }
        }
        return output
    }

    /// ``gather(_:hiddenSize:into:zeroPadding:)`` on arrays: `[paddedLength, d]` out.
    public func gather(_ hidden: [Float], hiddenSize d: Int) throws(DispatchError) -> [Float] {
        guard d >= 1 else { throw .invalidHiddenSize(d) }
        let (count, overflow) = paddedLength.multipliedReportingOverflow(by: d)
        guard !overflow else { throw .bufferTooLarge(buffer: "gathered rows", rows: paddedLength, hiddenSize: d) }
        var rows = [Float](repeating: 0, count: count)
        try hidden.withUnsafeBufferPointer { (h) throws(DispatchError) in
            try rows.withUnsafeMutableBufferPointer { (r) throws(DispatchError) in
                try gather(h, hiddenSize: d, into: r)
            }
        }
        return rows
    }

    /// Checks that a buffer holds `rows × width` elements, without overflowing.
    private static func check(_ name: String, _ actual: Int, rows: Int, _ width: Int) throws(DispatchError) {
        let (expected, overflow) = rows.multipliedReportingOverflow(by: width)
        guard !overflow else { throw .bufferTooLarge(buffer: name, rows: rows, hiddenSize: width) }
        guard actual == expected else { throw .bufferSizeMismatch(buffer: name, expected: expected, actual: actual) }
    }
}
