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
/// > Note: the Hugging Face DeepSeek-V3 and Kimi routers run this GEMM in float32 as here;
/// > Mixtral, Qwen3 and gpt-oss run it in bf16. Exact index comparisons with another
/// > framework should therefore start from the same logits.
public struct RouterGEMM: Sendable {
    /// Hidden size `d`.
    public let hiddenSize: Int
    /// Number of experts `E`.
    public let experts: Int
    /// Gate weight `[E, d]`, row-major.
    public let gate: [Float]
    /// Optional linear bias `[E]` added to every logit row (it also affects weights, unlike
    /// a router's correction bias).
    public let gateBias: [Float]?
    /// The gate transposed, `[d, E]` row-major (for `sgemm` on batches above
    /// ``largestMatrixVectorBatch``).
    let gateTransposed: [Float]

    /// Batches up to this size run one `sgemv` per token on the `[E, d]` gate.
    static let largestMatrixVectorBatch = 3

    /// Creates the router GEMM, checking shapes and that every weight is finite.
    ///
    /// - Throws: ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` when `gate`
    ///   does not hold `E·d` values or `gateBias` not `E`;
    ///   ``RoutingError/nonFiniteInput(buffer:index:value:)`` for a NaN or infinite weight;
    ///   ``RoutingError/insufficientMemory(_:)`` when the transposed copy would not fit in
    ///   `availableMemory` bytes (``SystemMemory/availableBytes`` by default; `nil` skips the check).
    /// - Complexity: O(*E* · *d*) to validate the weights.
    public init(gate: [Float], experts: Int, hiddenSize: Int, gateBias: [Float]? = nil,
                availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) {
        guard experts >= 1 else { throw .invalidExpertCount(experts) }
        guard hiddenSize >= 1 else { throw .invalidParameter("hidden size", Double(hiddenSize)) }
        let (weights, overflow) = experts.multipliedReportingOverflow(by: hiddenSize)
        guard !overflow, gate.count == weights else {
            throw .bufferSizeMismatch(buffer: "gate weight", expected: overflow ? Int.max : weights, actual: gate.count)
        }
        do { try SystemMemory.require("transposed gate weight", shape: [hiddenSize, experts], elementBytes: 4, available: availableMemory) }
        catch { throw .insufficientMemory(error) }
        if let bad = gate.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteInput(buffer: "gate weight", index: bad, value: gate[bad])
        }
        if let bias = gateBias {
            guard bias.count == experts else {
                throw .bufferSizeMismatch(buffer: "gate bias", expected: experts, actual: bias.count)
            }
            if let bad = bias.firstIndex(where: { !$0.isFinite }) {
                throw .nonFiniteInput(buffer: "gate bias", index: bad, value: bias[bad])
            }
        }
        self.hiddenSize = hiddenSize
        self.experts = experts
        self.gate = gate
        self.gateBias = gateBias
        self.gateTransposed = Self.transposed(gate, rows: experts, columns: hiddenSize)
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
    /// Non-finite hidden values are not checked here: they make that token's logits
    /// non-finite, which routing reports.
    ///
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` or
    ///   ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` for wrong sizes.
    /// - Complexity: `2·T·E·d` FLOPs on OpenBLAS (one `sgemv` per token on the `[E, d]` gate
    ///   when `T <= 3`, one `sgemm` on the `[d, E]` copy otherwise); no allocation.
    public func logits(
        hidden: UnsafeBufferPointer<Float>, into logits: UnsafeMutableBufferPointer<Float>
    ) throws(RoutingError) {
        guard hidden.count % hiddenSize == 0 else {
            throw .raggedBuffer(buffer: "hidden states", count: hidden.count, rowLength: hiddenSize)
        }
        let tokens = hidden.count / hiddenSize
        guard logits.count == tokens * experts else {
            throw .bufferSizeMismatch(buffer: "logits", expected: tokens * experts, actual: logits.count)
        }
        guard tokens > 0, let h = hidden.baseAddress, let out = logits.baseAddress else { return }
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
    ///   - availableMemory: Bytes the logits may take (4·T·E); ``SystemMemory/availableBytes``
    ///     by default, `nil` skips the check.
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` when `hidden` is not
    ///   whole rows of `d`; ``RoutingError/insufficientMemory(_:)`` before allocating when
    ///   the logits would not fit (`T` and `E` are usually read from files: a `[100000, 1]`
    ///   hidden file and a `[100000, 1]` gate make 40 GB of logits).
    public func logits(hidden: [Float], availableMemory: Int? = SystemMemory.availableBytes) throws(RoutingError) -> [Float] {
        guard hidden.count % hiddenSize == 0 else {
            throw .raggedBuffer(buffer: "hidden states", count: hidden.count, rowLength: hiddenSize)
        }
        let tokens = hidden.count / hiddenSize
        do { try SystemMemory.require("logits", shape: [tokens, experts], elementBytes: 4, available: availableMemory) }
        catch { throw .insufficientMemory(error) }
        var out = [Float](repeating: 0, count: tokens * experts)
        try hidden.withUnsafeBufferPointer { (h) throws(RoutingError) in
            try out.withUnsafeMutableBufferPointer { (l) throws(RoutingError) in try logits(hidden: h, into: l) }
        }
        return out
    }
}

extension Router {
    /// The whole router: logits from hidden states through `gemm`, then routing.
    ///
    /// - Parameters:
    ///   - hidden: Hidden states `[T, d]`, row-major float32.
    ///   - gemm: The router's linear layer; its expert count must match the router's.
    ///   - logits: Workspace `[T, E]` that receives the logits (no hidden allocation).
    ///   - indices: Receives the chosen experts `[T, k]`.
    ///   - weights: Receives the weights `[T, k]`.
    ///   - threads: Worker threads for the routing step.
    /// - Throws: ``RoutingError`` for mismatched sizes or non-finite values.
    public func route(
        hidden: UnsafeBufferPointer<Float>,
        gemm: RouterGEMM,
        logits: UnsafeMutableBufferPointer<Float>,
        indices: UnsafeMutableBufferPointer<Int32>,
        weights: UnsafeMutableBufferPointer<Float>,
        threads: Int = 1
    ) throws(RoutingError) {
        guard gemm.experts == configuration.experts else {
            throw .bufferSizeMismatch(buffer: "gate weight rows", expected: configuration.experts, actual: gemm.experts)
        }
        try gemm.logits(hidden: hidden, into: logits)
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
        guard gemm.experts == configuration.experts else {
            throw .bufferSizeMismatch(buffer: "gate weight rows", expected: configuration.experts, actual: gemm.experts)
        }
        let logits = try gemm.logits(hidden: hidden, availableMemory: availableMemory)
        return try route(logits: logits, threads: threads, availableMemory: availableMemory.map { $0 - 4 * logits.count })
    }
}
