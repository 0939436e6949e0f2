//===--- ValidateCommandTests.swift - `moebench validate` end to end ------===//

import Foundation
import MoEKit
import Testing

/// A JSON number (an integer-valued one such as 1850 included).
private func double(_ value: Any?) -> Double? {
    guard let value, !(value is String), let n = value as? NSNumber else { return nil }
    return n.doubleValue
}

@Suite("moebench validate")
struct ValidateCommandTests {
    func rows() throws -> [[String: Any]] {
        let run = try runMoebench(["validate", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
    }

    @Test func tableListsEveryFigureAndItsCommand() throws {
        let run = try runMoebench(["validate"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let parts = run.stdout.components(separatedBy: "\ncommands and sources:\n")
        #expect(parts.count == 2)
        let commands = try #require(parts.last)
        for figure in PublishedServingFigure.catalog {
            #expect(commands.contains("  \(figure.id): moebench serve --model \(figure.setup.model) --accelerator \(figure.setup.accelerator) "),
                    "\(figure.id) has no command line")
            #expect(parts[0].contains(figure.title), "\(figure.id) has no row")
        }
        #expect(run.stdout.contains("rows with a tolerance"))
        #expect(!run.stdout.contains("FAIL"))
    }

    @Test func jsonRows() throws {
        let list = try rows()
        let catalog = PublishedServingFigure.catalog
        #expect(list.count == catalog.count)
        #expect(list.map { $0["id"] as? String } == catalog.map(\.id))
        for (row, figure) in zip(list, catalog) {
            let published = try #require(double(row["published"]))
            let projected = try #require(double(row["projected"]))
            let error = try #require(double(row["error"]))
            #expect(published == figure.value, "\(figure.id)")
            #expect(abs(error - (projected / published - 1)) <= 1e-12, "\(figure.id)")
            #expect(row["role"] as? String == figure.role.rawValue)
            #expect(row["passes"] as? Bool == true, "\(figure.id): error \(error)")
            if let tolerance = figure.tolerance {
                #expect(double(row["tolerance"]) == tolerance)
                #expect(abs(error) <= tolerance, "\(figure.id)")
            } else {
                #expect(row["tolerance"] is NSNull)
            }
            // The library projects the same value.
            let library = try figure.projectedValue()
            #expect(abs(projected - library) <= 1e-12 * library, "\(figure.id): \(projected) against \(library)")
        }
    }

    @Test func csvHasAHeaderAndOneRowPerFigure() throws {
        let run = try runMoebench(["validate", "--format", "csv"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first == "id,role,metric,published,projected,error,tolerance,passes,command,source")
        #expect(lines.count == 1 + PublishedServingFigure.catalog.count)
    }

    /// The JSON key of `moebench serve` that holds a figure's metric.
    static func servePath(_ metric: String) -> [String]? {
        switch metric {
        case PublishedServingFigure.Metric.decodeTokensPerSecondPerDevice.rawValue: return ["decode", "tokens_per_second_per_device"]
        case PublishedServingFigure.Metric.prefillTokensPerSecondPerDevice.rawValue: return ["prefill", "tokens_per_second_per_device"]
        case PublishedServingFigure.Metric.costPerMillionOutputTokens.rawValue: return ["cost", "usd_per_million_output_tokens"]
        default: return nil
        }
    }

    /// Each printed command, run as printed, reproduces the row's projected value: the command
    /// lines really describe the setups.
    @Test func printedCommandsReproduceTheProjections() throws {
        for row in try rows() {
            let id = row["id"] as? String ?? "?"
            let command = try #require(row["command"] as? String)
            var words = command.split(separator: " ").map(String.init)
            #expect(words.first == "moebench", "\(id)")
            words.removeFirst()
            let run = try runMoebench(words + ["--format", "json"])
            #expect(run.status == 0, "\(id): \(command): \(run.stderr)")
            guard run.status == 0 else { continue }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let path = try #require(Self.servePath(row["metric"] as? String ?? ""), "\(id): metric \(row["metric"] ?? "")")
            let value = try #require(double((object[path[0]] as? [String: Any])?[path[1]]), "\(id): no \(path)")
            let projected = try #require(double(row["projected"]))
            #expect(abs(value / projected - 1) <= 1e-9, "\(id): serve gives \(value), validate \(projected)")
        }
    }
}
