//===--- FileCommit.swift - All-or-nothing output files --------------------===//

import Foundation

/// An output file that could not be written.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination path.
    public var path: String
    /// Why, in a few words (the system's reason).
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}

/// Output files written all or nothing: each file is first written in full to a temporary
/// file beside its destination, and only ``commit()`` moves them into place. A destination
/// that already exists is first moved aside; if any step fails, the files already placed
/// are removed and the originals restored. So a failed run never leaves a partial,
/// half-written or mixed set of output files.
public final class FileCommit {
    private var staged: [(temporary: URL, destination: URL)] = []

    public init() {}

    deinit { discard() }

    /// Writes `bytes` to a temporary file beside `url`.
    ///
    /// - Throws: ``FileWriteError`` when `url` is a directory, was already staged, or its
    ///   directory cannot be written; every file staged so far is then discarded.
    public func stage(_ bytes: [UInt8], at url: URL) throws(FileWriteError) {
        let destination = url.standardizedFileURL
        func fail(_ reason: String) -> FileWriteError {
            discard()
            return FileWriteError(path: url.relativePath, reason: reason)
        }
        if staged.contains(where: { $0.destination == destination }) {
            throw fail("cannot write the same file twice in one run")
        }
        let directory = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("cannot write file: directory \(directory.path) does not exist")
        }
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw fail("cannot write file: it is a directory")
        }
        let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            throw fail("cannot write file (\(fileErrorReason(error)))")
        }
        staged.append((temporary, destination))
    }

    /// Writes `text` as UTF-8 to a temporary file beside `url`.
    public func stage(_ text: String, at url: URL) throws(FileWriteError) {
        try stage(Array(text.utf8), at: url)
    }

    /// Moves every staged file to its destination, all or nothing.
    ///
    /// - Throws: ``FileWriteError`` if a move fails; the destinations are then as they were.
    public func commit() throws(FileWriteError) {
        defer { discard() }
        var backups: [(backup: URL, destination: URL)] = []
        var placed: [URL] = []
        func rollBack() {
            for url in placed { unlink(url.path) }
            for b in backups { rename(b.backup.path, b.destination.path) }
        }
        for file in staged {
            if FileManager.default.fileExists(atPath: file.destination.path) {
                let backup = file.destination.deletingLastPathComponent()
                    .appendingPathComponent(".\(file.destination.lastPathComponent).\(UUID().uuidString).orig")
                if rename(file.destination.path, backup.path) != 0 {
                    let reason = String(cString: strerror(errno))
                    rollBack()
                    throw FileWriteError(path: file.destination.path, reason: "cannot replace file (\(reason))")
                }
                backups.append((backup, file.destination))
            }
            if rename(file.temporary.path, file.destination.path) != 0 {
                let reason = String(cString: strerror(errno))
                rollBack()
                throw FileWriteError(path: file.destination.path, reason: "cannot create file (\(reason))")
            }
            placed.append(file.destination)
        }
        for b in backups { unlink(b.backup.path) }
        staged.removeAll()
    }

    /// Removes every staged temporary file.
    public func discard() {
        for file in staged { unlink(file.temporary.path) }
        staged.removeAll()
    }
}
