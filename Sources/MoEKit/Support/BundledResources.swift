//===--- BundledResources.swift - Folders in MoEKit's resource bundle -----===//

import Foundation

/// A bundled resource folder that could not be found; names the places looked in.
struct MissingResource: Error, CustomStringConvertible {
    var folder: String
    var searched: [String]
    var description: String { "no \(folder) folder in \(searched.joined(separator: ", "))" }
}

/// Folders copied into MoEKit's SwiftPM resource bundle (`Models`, `Accelerators`).
enum BundledResources {
    /// `folder` inside the resource bundle. The bundle is looked for beside the main
    /// executable first, so that a missing bundle is an error rather than `Bundle.module`'s trap.
    static func directory(_ folder: String) throws(MissingResource) -> URL {
        let bundleName = "MoEKit_MoEKit.resources"
        var candidates = [Bundle.main.bundleURL.appendingPathComponent(bundleName)]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent(bundleName))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("MoEKit_MoEKit.bundle"))
        for c in candidates {
            let url = c.appendingPathComponent(folder)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        if let url = Bundle.module.url(forResource: folder, withExtension: nil) { return url }
        throw MissingResource(folder: folder, searched: candidates.map(\.path))
    }
}
