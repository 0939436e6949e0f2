//===--- RouterGEMM+BFloat16.swift - The bf16 router GEMM -----------------===//

import Dispatch
import _MoEKitKernels

extension RouterGEMM {
    /// Checks that the packed bf16 gate (experts padded to 32, hidden pairs to 16: at least
    /// 2·E·d bytes) and the bf16 copy made while packing fit in `available` bytes.
    static func requirePackedMemory(experts: Int, hiddenSize: Int, available: Int?) throws(RoutingError) {
        let words = moekit_bf16_packed_words(experts, hiddenSize)
        let (bits, overflow) = experts.multipliedReportingOverflow(by: hiddenSize)
        let bytes = words > 0 && words <= Int.max / 8 && !overflow && bits <= Int.max / 4 ? 4 * words + 2 * bits : nil
        if bytes == nil || bytes! > available ?? Int.max {
            throw .insufficientMemory(InsufficientMemory(
                buffer: "bf16 gate weight (packed)", shape: [experts, hiddenSize], elementBytes: 2,
                bytes: bytes, available: available ?? Int.max))
        }
    }

    /// The bf16 gate `[E, d]` packed for the kernel (panels of 32 experts, hidden pairs
    /// interleaved), after checking that the packed copy's size is representable.
    static func packed(_ bits: [UInt16], experts: Int, hiddenSize: Int) throws(RoutingError) -> [UInt32] {
        let words = moekit_bf16_packed_words(experts, hiddenSize)
        guard words > 0, words <= Int.max / 4 else {
            throw .insufficientMemory(InsufficientMemory(
                buffer: "bf16 gate weight", shape: [experts, hiddenSize], elementBytes: 2, bytes: nil, available: Int.max))
        }
        return [UInt32](unsafeUninitializedCapacity: words) { out, initialized in
            bits.withUnsafeBufferPointer { b in
                _ = moekit_bf16_pack_gate(b.baseAddress!, experts, hiddenSize, out.baseAddress!)
            }
            initialized = words
        }
    }

    /// Hidden states `[T, d]` as the bf16 kernel takes them: float32 (rounded to bf16 as
    /// they are packed) or bf16 bits (used as they are).
    enum KernelHidden {
        case float32(UnsafePointer<Float>)
        case bfloat16(UnsafePointer<UInt16>)

        /// Runs the kernel on rows `rows`; returns the first row (from the start of `rows`)
        /// not finite in bf16, or `nil`.
        func run(rows: Range<Int>, d: Int, gate: UnsafePointer<UInt32>, experts: Int,
                 into out: UnsafeMutablePointer<Float>, kernel: BFloat16.Kernel) -> Int? {
            var row = 0
            let status = switch self {
            case .float32(let h):
                moekit_bf16_gemm(h + rows.lowerBound * d, rows.count, d, gate, experts,
                                 out + rows.lowerBound * experts, kernel.code, &row)
            case .bfloat16(let h):
                moekit_bf16_gemm_bf16_hidden(h + rows.lowerBound * d, rows.count, d, gate, experts,
                                             out + rows.lowerBound * experts, kernel.code, &row)
            }
            return status == MOEKIT_OK ? nil : row
        }

        /// The error for the first value of row `t` that is not finite in bf16.
        func nonFiniteError(row t: Int, d: Int) -> RoutingError {
            switch self {
            case .float32(let h):
                let row = UnsafeBufferPointer(start: h + t * d, count: d)
                let i = row.firstIndex { BFloat16.float(BFloat16.rounded([$0])[0]).isFinite == false } ?? 0
                return .nonFiniteInput(buffer: "hidden states", index: t * d + i, value: row[i])
            case .bfloat16(let h):
                let row = UnsafeBufferPointer(start: h + t * d, count: d)
                let i = row.firstIndex { !BFloat16.float($0).isFinite } ?? 0
                return .nonFiniteInput(buffer: "bf16 hidden states", index: t * d + i, value: BFloat16.float(row[i]))
            }
        }
    }

    /// bf16 logits of `tokens` rows with `kernel`, split over at most `threads` workers
    /// (8 tokens each at least); throws for the first hidden value not finite in bf16.
    func bfloat16Logits(
        _ hidden: KernelHidden, tokens: Int, into out: UnsafeMutablePointer<Float>,
        kernel: BFloat16.Kernel, threads: Int
    ) throws(RoutingError) {
        let (d, e) = (hiddenSize, experts)
        let bad: Int? = packedGate.withUnsafeBufferPointer { packed in
            let gate = packed.baseAddress!
            let workers = max(1, min(threads, tokens / 8))
            if workers == 1 {
                return hidden.run(rows: 0..<tokens, d: d, gate: gate, experts: e, into: out, kernel: kernel)
            }
            let found = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
            defer { found.deallocate() }
            found.initialize(repeating: -1)
            let pointers = UnsafeSendable((hidden, gate, out, found))
            DispatchQueue.concurrentPerform(iterations: workers) { part in
                let (hidden, gate, out, found) = pointers.value
                let rows = Router.rows(ofPart: part, parts: workers, tokens: tokens)
                if let row = hidden.run(rows: rows, d: d, gate: gate, experts: e, into: out, kernel: kernel) {
                    found[part] = rows.lowerBound + row
                }
            }
            return found.first(where: { $0 >= 0 })
        }
        if let t = bad { throw hidden.nonFiniteError(row: t, d: d) }
        addGateBias(out, tokens: tokens)
    }

    /// Logits with a chosen bf16 kernel (tests run both kernels on one machine).
    func logits(
        hidden: UnsafeBufferPointer<Float>, into logits: UnsafeMutableBufferPointer<Float>,
        bfloat16Kernel kernel: BFloat16.Kernel, threads: Int = 1
    ) throws(RoutingError) {
        precondition(weightFormat == .bfloat16 && kernel.isAvailable)
        precondition(hidden.count % hiddenSize == 0 && logits.count == hidden.count / hiddenSize * experts)
        let tokens = hidden.count / hiddenSize
        guard tokens > 0 else { return }
        try bfloat16Logits(.float32(hidden.baseAddress!), tokens: tokens, into: logits.baseAddress!, kernel: kernel, threads: threads)
    }
}
