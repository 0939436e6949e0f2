//===--- RouterGEMM.swift - Hidden states to router logits ----------------===//

/// The router's linear layer: logits `[T, E]` = hidden `[T, d]` · gateᵀ, plus an optional
/// per-expert linear bias (gpt-oss has one), in float32 on OpenBLAS.
///
/// The gate weight comes in `[E, d]`, one row per expert, the `nn.Linear` layout that
/// checkpoints store. A transposed copy `[d, E]` is made once at initialisation: OpenBLAS's
/// `sgemm` runs much faster on it for small batches (measured on one Zen 4 core, d = 7168,
/// E = 384: 54 vs 34 GFLOP/s at T = 16, 68 vs 50 at T = 32, 81 vs 69 at T = 64, 92 vs 88 at
/// T = 256), while `sgemv` is fastest on the original layout (up to 3 tokens, one call
/// each). Memory: `2·E·d` floats.
///
/// With ``WeightFormat/bfloat16`` the gate is stored once in bf16 (2·E·d bytes, packed for
/// the kernel), the hidden states are rounded to bf16 per tile (or come in bf16:
/// ``logits(bfloat16Hidden:into:threads:)``), and products are summed in float32 by MoEKit's
/// own kernel: AMX-BF16 tiles or AVX512-BF16 (`vdpbf16ps`) where the
/// CPU has them, a portable vector kernel elsewhere (``BFloat16/Kernel``).
///
/// > Note: the Hugging Face DeepSeek-V3 and Kimi routers run this GEMM in float32 as here;
/// > Mixtral, Qwen3 and gpt-oss run it in bf16. Exact index comparisons with another
/// > framework should therefore start from the same logits.
public struct RouterGEMM: Sendable {
    /// How the gate weight is stored and multiplied.
    public enum WeightFormat: String, CaseIterable, Hashable, Sendable {
        /// float32 gate, OpenBLAS `sgemm`/`sgemv` (2 copies: `[E, d]` and `[d, E]`, 8·E·d bytes).
        case float32 = "fp32"
        /// bf16 gate (2·E·d bytes) and bf16-rounded hidden states, float32 accumulation
        /// (products of two bf16 values are exact in float32). AVX512-BF16 and portable
        /// kernels: each logit is the float32 sum over the hidden index pairs `(2p, 2p + 1)`,
        /// in ascending `p`, of the odd product then the even one; AMX sums 16 pairs per
        /// step in its own order. Per kernel, a token's logits are the same for every batch
        /// size, batch split and thread count.
        case bfloat16 = "bf16"
    }

    /// Hidden size `d`.
    public let hiddenSize: Int
    /// Number of experts `E`.
    public let experts: Int
    /// How the gate is stored.
    public let weightFormat: WeightFormat
    /// Gate weight `[E, d]`, row-major, for ``WeightFormat/float32``; empty for
    /// ``WeightFormat/bfloat16`` (the gate then exists only in bf16).
    public let gate: [Float]
    /// Optional linear bias `[E]` added to every logit row (it also affects weights, unlike
    /// a router's correction bias).
    public let gateBias: [Float]?
    /// The gate transposed, `[d, E]` row-major (for `sgemm` on batches above
    /// ``largestMatrixVectorBatch``).
    let gateTransposed: [Float]
    /// The bf16 gate packed for `moekit_bf16_gemm` (``WeightFormat/bfloat16``), else empty.
    let packedGate: [UInt32]

    /// Batches up to this size run one `sgemv` per token on the `[E, d]` gate.
    static let largestMatrixVectorBatch = 3

    /// Creates the router GEMM, checking shapes and that every weight is finite.
    ///
    /// - Parameters:
    ///   - gate: Gate weight `[E, d]`, row-major float32.
    ///   - weightFormat: ``WeightFormat/float32`` (default) keeps it, with a transposed copy;
    ///     ``WeightFormat/bfloat16`` rounds it once to bf16 (to nearest, ties to even) and
    ///     keeps only that.
    /// - Throws: ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` when `gate`
    ///   does not hold `E·d` values or `gateBias` not `E`;
    ///   ``RoutingError/nonFiniteInput(buffer:index:value:)`` for a NaN or infinite weight
    ///   (in bf16: also a finite float32 above the largest bf16, which rounds to infinity);
    ///   ``RoutingError/insufficientMemory(_:)`` when the stored copies would not fit in
    ///   `availableMemory` bytes (``SystemMemory/availableBytes`` by default; `nil` skips the check).
    /// - Complexity: O(*E* · *d*) to validate and convert the weights.
    public init(gate: [Float], experts: Int, hiddenSize: Int, gateBias: [Float]? = nil,
                weightFormat: WeightFormat = .float32,
                availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) {
        try Self.checkShape(count: gate.count, experts: experts, hiddenSize: hiddenSize)
        try Self.checkBias(gateBias, experts: experts)
        if weightFormat == .float32 {
            do { try SystemMemory.require("transposed gate weight", shape: [hiddenSize, experts], elementBytes: 4, available: availableMemory) }
            catch { throw .insufficientMemory(error) }
        } else {
            try Self.requirePackedMemory(experts: experts, hiddenSize: hiddenSize, available: availableMemory)
        }
        if let bad = gate.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteInput(buffer: "gate weight", index: bad, value: gate[bad])
        }
        self.hiddenSize = hiddenSize
        self.experts = experts
        self.weightFormat = weightFormat
        self.gateBias = gateBias
        switch weightFormat {
        case .float32:
            self.gate = gate
            self.gateTransposed = Self.transposed(gate, rows: experts, columns: hiddenSize)
            self.packedGate = []
        case .bfloat16:
            let bits = BFloat16.rounded(gate)
            if let bad = BFloat16.firstNonFinite(bits) {
                throw .nonFiniteInput(buffer: "gate weight (rounds to infinity in bf16)", index: bad, value: gate[bad])
            }
            self.gate = []
            self.gateTransposed = []
            self.packedGate = try Self.packed(bits, experts: experts, hiddenSize: hiddenSize)
        }
    }

    /// Creates a bf16 router GEMM from a gate already in bf16: `[E, d]` raw bf16 bit patterns
    /// (the upper 16 bits of each float32, as checkpoints and `ml_dtypes.bfloat16` arrays
    /// store them).
    ///
    /// - Throws: ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` when
    ///   `bfloat16Gate` does not hold `E·d` values or `gateBias` not `E`;
    ///   ``RoutingError/nonFiniteInput(buffer:index:value:)`` for a NaN or infinite bf16
    ///   weight or bias; ``RoutingError/insufficientMemory(_:)`` when the packed copy
    ///   (2·E·d bytes) would not fit.
    /// - Complexity: O(*E* · *d*).
    public init(bfloat16Gate: [UInt16], experts: Int, hiddenSize: Int, gateBias: [Float]? = nil,
                availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) {
        try Self.checkShape(count: bfloat16Gate.count, experts: experts, hiddenSize: hiddenSize)
        try Self.checkBias(gateBias, experts: experts)
        try Self.requirePackedMemory(experts: experts, hiddenSize: hiddenSize, available: availableMemory)
        if let bad = BFloat16.firstNonFinite(bfloat16Gate) {
            throw .nonFiniteInput(buffer: "bf16 gate weight", index: bad, value: BFloat16.float(bfloat16Gate[bad]))
        }
        self.hiddenSize = hiddenSize
        self.experts = experts
        self.weightFormat = .bfloat16
        self.gateBias = gateBias
        self.gate = []
        self.gateTransposed = []
        self.packedGate = try Self.packed(bfloat16Gate, experts: experts, hiddenSize: hiddenSize)
    }

    /// Checks that a gate of `count` values is `[experts, hiddenSize]`.
    private static func checkShape(count: Int, experts: Int, hiddenSize: Int) throws(RoutingError) {
        guard experts >= 1 else { throw .invalidExpertCount(experts) }
        guard hiddenSize >= 1 else { throw .invalidParameter("hidden size", Double(hiddenSize)) }
        let (weights, overflow) = experts.multipliedReportingOverflow(by: hiddenSize)
        guard !overflow, count == weights else {
            throw .bufferSizeMismatch(buffer: "gate weight", expected: overflow ? Int.max : weights, actual: count)
        }
    }

    private static func checkBias(_ gateBias: [Float]?, experts: Int) throws(RoutingError) {
        guard let bias = gateBias else { return }
        guard bias.count == experts else {
            throw .bufferSizeMismatch(buffer: "gate bias", expected: experts, actual: bias.count)
        }
        if let bad = bias.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteInput(buffer: "gate bias", index: bad, value: bias[bad])
        }
    }

    /// `matrix` `[rows, columns]` transposed to `[columns, rows]`.
    static func transposed(_ matrix: [Float], rows: Int, columns: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: matrix.count) { out, initialized in
            matrix.withUnsafeBufferPointer { m in
                if let source = m.baseAddress, let destination = out.baseAddress {
                    transpose(source, rows: rows, columns: columns, into: destination, destinationStride: rows)
                }
            }
            initialized = matrix.count
        }
    }

    /// FLOPs of the GEMM for `tokens` tokens: `2·T·E·d`.
    public func flops(tokens: Int) -> Double {
        2 * Double(tokens) * Double(experts) * Double(hiddenSize)
    }

    /// Computes logits `[T, E]` from hidden states `[T, d]`.
    ///
    /// float32: non-finite hidden values are not checked here; they make that token's
    /// logits non-finite, which routing reports. bf16: the kernel sees every hidden value
    /// as it rounds it and reports the first one that is not finite in bf16.
    ///
    /// - Parameter threads: bf16: worker threads over the tokens (at most one per 8
    ///   tokens; one token never leaves the calling thread); results are identical for any
    ///   count. float32: ignored, OpenBLAS uses ``BLAS/threads``.
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` or
    ///   ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` for wrong sizes;
    ///   bf16: ``RoutingError/nonFiniteInput(buffer:index:value:)`` naming the first hidden
    ///   value that is NaN or infinite in bf16 (the logits are then unspecified).
    /// - Complexity: `2·T·E·d` FLOPs. float32 on OpenBLAS (one `sgemv` per token on the
    ///   `[E, d]` gate when `T <= 3`, one `sgemm` on the `[d, E]` copy otherwise); bf16 on
    ///   MoEKit's kernel (T = 1: one pass over the bf16 gate). No allocation with one thread.
    public func logits(
        hidden: UnsafeBufferPointer<Float>, into logits: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        let tokens = try tokenCount(hidden: hidden.count, logits: logits.count, buffer: "hidden states")
        guard tokens > 0, let h = hidden.baseAddress, let out = logits.baseAddress else { return }
        if weightFormat == .bfloat16 {
            // Adds the gate bias itself.
            return try bfloat16Logits(.float32(h), tokens: tokens, into: out, kernel: BFloat16.Kernel.selected, threads: threads)
        }
        if tokens <= Self.largestMatrixVectorBatch {
            // One sgemv per token: below 4 tokens sgemm does worse than streaming the gate
            // once per token (2 tokens: 810 µs vs 2 × 175 µs at d = 7168, E = 384).
            gate.withUnsafeBufferPointer { w in
                for t in 0..<tokens {
                    BLAS.multiplyTransposed(h + t * hiddenSize, w.baseAddress!, into: out + t * experts,
                                            m: 1, n: experts, k: hiddenSize)
                }
            }
        } else {
            gateTransposed.withUnsafeBufferPointer { w in
                BLAS.multiply(h, w.baseAddress!, into: out, m: tokens, n: experts, k: hiddenSize)
            }
        }
        addGateBias(out, tokens: tokens)
    }

    /// Adds the linear gate bias, if any, to every logit row.
    func addGateBias(_ out: UnsafeMutablePointer<Float>, tokens: Int) {
        if let bias = gateBias {
            for t in 0..<tokens {
                let row = out + t * experts
                for e in 0..<experts { row[e] += bias[e] }
            }
        }
    }
}

extension RouterGEMM {
    /// Computes logits `[T, E]` from hidden states `[T, d]` into a new array, after checking
    /// that it fits in memory.
    ///
    /// - Parameters:
    ///   - hidden: Hidden states `[T, d]`, row-major float32.
    ///   - threads: As in ``logits(hidden:into:threads:)``.
    ///   - availableMemory: Bytes the logits may take (4·T·E); ``SystemMemory/availableBytes``
    ///     by default, `nil` skips the check.
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` when `hidden` is not
    ///   whole rows of `d`; ``RoutingError/insufficientMemory(_:)`` before allocating when
    ///   the logits would not fit (`T` and `E` are usually read from files: a `[100000, 1]`
    ///   hidden file and a `[100000, 1]` gate make 40 GB of logits).
    public func logits(hidden: [Float], threads: Int = 1,
                       availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) -> [Float] {
        guard hidden.count % hiddenSize == 0 else {
            throw .raggedBuffer(buffer: "hidden states", count: hidden.count, rowLength: hiddenSize)
        }
        let tokens = hidden.count / hiddenSize
        do { try SystemMemory.require("logits", shape: [tokens, experts], elementBytes: 4, available: availableMemory) }
        catch { throw .insufficientMemory(error) }
        var out = [Float](repeating: 0, count: tokens * experts)
        try hidden.withUnsafeBufferPointer { (h) throws(RoutingError) in
            try out.withUnsafeMutableBufferPointer { (l) throws(RoutingError) in try logits(hidden: h, into: l, threads: threads) }
        }
        return out
    }
}

extension RouterGEMM {
    /// T for hidden states `[T, d]` of `hidden` values (`buffer` names them in errors) and
    /// logits `[T, E]` of `logits` values; throws when either does not fit.
    func tokenCount(hidden: Int, logits: Int, buffer: String) throws(RoutingError) -> Int {
        guard hidden % hiddenSize == 0 else {
            throw .raggedBuffer(buffer: buffer, count: hidden, rowLength: hiddenSize)
        }
        let tokens = hidden / hiddenSize
        guard logits == tokens * experts else {
            throw .bufferSizeMismatch(buffer: "logits", expected: tokens * experts, actual: logits)
        }
        return tokens
    }
}

extension Router {
    /// Throws unless `gemm` has one gate row per expert of this router.
    func requireGate(_ gemm: RouterGEMM) throws(RoutingError) {
        guard gemm.experts == configuration.experts else {
            throw .bufferSizeMismatch(buffer: "gate weight rows", expected: configuration.experts, actual: gemm.experts)
        }
    }

    /// The whole router: logits from hidden states through `gemm`, then routing.
    ///
    /// - Parameters:
    ///   - hidden: Hidden states `[T, d]`, row-major float32.
    ///   - gemm: The router's linear layer; its expert count must match the router's.
    ///   - logits: Workspace `[T, E]` that receives the logits (no hidden allocation).
    ///   - indices: Receives the chosen experts `[T, k]`.
    ///   - weights: Receives the weights `[T, k]`.
    ///   - threads: Worker threads for the routing step (and for a bf16 GEMM).
    /// - Throws: ``RoutingError`` for mismatched sizes or non-finite values.
    /// - Complexity: No allocation with one thread (T = 1 included: the GEMV and the
    ///   routing run on the calling thread).
    public func route(
        hidden: UnsafeBufferPointer<Float>,
        gemm: RouterGEMM,
        logits: UnsafeMutableBufferPointer<Float>,
        indices: UnsafeMutableBufferPointer<Int32>,
        weights: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        try requireGate(gemm)
        try gemm.logits(hidden: hidden, into: logits, threads: threads)
        try route(logits: UnsafeBufferPointer(logits), indices: indices, weights: weights, threads: threads)
    }

    /// The whole router on arrays: hidden `[T, d]` → indices and weights `[T, k]`.
    ///
    /// - Parameter availableMemory: Bytes the logits `[T, E]` and the results `[T, k]` may
    ///   take together; ``SystemMemory/availableBytes`` by default, `nil` skips the check.
    /// - Throws: ``RoutingError/insufficientMemory(_:)`` before allocating, and the errors of
    ///   ``RouterGEMM/logits(hidden:availableMemory:)`` and ``route(logits:threads:availableMemory:)``.
    public func route(hidden: [Float], gemm: RouterGEMM, threads: Int = 1,
                      availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) -> RoutingResult {
        try requireGate(gemm)
        let logits = try gemm.logits(hidden: hidden, threads: threads, availableMemory: availableMemory)
        return try route(logits: logits, threads: threads, availableMemory: availableMemory.map { $0 - 4 * logits.count })
    }
}
