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
/// file beside its destination, and only ``commit()`` renames them into place (a rename
/// within a directory is atomic). If anything fails before that, ``discard()`` (or
/// deinitialisation) removes the temporary files, so a failed run never leaves a partial
/// or half-written output file.
public final class FileCommit {
    private var staged: [(temporary: URL, destination: URL)] = []

    public init() {}

    deinit { discard() }

    /// Writes `bytes` to a temporary file beside `url`.
    ///
    /// - Throws: ``FileWriteError`` when the directory cannot be written; every file staged
    ///   so far is discarded.
    public func stage(_ bytes: [UInt8], at url: URL) throws(FileWriteError) {
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            discard()
            throw FileWriteError(path: url.path, reason: "cannot write file: directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            discard()
            throw FileWriteError(path: url.path, reason: "cannot write file (\(NPY.reason(error)))")
        }
        staged.append((temporary, url))
    }

    /// Writes `text` as UTF-8 to a temporary file beside `url`.
    public func stage(_ text: String, at url: URL) throws(FileWriteError) {
        try stage(Array(text.utf8), at: url)
    }

    /// Renames every staged file to its destination.
    ///
    /// - Throws: ``FileWriteError`` if a rename fails; files not yet renamed are removed.
    public func commit() throws(FileWriteError) {
        defer { discard() }
        for (i, file) in staged.enumerated() {
            if rename(file.temporary.path, file.destination.path) != 0 {
                let reason = String(cString: strerror(errno))
                staged.removeFirst(i)
                throw FileWriteError(path: file.destination.path, reason: "cannot create file (\(reason))")
            }
        }
        staged.removeAll()
    }

    /// Removes every staged temporary file.
    public func discard() {
        for file in staged { unlink(file.temporary.path) }
        staged.removeAll()
    }
}
