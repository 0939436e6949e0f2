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

    /// bf16 logits of `tokens` rows with `kernel`, split over at most `threads` workers
    /// (8 tokens each at least); throws for the first hidden value not finite in bf16.
    func bfloat16Logits(
        _ hidden: UnsafePointer<Float>, tokens: Int, into out: UnsafeMutablePointer<Float>,
        kernel: BFloat16.Kernel, threads: Int
    ) throws(RoutingError) {
        let (d, e) = (hiddenSize, experts)
        let bad: Int? = packedGate.withUnsafeBufferPointer { packed in
            let gate = packed.baseAddress!
            let workers = max(1, min(threads, tokens / 8))
            if workers == 1 {
                var row = 0
                let status = moekit_bf16_gemm(hidden, tokens, d, gate, e, out, kernel.code, &row)
                return status == MOEKIT_OK ? nil : row
            }
            let found = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
            defer { found.deallocate() }
            found.initialize(repeating: -1)
            let pointers = UnsafeSendable((hidden, gate, out, found))
            DispatchQueue.concurrentPerform(iterations: workers) { part in
                let (hidden, gate, out, found) = pointers.value
                let rows = Router.rows(ofPart: part, parts: workers, tokens: tokens)
                var row = 0
                let status = moekit_bf16_gemm(hidden + rows.lowerBound * d, rows.count, d, gate, e,
                                              out + rows.lowerBound * e, kernel.code, &row)
                if status != MOEKIT_OK { found[part] = rows.lowerBound + row }
            }
            return found.first(where: { $0 >= 0 })
        }
        if let t = bad {
            let row = UnsafeBufferPointer(start: hidden + t * d, count: d)
            let i = row.firstIndex { BFloat16.float(BFloat16.rounded([$0])[0]).isFinite == false } ?? 0
            throw .nonFiniteInput(buffer: "hidden states", index: t * d + i, value: row[i])
        }
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
        try bfloat16Logits(hidden.baseAddress!, tokens: tokens, into: logits.baseAddress!, kernel: kernel, threads: threads)
    }
}
