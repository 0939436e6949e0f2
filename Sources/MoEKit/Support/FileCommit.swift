//===--- FileCommit.swift - All-or-nothing output files --------------------===//

import Foundation

/// An output file that could not be written.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination path.
    public var path: String
    /// Why, in a few words (the system's reason).
    public var reason: String

    public var description: String { PrintableText.escaping("\(path): \(reason)") }
}

/// Output files written all or nothing: each file is first written in full to a temporary
/// file beside its destination, and only ``commit()`` moves them into place. A destination
/// that already exists is first moved aside; if any step fails, the files already placed
/// are removed and the originals restored. So a failed run never leaves a partial,
/// half-written or mixed set of output files.
///
/// What a destination path names is respected:
/// - a symbolic link is followed, never replaced: the file it points to is written (and
///   created if the link dangles);
/// - a destination that exists and is not a regular file (a device such as `/dev/null`, a
///   FIFO, a socket, `/dev/stdout` on a pipe) is written in place, after every regular file has
///   been placed: it is never replaced by a regular file, and all-or-nothing does not extend to it;
/// - a path registered with ``protect(inputs:)`` (an input of the run) is refused.
public final class FileCommit {
    private var staged: [(temporary: URL, destination: URL)] = []
    private var inPlace: [(path: String, bytes: [UInt8])] = []
    private var inputs: Set<FileIdentity> = []

    /// A file as the system knows it: device and inode.
    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
        init?(path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            device = UInt64(s.st_dev)
            inode = UInt64(s.st_ino)
        }
    }

    public init() {}

    deinit { discard() }

    /// Registers the files a run reads, so that no output overwrites one of them (whatever
    /// path or link names it). Paths that do not exist are ignored.
    public func protect(inputs paths: [String]) {
        for p in paths { if let id = FileIdentity(path: p) { inputs.insert(id) } }
    }

    /// What writing to `path` means: replace a regular file (at the end of any chain of
    /// links), or write in place into a special file.
    private enum Target {
        case replace(URL)
        case inPlace(String)
    }

    private func target(_ url: URL) -> Result<Target, FileWriteError> {
        var path = url.path
        for _ in 0..<40 {
            var s = stat()
            if stat(path, &s) == 0 {
                let kind = s.st_mode & S_IFMT
                if kind == S_IFDIR { return .failure(FileWriteError(path: url.relativePath, reason: "cannot write file: it is a directory")) }
                if kind != S_IFREG { return .success(.inPlace(path)) }
                guard let real = realpath(path, nil) else { return .success(.replace(URL(fileURLWithPath: path))) }
                defer { free(real) }
                return .success(.replace(URL(fileURLWithPath: String(cString: real))))
            }
            // Absent: a dangling link is followed to the file it names; anything else is new.
            var l = stat()
            guard lstat(path, &l) == 0, l.st_mode & S_IFMT == S_IFLNK else {
                return .success(.replace(URL(fileURLWithPath: path).standardizedFileURL))
            }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &buffer, Int(PATH_MAX))
            guard n > 0 else { return .failure(FileWriteError(path: url.relativePath, reason: "cannot read the link")) }
            let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            path = link.hasPrefix("/") ? link : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(link).path
        }
        return .failure(FileWriteError(path: url.relativePath, reason: "too many levels of symbolic links"))
    }

    /// Writes `bytes` to a temporary file beside `url` (beside the file a link at `url` names),
    /// or keeps them for an in-place write into a special file.
    ///
    /// - Throws: ``FileWriteError`` when `url` is a directory, an input of the run, was already
    ///   staged, or its directory cannot be written; every file staged so far is then discarded.
    public func stage(_ bytes: [UInt8], at url: URL) throws(FileWriteError) {
        func fail(_ reason: String) -> FileWriteError {
            discard()
            return FileWriteError(path: url.relativePath, reason: reason)
        }
        if let id = FileIdentity(path: url.path), inputs.contains(id) {
            throw fail("cannot write file: it is an input of this run")
        }
        let destination: URL
        switch target(url) {
        case .failure(let e): discard(); throw e
        case .success(.inPlace(let path)):
            if inPlace.contains(where: { $0.path == path }) { throw fail("cannot write the same file twice in one run") }
            inPlace.append((path, bytes))
            return
        case .success(.replace(let d)): destination = d
        }
        if staged.contains(where: { $0.destination == destination }) {
            throw fail("cannot write the same file twice in one run")
        }
        let directory = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("cannot write file: directory \(directory.path) does not exist")
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

    /// Moves every staged file to its destination, all or nothing, then writes the special
    /// files in place.
    ///
    /// - Throws: ``FileWriteError`` if a move or an in-place write fails; the regular
    ///   destinations are then as they were.
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
        for file in inPlace {
            if let reason = Self.write(file.bytes, inPlace: file.path) {
                rollBack()
                throw FileWriteError(path: file.path, reason: "cannot write (\(reason))")
            }
        }
        for b in backups { unlink(b.backup.path) }
        staged.removeAll()
        inPlace.removeAll()
    }

    /// Opens an existing special file for writing (never creating or replacing it) and writes
    /// `bytes`; the system's reason on failure.
    private static func write(_ bytes: [UInt8], inPlace path: String) -> String? {
        let fd = open(path, O_WRONLY | O_NOCTTY)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
    }

    /// Removes every staged temporary file.
    public func discard() {
        for file in staged { unlink(file.temporary.path) }
        staged.removeAll()
        inPlace.removeAll()
    }
}
