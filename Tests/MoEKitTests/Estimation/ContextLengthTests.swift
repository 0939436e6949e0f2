//===--- ContextLengthTests.swift - Parsing and spacing contexts ----------===//

import Testing
@testable import MoEKit

@Suite("Context lengths")
struct ContextLengthTests {
    @Test func parsesBinaryMultiples() throws {
        #expect(try ContextLength.parse("131072") == 131_072)
        #expect(try ContextLength.parse("128K") == 131_072)
        #expect(try ContextLength.parse("1m") == 1_048_576)
        #expect(try ContextLength.parse("1.5K") == 1_536)
        #expect(try ContextLength.parse("1T") == 1 << 40)
    }

    @Test func refusesBadContexts() {
        #expect(throws: EstimationError.contextOutOfRange(0)) { try ContextLength.parse("0") }
        #expect(throws: EstimationError.contextOutOfRange(-3)) { try ContextLength.parse("-3") }
        #expect(throws: EstimationError.contextOutOfRange(1 << 41)) { try ContextLength.parse("2T") }
        #expect(throws: EstimationError.invalidContext("abc")) { try ContextLength.parse("abc") }
        #expect(throws: EstimationError.invalidContext("1.3")) { try ContextLength.parse("1.3") }
        #expect(throws: EstimationError.invalidContext("")) { try ContextLength.parse("") }
        #expect(throws: EstimationError.invalidContextRange("1M..1K")) { try ContextLength.parseRange("1M..1K") }
        #expect(throws: EstimationError.invalidContextRange("1K")) { try ContextLength.parseRange("1K") }
    }

    /// 1K..1M spans ten doublings, so 11 log-spaced points are the powers of two.
    @Test func logSpacing() throws {
        let points = try ContextLength.logSpaced(1_024...1_048_576, points: 11)
        #expect(points == (10...20).map { 1 << $0 })
        #expect(try ContextLength.logSpaced(5...5, points: 3) == [5, 5, 5])
        #expect(try ContextLength.logSpaced(1...100, points: 1) == [1])
        #expect(throws: EstimationError.invalidPointCount(0)) { try ContextLength.logSpaced(1...10, points: 0) }
    }

    @Test func shortForm() {
        #expect(ContextLength.format(131_072) == "128K")
        #expect(ContextLength.format(1_048_576) == "1M")
        #expect(ContextLength.format(1_000) == "1000")
    }
}
