//===--- RouterGEMM+BFloat16Hidden.swift - Hidden states already in bf16 --===//

import _MoEKitKernels

extension RouterGEMM {
    /// Computes logits `[T, E]` from hidden states already in bf16: `[T, d]` raw bf16 bit
    /// patterns (the upper 16 bits of each float32, as `ml_dtypes.bfloat16` arrays and
    /// bf16 checkpoints store them).
    ///
    /// ``WeightFormat/bfloat16``: the bits go to the bf16 kernel as they are (no rounding),
    /// with the same kernels, sums and thread split as ``logits(hidden:into:threads:)``; a
    /// token's logits are bit-identical to those of float32 hidden states that round to the
    /// same bits. ``WeightFormat/float32``: bf16 → float32 is exact, so the hidden states are
    /// widened into a float32 copy `[T, d]` (4·T·d bytes, checked against
    /// ``SystemMemory/availableBytes``) and multiplied in float32 exactly as
    /// ``logits(hidden:into:threads:)`` would multiply those values.
    ///
    /// - Parameter threads: As in ``logits(hidden:into:threads:)``; results are identical
    ///   for any count.
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` or
    ///   ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` for wrong sizes;
    ///   ``RoutingError/nonFiniteInput(buffer:index:value:)`` (buffer `"bf16 hidden states"`)
    ///   for the first NaN or infinite value (the logits are then unspecified); float32 gate:
    ///   ``RoutingError/insufficientMemory(_:)`` before allocating the widened copy.
    /// - Complexity: `2·T·E·d` FLOPs. bf16 gate: no allocation with one thread.
    public func logits(
        bfloat16Hidden hidden: UnsafeBufferPointer<UInt16>, into logits: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        try self.logits(bfloat16Hidden: hidden, into: logits, threads: threads, availableMemory: SystemMemory.availableBytes)
    }

    /// Computes logits `[T, E]` from bf16 hidden states `[T, d]` into a new array, after
    /// checking that it (and, for a float32 gate, the widened hidden states) fits in memory.
    ///
    /// - Parameters:
    ///   - hidden: Hidden states `[T, d]`, row-major bf16 bits.
    ///   - threads: As in ``logits(bfloat16Hidden:into:threads:)``.
    ///   - availableMemory: Bytes the logits (4·T·E) and, for a float32 gate, the widened
    ///     copy (4·T·d) may take; ``SystemMemory/availableBytes`` by default, `nil` skips
    ///     the check.
    /// - Throws: The errors of ``logits(bfloat16Hidden:into:threads:)``, and
    ///   ``RoutingError/insufficientMemory(_:)`` before allocating.
    public func logits(bfloat16Hidden hidden: [UInt16], threads: Int = 1,
                       availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) -> [Float] {
        guard hidden.count % hiddenSize == 0 else {
            throw .raggedBuffer(buffer: "bf16 hidden states", count: hidden.count, rowLength: hiddenSize)
        }
        let tokens = hidden.count / hiddenSize
        let bytes: Int
        do { bytes = try SystemMemory.require("logits", shape: [tokens, experts], elementBytes: 4, available: availableMemory) }
        catch { throw .insufficientMemory(error) }
        var out = [Float](repeating: 0, count: tokens * experts)
        try hidden.withUnsafeBufferPointer { (h) throws(RoutingError) in
            try out.withUnsafeMutableBufferPointer { (l) throws(RoutingError) in
                try self.logits(bfloat16Hidden: h, into: l, threads: threads, availableMemory: availableMemory.map { $0 - bytes })
            }
        }
        return out
    }

    /// ``logits(bfloat16Hidden:into:threads:)`` with the memory the widened copy may take.
    func logits(
        bfloat16Hidden hidden: UnsafeBufferPointer<UInt16>, into logits: UnsafeMutableBufferPointer<Float>,
        threads: Int, availableMemory: Int?
    ) throws(RoutingError) {
        let tokens = try tokenCount(hidden: hidden.count, logits: logits.count, buffer: "bf16 hidden states")
        guard tokens > 0, let h = hidden.baseAddress, let out = logits.baseAddress else { return }
        if weightFormat == .bfloat16 {
            // Adds the gate bias itself.
            return try bfloat16Logits(.bfloat16(h), tokens: tokens, into: out, kernel: BFloat16.Kernel.selected,
                                      threads: threads)
        }
        var index = 0
        if moekit_bf16_first_nonfinite(h, hidden.count, &index) == MOEKIT_NONFINITE {
            throw .nonFiniteInput(buffer: "bf16 hidden states", index: index, value: BFloat16.float(hidden[index]))
        }
        do {
            try SystemMemory.require("bf16 hidden states widened to float32", shape: [tokens, hiddenSize],
                                     elementBytes: 4, available: availableMemory)
        } catch { throw .insufficientMemory(error) }
        let widened = [Float](unsafeUninitializedCapacity: hidden.count) { buffer, initialized in
            for i in 0..<hidden.count { buffer[i] = BFloat16.float(hidden[i]) }
            initialized = hidden.count
        }
        try widened.withUnsafeBufferPointer { (w) throws(RoutingError) in
            try self.logits(hidden: w, into: logits, threads: threads)
        }
    }

    /// bf16-hidden logits with a chosen bf16 kernel (tests run every kernel on one machine).
    func logits(
        bfloat16Hidden hidden: UnsafeBufferPointer<UInt16>, into logits: UnsafeMutableBufferPointer<Float>,
        bfloat16Kernel kernel: BFloat16.Kernel, threads: Int = 1
    ) throws(RoutingError) {
        precondition(weightFormat == .bfloat16 && kernel.isAvailable)
        precondition(hidden.count % hiddenSize == 0 && logits.count == hidden.count / hiddenSize * experts)
        let tokens = hidden.count / hiddenSize
        guard tokens > 0 else { return }
        try bfloat16Logits(.bfloat16(hidden.baseAddress!), tokens: tokens, into: logits.baseAddress!, kernel: kernel,
                           threads: threads)
    }
}

extension Router {
    /// The whole router from bf16 hidden states: logits through `gemm`
    /// (``RouterGEMM/logits(bfloat16Hidden:into:threads:)``), then routing.
    ///
    /// - Parameters:
    ///   - hidden: Hidden states `[T, d]`, row-major bf16 bits.
    ///   - gemm: The router's linear layer; its expert count must match the router's.
    ///   - logits: Workspace `[T, E]` that receives the logits.
    ///   - indices: Receives the chosen experts `[T, k]`.
    ///   - weights: Receives the weights `[T, k]`.
    ///   - threads: Worker threads for the GEMM and the routing step.
    /// - Throws: ``RoutingError`` for mismatched sizes or non-finite values.
    /// - Complexity: No allocation with one thread and a bf16 gate.
    public func route(
        bfloat16Hidden hidden: UnsafeBufferPointer<UInt16>,
        gemm: RouterGEMM,
        logits: UnsafeMutableBufferPointer<Float>,
        indices: UnsafeMutableBufferPointer<Int32>,
        weights: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        try requireGate(gemm)
        try gemm.logits(bfloat16Hidden: hidden, into: logits, threads: threads)
        try route(logits: UnsafeBufferPointer(logits), indices: indices, weights: weights, threads: threads)
    }

    /// The whole router on arrays: bf16 hidden `[T, d]` → indices and weights `[T, k]`.
    ///
    /// - Parameter availableMemory: Bytes the logits `[T, E]`, the results `[T, k]` and (float32
    ///   gate) the widened hidden states may take together; ``SystemMemory/availableBytes``
    ///   by default, `nil` skips the check.
    /// - Throws: ``RoutingError/insufficientMemory(_:)`` before allocating, and the errors of
    ///   ``RouterGEMM/logits(bfloat16Hidden:threads:availableMemory:)`` and
    ///   ``route(logits:threads:availableMemory:)``.
    public func route(bfloat16Hidden hidden: [UInt16], gemm: RouterGEMM, threads: Int = 1,
                      availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) -> RoutingResult {
        try requireGate(gemm)
        let logits = try gemm.logits(bfloat16Hidden: hidden, threads: threads, availableMemory: availableMemory)
        return try route(logits: logits, threads: threads, availableMemory: availableMemory.map { $0 - 4 * logits.count })
    }
}
