//===--- SystemMemory.swift - How much memory this machine can give -------===//

import Foundation

/// The memory this machine has, and what it can give a new allocation.
public enum SystemMemory {
    /// Installed memory, bytes: `MemTotal` from `/proc/meminfo` on Linux (machine-wide; a
    /// container's memory limit is not applied), else the physical memory; `nil` where neither
    /// is known.
    public static var totalBytes: Int? {
        #if os(Linux)
        if let kB = meminfo("MemTotal:") { return kB * 1024 }
        #endif
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical) : nil
    }

    /// Bytes available without swapping: `MemAvailable` from `/proc/meminfo` on Linux, else
    /// the physical memory; `nil` where neither is known.
    public static var availableBytes: Int? {
        #if os(Linux)
        if let kB = meminfo("MemAvailable:") { return kB * 1024 }
        #endif
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical) : nil
    }

    /// The kB figure of the `/proc/meminfo` line starting with `key`.
    private static func meminfo(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kB = Int(fields[1]) { return kB }
        }
        return nil
    }
}

/// An array too large for the memory this machine has available, refused before allocating.
///
/// The description names the buffer, its shape and both byte counts:
/// `logits [100000, 100000] need 40.0 GB (4 bytes per element) but 24.1 GB of memory is available`.
public struct InsufficientMemory: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the array is (`logits`, `hidden states`).
    public var buffer: String
    /// Its shape; empty when only the total is known.
    public var shape: [Int]
    /// Bytes per element.
    public var elementBytes: Int
    /// Bytes it needs, or `nil` when the count does not fit in `Int`.
    public var bytes: Int?
    /// Bytes available.
    public var available: Int

    public init(buffer: String, shape: [Int], elementBytes: Int, bytes: Int?, available: Int) {
        self.buffer = buffer
        self.shape = shape
        self.elementBytes = elementBytes
        self.bytes = bytes
        self.available = available
    }

    public var description: String {
        let need = bytes.map { formatBytes(Double($0)) } ?? "more than 9.2 EB"
        let have = "\(formatBytes(Double(available))) of memory is available"
        guard !shape.isEmpty else { return "\(buffer) need \(need) but \(have)" }
        let dims = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        return "\(buffer) \(dims) need \(need) (\(elementBytes) bytes per element) but \(have)"
    }
}

extension SystemMemory {
    /// Bytes of an array of `shape` with `elementBytes`-byte elements, or `nil` if the count
    /// overflows `Int`.
    public static func bytes(shape: [Int], elementBytes: Int) -> Int? {
        var total = elementBytes
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// Checks, before allocating, that an array of `shape` fits in `available` bytes.
    ///
    /// - Parameters:
    ///   - buffer: The array's name, for the error.
    ///   - shape: Its shape (sizes read from files or flags).
    ///   - elementBytes: Bytes per element.
    ///   - available: Bytes that may be used (usually ``availableBytes``); `nil` checks only
    ///     that the byte count fits in `Int`.
    /// - Returns: The byte count.
    /// - Throws: ``InsufficientMemory`` naming the buffer, its shape and the bytes.
    @discardableResult
    public static func require(
        _ buffer: String, shape: [Int], elementBytes: Int, available: Int?
    ) throws(InsufficientMemory) -> Int {
        let bytes = bytes(shape: shape, elementBytes: elementBytes)
        guard let bytes, bytes <= available ?? Int.max else {
            throw InsufficientMemory(buffer: buffer, shape: shape, elementBytes: elementBytes, bytes: bytes,
                                     available: available ?? Int.max)
        }
        return bytes
    }
}
