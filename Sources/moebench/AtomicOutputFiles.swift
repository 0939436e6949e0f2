//===--- AtomicOutputFiles.swift - All-or-nothing output files ------------===//

import Foundation

/// Writes several output files so that none is left half-written: every file is first written
/// to a temporary file beside its destination, and only when all temporaries exist are they
/// renamed into place (rename is atomic within a directory). On any error the temporaries are
/// removed and no destination is touched.
struct AtomicOutputFiles {
    private var staged: [(temporary: URL, destination: URL)] = []

    /// Writes `contents` to a temporary file next to `path`.
    mutating func stage(_ contents: String, at path: String) throws {
        let destination = URL(fileURLWithPath: path)
        let directory = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            discard()
            throw EstimatorInputError("cannot write '\(path)': directory '\(directory.path)' does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(contents.utf8).write(to: temporary)
        } catch {
            discard()
            throw EstimatorInputError("cannot write '\(path)': \((error as NSError).localizedDescription)")
        }
        staged.append((temporary, destination))
    }

    /// Renames every staged file into place.
    mutating func commit() throws {
        defer { staged = [] }
        for (i, file) in staged.enumerated() {
            if rename(file.temporary.path, file.destination.path) != 0 {
                let reason = String(cString: strerror(errno))
                for rest in staged[i...] { try? FileManager.default.removeItem(at: rest.temporary) }
                throw EstimatorInputError("cannot write '\(file.destination.path)': \(reason)")
            }
        }
    }

    /// Removes every staged temporary file.
    mutating func discard() {
        for file in staged { try? FileManager.default.removeItem(at: file.temporary) }
        staged = []
    }
}
