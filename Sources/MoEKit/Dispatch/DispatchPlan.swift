//===--- DispatchPlan.swift - Token slots grouped by expert (counting sort) ===//

/// The (token, slot) pairs of a routed batch grouped by expert: per-expert counts, offsets,
/// the permutation into expert order and its inverse, built by a stable counting sort
/// (within each expert, flat slot index ascending, the order of ggml's `mul_mat_id` and of
/// vLLM's Triton `moe_align_block_size`).
///
/// Shapes: `T` tokens, `k` slots per token, `E` experts; slot `p = t·k + j` is token `t`'s
/// `j`-th choice, `indices[p]`. After ``dispatch(indices:topK:)``:
///
/// - ``routedCounts`` `[E]`: slots that chose each expert; ``counts`` `[E]`: slots each expert
///   keeps (fewer only under a capacity).
/// - ``offsets`` `[E + 1]`: exclusive prefix sums of the counts, each padded up to a multiple
///   of the block size; expert `e`'s rows are `offsets[e] ..< offsets[e] + counts[e]`, then its
///   padding up to `offsets[e + 1]`. ``paddedLength`` = `offsets[E]`.
/// - ``permutation`` `[paddedLength]`: the slot `p` at each row, or ``paddingSlot`` (−1) for a
///   padding row. Within an expert, slots are in ascending `p` (token order, then slot order):
///   the order of Hugging Face, DeepSeek's `moe_infer`, ggml and vLLM's Triton path. The token
///   of a row is `p / k`.
/// - ``positions`` `[T·k]`: the inverse, the row of each slot, or −1 for a dropped slot.
///
/// A plan keeps its buffers between calls: re-dispatching a batch no larger than the last
/// allocates nothing.
///
/// - Complexity: O(`T·k + E`) time, two passes over the indices.
public struct DispatchPlan: Sendable {
    /// The value of a padding row in ``permutation``.
    public static let paddingSlot: Int32 = -1

    /// Experts `E`.
    public let experts: Int
    /// Block padding and capacity.
    public let options: DispatchOptions
    /// Tokens `T` of the last dispatch.
    public private(set) var tokens = 0
    /// Slots per token `k` of the last dispatch.
    public private(set) var topK = 1
    /// Slots that chose each expert `[E]`, before any capacity limit.
    public private(set) var routedCounts: [Int]
    /// Slots each expert keeps `[E]`: `min(routedCounts[e], capacity)`.
    public private(set) var counts: [Int]
    /// Padded exclusive offsets `[E + 1]`; `offsets[E]` is ``paddedLength``.
    public private(set) var offsets: [Int]
    /// Backing storage of ``permutation`` and ``positions``, kept between dispatches.
    var permutationStorage: [Int32] = []
    var positionStorage: [Int32] = []
    /// Per-expert cursors and segment ends `[2E]` for the scatter pass.
    private var cursors: [Int32]
    /// Slots each expert may keep in the last dispatch, or `nil` without a capacity.
    public private(set) var capacity: Int?
    /// Slots dropped by the capacity limit in the last dispatch.
    public private(set) var droppedSlots = 0

    /// An empty plan for `experts` experts.
    ///
    /// - Throws: ``DispatchError`` if `experts` is below 1 or the options are invalid.
    public init(experts: Int, options: DispatchOptions = DispatchOptions()) throws(DispatchError) {
        guard (1...RouterConfiguration.maximumExperts).contains(experts) else { throw .invalidExpertCount(experts) }
        try options.validate()
        self.experts = experts
        self.options = options
        routedCounts = Array(repeating: 0, count: experts)
        counts = Array(repeating: 0, count: experts)
        offsets = Array(repeating: 0, count: experts + 1)
        cursors = Array(repeating: 0, count: 2 * experts)
    }

    /// Dispatches routing indices `[T, k]` (row-major), for example ``RoutingResult/indices``.
    ///
    /// - Throws: ``DispatchError`` for an index outside `0..<E`, a buffer that is not whole
    ///   rows of `k`, or more rows than Int32 positions address. On error the plan is empty.
    public init(indices: [Int32], topK: Int, experts: Int,
                options: DispatchOptions = DispatchOptions()) throws(DispatchError) {
        try self.init(experts: experts, options: options)
        try indices.withUnsafeBufferPointer { (p) throws(DispatchError) in try dispatch(indices: p, topK: topK) }
    }

    /// Slots in the last dispatch, `T·k`.
    public var slots: Int { tokens * topK }
    /// Slots kept, `Σ counts`.
    public var keptSlots: Int { slots - droppedSlots }
    /// Rows including padding, `offsets[E]`.
    public var paddedLength: Int { offsets[experts] }
    /// Padding rows, ``paddedLength`` − ``keptSlots``.
    public var paddingRows: Int { paddedLength - keptSlots }

    /// The slot `t·k + j` at each row `[paddedLength]`, or ``paddingSlot`` for a padding row.
    public var permutation: ArraySlice<Int32> { permutationStorage[0..<paddedLength] }
    /// The row of each slot `[T·k]`, or −1 where the slot was dropped.
    public var positions: ArraySlice<Int32> { positionStorage[0..<slots] }

    /// The rows of expert `e`'s kept slots (padding excluded).
    public func rows(ofExpert e: Int) -> Range<Int> { offsets[e]..<(offsets[e] + counts[e]) }

    /// Groups the slots of `indices` `[T, k]` by expert, replacing the previous dispatch.
    ///
    /// - Throws: ``DispatchError/expertOutOfRange(token:slot:expert:experts:)`` naming the
    ///   first bad index, ``DispatchError/raggedIndices(count:topK:)``,
    ///   ``DispatchError/invalidTopK(_:)`` or ``DispatchError/tooManySlots(_:)``. On error the
    ///   plan is left empty (`T = 0`).
    /// - Complexity: O(`T·k + E`); allocates only when the batch outgrows the buffers.
    public mutating func dispatch(indices: UnsafeBufferPointer<Int32>, topK k: Int) throws(DispatchError) {
        reset()
        guard k >= 1 else { throw .invalidTopK(k) }
        guard indices.count % k == 0 else { throw .raggedIndices(count: indices.count, topK: k) }
        let n = indices.count, e = experts
        let block = options.blockSize
        // Worst case rows: every slot kept and every segment padded by block − 1.
        let (padding, o1) = e.multipliedReportingOverflow(by: block - 1)
        let (maxRows, o2) = n.addingReportingOverflow(padding)
        guard !o1, !o2, maxRows <= Int(Int32.max) else { throw .tooManySlots(o1 || o2 ? Int.max : maxRows) }

        // Pass 1: count, checking every index.
        try routedCounts.withUnsafeMutableBufferPointer { (counts) throws(DispatchError) in
            for p in 0..<n {
                let x = indices[p]
                guard UInt32(bitPattern: x) < UInt32(truncatingIfNeeded: e) else {
                    counts.update(repeating: 0)
                    throw .expertOutOfRange(token: p / k, slot: p % k, expert: x, experts: e)
                }
                counts[Int(x)] &+= 1
            }
        }
        let limit = options.capacity(tokens: n / k, topK: k, experts: e) ?? n
        var total = 0
        for x in 0..<e {
            let kept = Swift.min(routedCounts[x], limit)
            counts[x] = kept
            offsets[x] = total
            total += (kept + block - 1) / block * block
        }
        offsets[e] = total
        if permutationStorage.count < total { permutationStorage = Array(repeating: Self.paddingSlot, count: total) }
        if positionStorage.count < n { positionStorage = Array(repeating: -1, count: n) }

        // Pass 2: scatter in flat order (stable), admitting at most `limit` slots per expert.
        let dropped = Self.scatter(
            indices, offsets: offsets, kept: counts, permutation: &permutationStorage,
            positions: &positionStorage, cursors: &cursors, padded: block > 1)
        tokens = n / k
        topK = k
        capacity = options.capacityFactor == nil ? nil : limit
        droppedSlots = dropped
    }

    /// Writes each slot's row and each row's slot; fills padding rows with ``paddingSlot``.
    /// Returns the number of dropped slots.
    private static func scatter(
        _ indices: UnsafeBufferPointer<Int32>, offsets: [Int], kept: [Int],
        permutation: inout [Int32], positions: inout [Int32], cursors: inout [Int32], padded: Bool
    ) -> Int {
        let e = kept.count
        var dropped = 0
        permutation.withUnsafeMutableBufferPointer { perm in
            positions.withUnsafeMutableBufferPointer { pos in
                cursors.withUnsafeMutableBufferPointer { scratch in
                    // Per expert: its next free row, and the end of its kept rows.
                    let cursor = scratch.baseAddress!, end = cursor + e
                    for x in 0..<e {
                        cursor[x] = Int32(truncatingIfNeeded: offsets[x])
                        end[x] = Int32(truncatingIfNeeded: offsets[x] + kept[x])
                    }
                    for p in indices.indices {
                        let x = Int(indices[p])
                        let row = cursor[x]
                        if row < end[x] {
                            perm[Int(row)] = Int32(truncatingIfNeeded: p)
                            pos[p] = row
                            cursor[x] = row &+ 1
                        } else {
                            pos[p] = -1
                            dropped &+= 1
                        }
                    }
                    if padded {
                        for x in 0..<e where offsets[x] + kept[x] < offsets[x + 1] {
                            perm[(offsets[x] + kept[x])..<offsets[x + 1]].update(repeating: paddingSlot)
                        }
                    }
                }
            }
        }
        return dropped
    }

    /// Empties the plan (`T = 0`), keeping its buffers.
    private mutating func reset() {
        tokens = 0
        droppedSlots = 0
        capacity = nil
        for x in 0..<experts { routedCounts[x] = 0; counts[x] = 0; offsets[x] = 0 }
        offsets[experts] = 0
    }
}
