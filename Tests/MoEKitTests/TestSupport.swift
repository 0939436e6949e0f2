//===--- TestSupport.swift - Shared helpers for MoEKit tests --------------===//

import Foundation
@testable import MoEKit

/// `../shared/configs` beside the repository root, or `nil` when this checkout has none.
let sharedConfigsDirectory: URL? = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() } // TestSupport.swift, MoEKitTests, Tests
    let configs = url.deletingLastPathComponent().appendingPathComponent("shared/configs")
    return FileManager.default.fileExists(atPath: configs.path) ? configs : nil
}()

/// The real config file `name` from `shared/configs`, or `nil` without the folder.
func sharedConfig(_ name: String) throws -> ModelSpec? {
    guard let dir = sharedConfigsDirectory else { return nil }
    return try ModelSpec(configFile: dir.appendingPathComponent(name))
}

/// Relative difference |a − b| / |b|.
func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

/// A preset, failing the test loudly if it is missing.
func preset(_ name: String) throws -> ModelSpec { try ModelSpec.preset(named: name) }

/// Parses a config given as a Swift dictionary literal (for bad-input tests).
func spec(fromJSON text: String) throws -> ModelSpec {
    try ModelSpec(configJSON: Data(text.utf8))
}
