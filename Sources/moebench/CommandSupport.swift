//===--- CommandSupport.swift - Types every moebench command shares -------===//

import ArgumentParser

/// A problem with the command line or its input that argument parsing alone cannot see,
/// described in one line (the tool prints it and exits with status 2).
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Output formats of commands that print results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
