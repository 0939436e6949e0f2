//===--- MoEBench.swift - The moebench command-line tool -------------------===//
//
// Parses arguments, calls MoEKit, formats. Every number comes from the library.
//
//===----------------------------------------------------------------------===//
import ArgumentParser
import Foundation

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
            FileHandle.standardError.write(Data("moebench: error: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}
