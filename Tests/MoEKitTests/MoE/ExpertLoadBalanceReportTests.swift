//===--- ExpertLoadBalanceReportTests.swift - A measured load from a file ---===//
//
// The round trip through a real `moebench balance --format json` report is in
// Tests/moebenchTests/ServeCommandTests.swift (it needs the built tool).
//
//===----------------------------------------------------------------------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Expert load from a balance report")
struct ExpertLoadBalanceReportTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("moekit-balance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// Writes `text` to a fresh file and returns its URL.
    func file(_ text: String, name: String = "report.json") throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func refusal(_ text: String) throws -> ExpertLoadError? {
        let url = try file(text)
        do { _ = try ExpertLoad.measured(balanceReport: url); return nil } catch { return error }
    }

    /// The shape `moebench balance --format json` writes: `tokens` at the top, `load.counts`
    /// inside `load`, other keys ignored.
    @Test func probabilitiesAreCountsOverTokens() throws {
        let url = try file("""
            {"tokens": 8, "batches": 1, "load": {"counts": [8, 4, 2, 2, 0, 0], "imbalance": 2.67, "cv": 1.0},
             "router": {"experts": 6, "topk": 2}}
            """)
        let load = try ExpertLoad.measured(balanceReport: url)
        let p = try #require(load.selectionProbabilities)
        #expect(p == [1, 0.5, 0.25, 0.25, 0, 0])
        #expect(p.reduce(0, +) == 2)
        // Expected distinct experts for 2 tokens: 1 + 0.75 + 2 · 0.4375 = 2.625.
        #expect(abs(load.expectedDistinctExperts(tokens: 2, experts: 6, topK: 2) - 2.625) < 1e-15)
        #expect(load == (try ExpertLoad.measured(selectionCounts: [8, 4, 2, 2, 0, 0], tokens: 8)))
    }

    /// Counts written as JSON floats with integral values are counts.
    @Test func integralFloatsAreAccepted() throws {
        let load = try ExpertLoad.measured(balanceReport: try file(#"{"tokens": 3, "load": {"counts": [3.0, 1e0, 2]}}"#))
        let p = try #require(load.selectionProbabilities)
        #expect(p == [1, 1.0 / 3, 2.0 / 3])
    }

    @Test func missingKeys() throws {
        let noTokens = try file(#"{"load": {"counts": [1, 2]}}"#)
        #expect(throws: ExpertLoadError.unreadableReport(path: noTokens.path, reason: "no integer 'tokens'")) {
            try ExpertLoad.measured(balanceReport: noTokens)
        }
        let noLoad = try file(#"{"tokens": 4}"#, name: "no-load.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: noLoad.path, reason: "no 'load.counts' array")) {
            try ExpertLoad.measured(balanceReport: noLoad)
        }
        let noCounts = try file(#"{"tokens": 4, "load": {"imbalance": 1}}"#, name: "no-counts.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: noCounts.path, reason: "no 'load.counts' array")) {
            try ExpertLoad.measured(balanceReport: noCounts)
        }
        let textTokens = try file(#"{"tokens": "4", "load": {"counts": [1]}}"#, name: "text-tokens.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: textTokens.path, reason: "no integer 'tokens'")) {
            try ExpertLoad.measured(balanceReport: textTokens)
        }
        let textCounts = try file(#"{"tokens": 4, "load": {"counts": ["1", "2"]}}"#, name: "text-counts.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: textCounts.path, reason: "'load.counts[0]' is not an integer count")) {
            try ExpertLoad.measured(balanceReport: textCounts)
        }
    }

    @Test func notJSON() throws {
        let text = try file("tokens: 4")
        #expect(throws: ExpertLoadError.unreadableReport(path: text.path, reason: "not a JSON object: line 1, column 1: unexpected 't', expected a value")) {
            try ExpertLoad.measured(balanceReport: text)
        }
        let array = try file("[1, 2, 3]", name: "array.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: array.path, reason: "not a JSON object: the top level is not an object")) {
            try ExpertLoad.measured(balanceReport: array)
        }
        let empty = try file("", name: "empty.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: empty.path, reason: "not a JSON object: line 1, column 1: the file is empty")) {
            try ExpertLoad.measured(balanceReport: empty)
        }
    }

    @Test func missingFile() {
        let url = dir.appendingPathComponent("absent.json")
        #expect(throws: ExpertLoadError.unreadableReport(path: url.path, reason: "cannot read file (no such file)")) {
            try ExpertLoad.measured(balanceReport: url)
        }
        // A directory is not a report either.
        #expect(throws: ExpertLoadError.self) { try ExpertLoad.measured(balanceReport: dir) }
    }

    @Test func nonIntegerCounts() throws {
        for bad in ["2.5", "1e300", "-0.5"] {
            let error = try refusal(#"{"tokens": 10, "load": {"counts": [1, \#(bad)]}}"#)
            guard case .unreadableReport(_, let reason)? = error else {
                Issue.record("count \(bad): \(String(describing: error))")
                continue
            }
            #expect(reason == "'load.counts[1]' is not an integer count", "\(bad): \(reason)")
        }
    }

    @Test func countsOutOfRange() throws {
        #expect(try refusal(#"{"tokens": 10, "load": {"counts": [3, 11, 2]}}"#)
                == .countOutOfRange(expert: 1, count: 11, tokens: 10))
        #expect(try refusal(#"{"tokens": 10, "load": {"counts": [3, 2, -1]}}"#)
                == .countOutOfRange(expert: 2, count: -1, tokens: 10))
        #expect(try refusal(#"{"tokens": 0, "load": {"counts": [0]}}"#) == .nonPositiveTokens(0))
        #expect(try refusal(#"{"tokens": -4, "load": {"counts": [0]}}"#) == .nonPositiveTokens(-4))
        #expect(try refusal(#"{"tokens": 4, "load": {"counts": []}}"#) == .empty)
        // Exactly `tokens` is allowed: that expert took every token.
        #expect(try refusal(#"{"tokens": 10, "load": {"counts": [10, 0]}}"#) == nil)
    }

    /// `tokens` must be an integer like the counts; 10.5 is not a token count, nor is `true`.
    @Test func nonIntegerTokens() throws {
        let fraction = try refusal(#"{"tokens": 10.5, "load": {"counts": [1, 2]}}"#)
        #expect(fraction != nil)
        let boolean = try refusal(#"{"tokens": true, "load": {"counts": [1, 0]}}"#)
        #expect(boolean != nil)
        let booleanCounts = try refusal(#"{"tokens": 2, "load": {"counts": [true, false]}}"#)
        #expect(booleanCounts != nil)
    }

    /// The description names the file and the reason on one line.
    @Test func description() {
        let e = ExpertLoadError.unreadableReport(path: "/tmp/x.json", reason: "no integer 'tokens'")
        #expect(e.description == "expert load file '/tmp/x.json': no integer 'tokens'")
    }
}
