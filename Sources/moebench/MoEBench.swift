//===--- MoEBench.swift - The moebench command-line tool -------------------===//
//
// Parses arguments, calls MoEKit, formats. Every number comes from the library.
//
//===----------------------------------------------------------------------===//
import ArgumentParser
import Foundation
import MoEKit

@main
struct MoEBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moebench",
        abstract: "Measure and estimate what it costs to run Mixture-of-Experts models.",
        version: "0.1.0",
        subcommands: [Bench.self, Route.self, Layer.self, Balance.self, Estimate.self, Curve.self, Compare.self, Models.self, Serve.self, Validate.self,
                      Accelerators.self],
        defaultSubcommand: Bench.self
    )

    /// Runs the tool. Help and version exit 0; every error prints one line on stderr and
    /// exits with status 2.
    static func main() {
        do {
            try refuseUnknownHelpTopic(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            // A verdict, not an error (`validate` with an error above its tolerance).
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = self.message(for: error)
                .split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
                .joined(separator: " ")
            // Text echoed from arguments or files may hold control characters: one printable line.
            FileHandle.standardError.write(Data("moebench: error: \(PrintableText.escaping(message))\n".utf8))
            Foundation.exit(2)
        }
    }

    /// `moebench help NAME` for a NAME that is no subcommand would print the general help and
    /// exit 0; it is an error instead.
    static func refuseUnknownHelpTopic(_ arguments: [String]) throws {
        guard arguments.first == "help", arguments.count >= 2, !arguments[1].hasPrefix("-") else { return }
        let names = configuration.subcommands.map { $0._commandName }
        guard names.contains(arguments[1]) || arguments[1] == "help" else {
            throw UsageError("help: unknown subcommand '\(arguments[1])' (subcommands: \(names.joined(separator: ", ")))")
        }
    }
}

/// Prints one warning line on stderr: a value is legal but outside what the model supports.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("moebench: warning: \(PrintableText.escaping(message))\n".utf8))
}
