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
