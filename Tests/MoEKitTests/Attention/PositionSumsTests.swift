//===--- PositionSumsTests.swift - Closed forms against brute-force loops ---===//

import Testing
@testable import MoEKit

@Suite("Closed-form position sums")
struct PositionSumsTests {
    @Test func matchBruteForce() {
        for n in 1...300 {
            #expect(PositionSums.triangle(n) == Double((1...n).reduce(0, +)))
            for cap in [1, 7, 128, 1_000] {
                #expect(PositionSums.cappedPositions(n, cap: cap) == Double((1...n).reduce(0) { $0 + min($1, cap) }))
            }
            for m in [1, 4, 128] {
                #expect(PositionSums.compressedEntries(n, ratio: m) == Double((1...n).reduce(0) { $0 + $1 / m }))
                for cap in [1, 5, 20] {
                    #expect(PositionSums.selectedCompressedEntries(n, ratio: m, cap: cap)
                            == Double((1...n).reduce(0) { $0 + min($1 / m, cap) }))
                }
            }
        }
    }

    @Test func hugeContextsDoNotOverflow() {
        let n = 1 << 40
        #expect(PositionSums.triangle(n) == Double(n) * (Double(n) + 1) / 2)
        #expect(PositionSums.compressedEntries(n, ratio: 4).isFinite)
        #expect(PositionSums.selectedCompressedEntries(n, ratio: 4, cap: 1024) > 0)
    }
}
