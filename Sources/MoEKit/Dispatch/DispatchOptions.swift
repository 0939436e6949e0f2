//===--- DispatchOptions.swift - Block padding and expert capacity --------===//

import Foundation

/// How ``DispatchPlan`` lays out each expert's segment: padding to a block size, and an
/// optional capacity that drops slots beyond it.
///
/// - Block padding (vLLM's `moe_align_block_size`,
///   `vllm/model_executor/layers/fused_moe/moe_align_block_size.py`): each expert's segment
///   is rounded up to a multiple of ``blockSize`` rows, as GPU grouped-GEMM kernels need.
///   Padding rows hold the sentinel ``DispatchPlan/paddingSlot``.
/// - Capacity (Switch Transformer, arXiv 2101.03961; GShard,
///   arXiv 2006.16668): each expert keeps at most
///   `ceil(capacityFactor · T·k / E)` slots. Slots are admitted in flat order `t·k + j`
///   (earlier tokens win, then lower slots); the rest are dropped, counted in
///   ``DispatchPlan/droppedSlots`` and contribute zero in ``DispatchPlan/combine(_:weights:hiddenSize:into:adding:)``.
///   DeepSeek-V3 drops no tokens: leave ``capacityFactor`` `nil`.
public struct DispatchOptions: Hashable, Sendable {
    /// Rows each expert's segment is padded to a multiple of; 1 means no padding.
    public var blockSize: Int
    /// The capacity factor, or `nil` for no capacity limit (no slot is ever dropped).
    public var capacityFactor: Double?

    /// Options for a dispatch; the defaults pad nothing and drop nothing.
    public init(blockSize: Int = 1, capacityFactor: Double? = nil) {
        self.blockSize = blockSize
        self.capacityFactor = capacityFactor
    }

    /// Checks the block size (at least 1) and the capacity factor (finite, above 0).
    public func validate() throws(DispatchError) {
        guard blockSize >= 1 else { throw .invalidBlockSize(blockSize) }
        if let f = capacityFactor, !(f.isFinite && f > 0) { throw .invalidCapacityFactor(f) }
    }

    /// Slots each expert keeps for a batch of `tokens` tokens: `ceil(capacityFactor · T·k / E)`,
    /// at most `T·k`; `nil` without a capacity factor.
    public func capacity(tokens: Int, topK: Int, experts: Int) -> Int? {
        guard let f = capacityFactor, experts > 0 else { return nil }
        let slots = Double(tokens) * Double(topK)
        let c = (f * slots / Double(experts)).rounded(.up)
        let (exact, overflow) = tokens.multipliedReportingOverflow(by: topK)
        if c >= slots && !overflow { return exact }
        return Int(Swift.min(c, 0x1p62))
    }
}
