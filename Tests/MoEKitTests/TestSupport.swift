//===--- TestSupport.swift - Shared helpers for MoEKit tests --------------===//

import Foundation
@testable import MoEKit

/// The vendored config.json files (Architecture/Fixtures; provenance in its README.md).
let configFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Architecture/Fixtures")

/// The real config file `name` from the vendored fixtures.
func sharedConfig(_ name: String) throws -> ModelSpec {
    try ModelSpec(configFile: configFixtures.appendingPathComponent(name))
}

/// Relative difference |a − b| / |b|.
func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

/// A preset, failing the test loudly if it is missing.
func preset(_ name: String) throws -> ModelSpec { try ModelSpec.preset(named: name) }

/// Parses a config given as a Swift dictionary literal (for bad-input tests).
func spec(fromJSON text: String) throws -> ModelSpec {
    try ModelSpec(configJSON: Data(text.utf8))
}
