//===--- ExpertLoad+BalanceReport.swift - A measured load from a file -----===//

import Foundation

extension ExpertLoad {
    /// The largest balance report accepted, bytes.
    public static let maximumReportBytes = 64 << 20

    /// A measured load read from a `moebench balance --format json` report: its `load.counts`
    /// (`[E]`, selections per expert over all batches) and `tokens`.
    ///
    /// - Throws: ``ExpertLoadError`` when the file cannot be read, is larger than
    ///   ``maximumReportBytes`` (checked before reading), is not JSON (with the line and
    ///   column), lacks the keys, or holds counts out of range.
    public static func measured(balanceReport url: URL) throws(ExpertLoadError) -> ExpertLoad {
        let path = url.relativePath
        let root: [String: JSONValue]
        do {
            let bytes = try InputFile.contents(of: url.path, limit: maximumReportBytes)
            root = try JSONValue.decodeObject(bytes)
        } catch let failure as InputFile.Failure {
            throw .unreadableReport(path: path, reason: failure.reason)
        } catch let error as JSONValue.SyntaxError {
            throw .unreadableReport(path: path, reason: "not a JSON object: \(error.message)")
        } catch {
            throw .unreadableReport(path: path, reason: "\(error)")
        }
        func integer(_ value: JSONValue?) -> Int? {
            guard case .number(let d)? = value, d.isFinite, d == d.rounded(), abs(d) < 9e15 else { return nil }
            return Int(d)
        }
        guard let tokens = integer(root["tokens"]) else {
            throw .unreadableReport(path: path, reason: "no integer 'tokens'")
        }
        guard case .object(let load)? = root["load"], case .array(let counts)? = load["counts"] else {
            throw .unreadableReport(path: path, reason: "no 'load.counts' array")
        }
        guard counts.count <= RouterConfiguration.maximumExperts else {
            throw .unreadableReport(path: path, reason: "\(counts.count) experts is more than \(RouterConfiguration.maximumExperts)")
        }
        var values: [Int] = []
        values.reserveCapacity(counts.count)
        for (e, c) in counts.enumerated() {
            guard let n = integer(c) else { throw .unreadableReport(path: path, reason: "'load.counts[\(e)]' is not an integer count") }
            values.append(n)
        }
        return try measured(selectionCounts: values, tokens: tokens)
    }
}
