//===--- DispatchPlanTests.swift - Counting-sort dispatch, padding, capacity ===//

import MoEKit
import Testing

/// A plain reference: sort the slots by (expert, flat index), keep the first `capacity` of
/// each expert, pad each segment to the block size.
private func referencePlan(indices: [Int32], topK k: Int, experts e: Int, block: Int, capacity: Int?)
    -> (counts: [Int], kept: [Int], offsets: [Int], permutation: [Int32], positions: [Int32]) {
    var counts = [Int](repeating: 0, count: e)
    for x in indices { counts[Int(x)] += 1 }
    let kept = counts.map { min($0, capacity ?? Int.max) }
    var offsets = [0]
    for x in 0..<e { offsets.append(offsets[x] + (kept[x] + block - 1) / block * block) }
    var permutation = [Int32](repeating: -1, count: offsets[e])
    var positions = [Int32](repeating: -1, count: indices.count)
    let order = indices.indices.sorted { (indices[$0], $0) < (indices[$1], $1) }
    var seen = [Int](repeating: 0, count: e)
    for p in order {
        let x = Int(indices[p])
        if seen[x] < kept[x] {
            permutation[offsets[x] + seen[x]] = Int32(p)
            positions[p] = Int32(offsets[x] + seen[x])
        }
        seen[x] += 1
    }
    return (counts, kept, offsets, permutation, positions)
}

@Suite("Dispatch plan")
struct DispatchPlanTests {
    // Tokens 0, 1, 2 choose experts [2, 0], [0, 1], [2, 0]: flat slots p = 0...5.
    let indices: [Int32] = [2, 0, 0, 1, 2, 0]

    @Test("Hand-worked counts, offsets, permutation and inverse")
    func handWorked() throws {
        let plan = try DispatchPlan(indices: indices, topK: 2, experts: 3)
        #expect(plan.routedCounts == [3, 1, 2] && plan.counts == [3, 1, 2])
        #expect(plan.offsets == [0, 3, 4, 6])
        // Expert 0 gets slots 1, 2, 5 (token order); expert 1 slot 3; expert 2 slots 0, 4.
        #expect(Array(plan.permutation) == [1, 2, 5, 3, 0, 4])
        #expect(Array(plan.positions) == [4, 0, 1, 3, 5, 2])
        #expect(plan.droppedSlots == 0 && plan.capacity == nil && plan.paddingRows == 0)
        #expect(plan.rows(ofExpert: 2) == 4..<6)
    }

    @Test("Block padding rounds each segment up and marks padding rows")
    func blockPadding() throws {
        let plan = try DispatchPlan(indices: indices, topK: 2, experts: 3, options: .init(blockSize: 4))
        #expect(plan.offsets == [0, 4, 8, 12] && plan.paddedLength == 12 && plan.paddingRows == 6)
        #expect(Array(plan.permutation) == [1, 2, 5, -1, 3, -1, -1, -1, 0, 4, -1, -1])
        #expect(Array(plan.positions) == [8, 0, 1, 4, 9, 2])
    }

    @Test("Capacity keeps the earliest slots and counts the dropped ones")
    func capacityDrops() throws {
        // capacity = ceil(1.0 · 6 / 3) = 2: expert 0 keeps slots 1 and 2, drops slot 5.
        let plan = try DispatchPlan(indices: indices, topK: 2, experts: 3, options: .init(capacityFactor: 1.0))
        #expect(plan.capacity == 2 && plan.droppedSlots == 1 && plan.keptSlots == 5)
        #expect(plan.routedCounts == [3, 1, 2] && plan.counts == [2, 1, 2])
        #expect(Array(plan.permutation) == [1, 2, 3, 0, 4])
        #expect(Array(plan.positions) == [3, 0, 1, 2, 4, -1])
        // ceil(0.5 · 6 / 3) = 1 each: 3 kept, 3 dropped.
        let tight = try DispatchPlan(indices: indices, topK: 2, experts: 3, options: .init(capacityFactor: 0.5))
        #expect(tight.capacity == 1 && tight.droppedSlots == 3 && tight.counts == [1, 1, 1])
    }

    @Test("Random batches equal the sorting reference", arguments: [
        (1, 1, 1, 1, nil), (7, 2, 5, 1, nil), (64, 8, 384, 1, nil), (100, 4, 16, 8, nil),
        (333, 8, 64, 16, 1.25), (50, 6, 7, 3, 0.3), (1, 3, 3, 64, 2.0), (0, 8, 384, 16, 1.0),
    ] as [(Int, Int, Int, Int, Double?)])
    func randomAgainstReference(tokens: Int, topK: Int, experts: Int, block: Int, factor: Double?) throws {
        var g = SeededGenerator(seed: UInt64(tokens * 1000 + experts))
        // Skewed choices (repeats allowed within a token: dispatch does not require distinct experts).
        let indices = (0..<(tokens * topK)).map { _ in Int32(Int(g.next() % UInt64(experts * experts)).squareRootFloor() ) }
        let options = DispatchOptions(blockSize: block, capacityFactor: factor)
        let plan = try DispatchPlan(indices: indices, topK: topK, experts: experts, options: options)
        let ref = referencePlan(indices: indices, topK: topK, experts: experts, block: block,
                                capacity: options.capacity(tokens: tokens, topK: topK, experts: experts))
        #expect(plan.routedCounts == ref.counts && plan.counts == ref.kept && plan.offsets == ref.offsets)
        #expect(Array(plan.permutation) == ref.permutation && Array(plan.positions) == ref.positions)
        #expect(plan.droppedSlots == ref.counts.reduce(0, +) - ref.kept.reduce(0, +))
    }

    @Test("Re-dispatching a smaller batch gives what a fresh plan gives")
    func reuse() throws {
        var g = SeededGenerator(seed: 9)
        let big = (0..<(512 * 8)).map { _ in Int32(g.next() % 64) }
        let small = (0..<(3 * 8)).map { _ in Int32(g.next() % 64) }
        var plan = try DispatchPlan(experts: 64, options: .init(blockSize: 4))
        try big.withUnsafeBufferPointer { try plan.dispatch(indices: $0, topK: 8) }
        try small.withUnsafeBufferPointer { try plan.dispatch(indices: $0, topK: 8) }
        let fresh = try DispatchPlan(indices: small, topK: 8, experts: 64, options: .init(blockSize: 4))
        #expect(plan.offsets == fresh.offsets && plan.counts == fresh.counts)
        #expect(plan.permutation == fresh.permutation && plan.positions == fresh.positions)
        #expect(plan.tokens == 3 && plan.slots == 24)
    }

    @Test("Bad input throws errors that name the problem")
    func badInput() throws {
        #expect(throws: DispatchError.expertOutOfRange(token: 1, slot: 1, expert: 3, experts: 3)) {
            try DispatchPlan(indices: [0, 1, 2, 3], topK: 2, experts: 3)
        }
        #expect(throws: DispatchError.expertOutOfRange(token: 0, slot: 1, expert: -1, experts: 3)) {
            try DispatchPlan(indices: [0, -1], topK: 2, experts: 3)
        }
        #expect(throws: DispatchError.raggedIndices(count: 5, topK: 2)) {
            try DispatchPlan(indices: [0, 1, 2, 0, 1], topK: 2, experts: 3)
        }
        #expect(throws: DispatchError.invalidTopK(0)) { try DispatchPlan(indices: [], topK: 0, experts: 3) }
        #expect(throws: DispatchError.invalidExpertCount(0)) { try DispatchPlan(experts: 0) }
        #expect(throws: DispatchError.invalidBlockSize(0)) { try DispatchPlan(experts: 4, options: .init(blockSize: 0)) }
        for bad in [0, -1, Double.nan, .infinity] {
            do {
                _ = try DispatchPlan(experts: 4, options: .init(capacityFactor: bad))
                Issue.record("capacity factor \(bad) was accepted")
            } catch {
                guard case .invalidCapacityFactor(let f) = error else { Issue.record("wrong error \(error)"); continue }
                #expect(f == bad || (f.isNaN && bad.isNaN))
            }
        }
        #expect(DispatchError.invalidCapacityFactor(0).description == "capacity factor must be finite and above 0, got 0.0")
        #expect(DispatchError.expertOutOfRange(token: 1, slot: 1, expert: 3, experts: 3).description
            == "expert index 3 of token 1, slot 1 is outside 0..<3")
        // A failed dispatch leaves the plan empty, not half-written.
        var plan = try DispatchPlan(indices: indices, topK: 2, experts: 3)
        #expect(throws: DispatchError.self) { try [Int32(0), 7].withUnsafeBufferPointer { try plan.dispatch(indices: $0, topK: 2) } }
        #expect(plan.tokens == 0 && plan.routedCounts == [0, 0, 0] && plan.paddedLength == 0)
    }
}

extension Int {
    /// ⌊√self⌋ for small non-negative values (a skewed index generator).
    fileprivate func squareRootFloor() -> Int { Int(Double(self).squareRoot()) }
}
