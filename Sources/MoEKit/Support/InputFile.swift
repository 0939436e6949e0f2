//===--- InputFile.swift - Reading input files with bounded sizes ---------===//
//
// POSIX reads instead of `Data(contentsOf:)`: errors in a few words (never Foundation's
// sentences), regular files sized before anything is read, and special files (a FIFO, a
// process substitution, a device) read up to a limit, never to an end that may not come.
//
//===----------------------------------------------------------------------===//

import Foundation

/// An input file open for reading; closed when released.
final class InputFile {
    /// Why a file could not be read.
    enum Failure: Error, Equatable {
        /// The system's reason in a few words: "no such file", "permission denied",
        /// "it is a directory".
        case unreadable(String)
        /// The file holds more than the limit: `bytes` for a regular file, `nil` when only
        /// "more than the limit" is known (a special file stops being read there).
        case tooLarge(bytes: Int?, limit: Int)

        /// `cannot read file (no such file)` / `N bytes, above the L-byte limit`.
        var reason: String {
            switch self {
            case .unreadable(let why): return "cannot read file (\(why))"
            case .tooLarge(let bytes?, let limit): return "\(bytes) bytes, above the \(limit)-byte limit"
            case .tooLarge(nil, let limit): return "more than the \(limit)-byte limit"
            }
        }
    }

    private let descriptor: Int32
    /// The size of a regular file; `nil` for a special file (FIFO, character device, socket).
    let regularFileSize: Int?

    /// Opens `path` for reading.
    ///
    /// - Throws: ``Failure/unreadable(_:)`` for a missing file, a dangling link, a directory or
    ///   a file this process may not read.
    init(path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(Self.reason(errno)) }
        var s = stat()
        guard fstat(fd, &s) == 0 else {
            let e = errno
            close(fd)
            throw .unreadable(Self.reason(e))
        }
        switch s.st_mode & S_IFMT {
        case S_IFDIR:
            close(fd)
            throw .unreadable(Self.reason(EISDIR))
        case S_IFREG:
            regularFileSize = Int(s.st_size)
        default:
            regularFileSize = nil
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Fills `buffer` from the file, stopping early only at its end.
    ///
    /// - Returns: The bytes read (less than `buffer.count` only at the end of the file).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            // At most 1 GiB per call: Linux returns at most about 2 GiB from one read.
            let n = Foundation.read(descriptor, base + filled, min(buffer.count - filled, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(Self.reason(errno))
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Up to `count` bytes from the current position (fewer only at the end of the file).
    func readBytes(_ count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBytes { b in Result { () throws(Failure) in try read(into: b) } }.get()
        bytes.removeLast(count - n)
        return bytes
    }

    /// Bytes left before the end of the file, counted up to `limit` (then `limit + 1`): reads
    /// and discards them.
    func remainingBytes(upTo limit: Int) throws(Failure) -> Int {
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while total <= limit {
            let n = try chunk.withUnsafeMutableBytes { b in Result { () throws(Failure) in try read(into: b) } }.get()
            if n == 0 { break }
            total += n
        }
        return min(total, limit + 1)
    }

    /// The whole file at `path`, refused when it holds more than `limit` bytes (a regular
    /// file by its size, before reading; a special file after `limit + 1` bytes).
    static func contents(of path: String, limit: Int) throws(Failure) -> [UInt8] {
        let file = try InputFile(path: path)
        if let size = file.regularFileSize, size > limit { throw .tooLarge(bytes: size, limit: limit) }
        let bytes = try file.readBytes(min(limit, file.regularFileSize ?? limit) + 1)
        guard bytes.count <= limit else { throw .tooLarge(bytes: nil, limit: limit) }
        return bytes
    }

    /// The reason for `code` in a few words.
    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "it is a directory"
        case ENOTDIR: return "a component of the path is not a directory"
        case ELOOP: return "too many levels of symbolic links"
        default: return String(cString: strerror(code))
        }
    }
}
