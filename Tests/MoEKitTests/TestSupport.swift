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

/// The bundled preset file `name` (Sources/MoEKit/Resources/Models) as a config dictionary,
/// its `moekit` section removed, for building variants of a real config.
func presetConfig(_ name: String) throws -> [String: Any] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/MoEKit/Resources/Models/\(name).json")
    guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
        throw CocoaError(.fileReadCorruptFile)
    }
    object["moekit"] = nil
    return object
}

/// Relative difference |a − b| / |b|.
func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

/// A preset, failing the test loudly if it is missing.
func preset(_ name: String) throws -> ModelSpec { try ModelSpec.preset(named: name) }

/// Parses a config given as a Swift dictionary literal (for bad-input tests).
func spec(fromJSON text: String) throws -> ModelSpec {
    try ModelSpec(configJSON: Data(text.utf8))
}
