//===--- FileCommit.swift - All-or-nothing output files --------------------===//

import Foundation

/// Output files written all or nothing: each file is first written in full to a temporary
/// file beside its destination, and only ``commit()`` renames them into place. If anything
/// fails before that, ``discard()`` (or deinitialisation) removes the temporary files, so a
/// failed run never leaves a partial output file.
public final class FileCommit {
    private var staged: [(temporary: URL, destination: URL)] = []

    public init() {}

    deinit { discard() }

    /// Writes `bytes` to a temporary file beside `url`.
    ///
    /// - Throws: ``NPYError/io(path:reason:)`` when the directory cannot be written.
    public func stage(_ bytes: [UInt8], at url: URL) throws(NPYError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            throw .io(path: url.path, reason: "cannot write file (\(NPY.reason(error)))")
        }
        staged.append((temporary, url))
    }

    /// Renames every staged file to its destination.
    ///
    /// - Throws: ``NPYError/io(path:reason:)`` if a rename fails; files not yet renamed are
    ///   removed.
    public func commit() throws(NPYError) {
        defer { discard() }
        for file in staged {
            if rename(file.temporary.path, file.destination.path) != 0 {
                throw .io(path: file.destination.path, reason: "cannot create file (\(String(cString: strerror(errno))))")
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
