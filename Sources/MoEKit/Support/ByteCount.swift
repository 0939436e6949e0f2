//===--- ByteCount.swift - Byte counts in words for error messages --------===//

import Foundation

/// Bytes in decimal units (1 KB = 1,000 B, as in `moebench`'s tables) with three
/// significant digits: `67.6 GB`, for error messages.
func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = bytes, unit = 0
    while value >= 999.5 && unit < units.count - 1 { value /= 1000; unit += 1 }
    if unit == 0 { return "\(Int(bytes)) B" }
    let digits = value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2
    return String(format: "%.\(digits)f %@", value, units[unit])
}
