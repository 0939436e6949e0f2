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

    /// Chunked attention: position t sees ((t − 1) mod C) + 1 keys (1, 2, …, C, 1, 2, …).
    @Test func chunkedMatchesBruteForce() {
        #expect(PositionSums.chunkPosition(0, chunk: 4) == 0)
        #expect((1...9).map { PositionSums.chunkPosition($0, chunk: 4) } == [1, 2, 3, 4, 1, 2, 3, 4, 1])
        #expect(PositionSums.chunkedPositions(0, chunk: 4) == 0)
        // A chunk size ≤ 0 (only from the Swift API; configs refuse it) means no chunking.
        #expect(PositionSums.chunkPosition(7, chunk: 0) == 7 && PositionSums.chunkPosition(7, chunk: -3) == 7)
        #expect(PositionSums.chunkedPositions(10, chunk: 0) == 55)
        for n in 1...300 {
            for c in [1, 2, 3, 7, 64, 299, 300, 301, 8_192] {
                var brute = 0, visible = 0
                for t in 1...n {
                    visible = (t - 1) % c == 0 ? 1 : visible + 1 // a new chunk starts empty
                    brute += visible
                }
                #expect(PositionSums.chunkedPositions(n, chunk: c) == Double(brute), "n \(n) C \(c)")
            }
        }
        // 1M tokens in 8K chunks: 128 whole chunks of 8,192·8,193/2 each.
        #expect(PositionSums.chunkedPositions(1 << 20, chunk: 8_192) == 128 * 33_558_528)
    }

    @Test func hugeContextsDoNotOverflow() {
        let n = 1 << 40
        #expect(PositionSums.triangle(n) == Double(n) * (Double(n) + 1) / 2)
        #expect(PositionSums.compressedEntries(n, ratio: 4).isFinite)
        #expect(PositionSums.selectedCompressedEntries(n, ratio: 4, cap: 1024) > 0)
        #expect(PositionSums.chunkedPositions(n, chunk: 8_192) == Double(n / 8_192) * 8_192 * 8_193 / 2)
    }
}
