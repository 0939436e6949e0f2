//===--- SystemMemory.swift - How much memory this machine can give -------===//

import Foundation

/// The memory this machine can give a new allocation.
public enum SystemMemory {
    /// Bytes available without swapping: `MemAvailable` from `/proc/meminfo` on Linux, else
    /// the physical memory; `nil` where neither is known.
    public static var availableBytes: Int? {
        #if os(Linux)
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kB = Int(fields[1]) { return kB * 1024 }
            }
        }
        #endif
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical) : nil
    }
}
