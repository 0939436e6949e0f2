//===--- MemoryBandwidth.swift - Streaming read bandwidth of this machine --===//
//
// The CPU accelerator's "HBM" bandwidth: one thread summing a buffer far larger than the
// caches (Accelerator+CPU.swift). The sum is a C kernel (moekit_read_sum) compiled for
// AVX-512, AVX2 and the baseline, chosen at load time.
//
//===----------------------------------------------------------------------===//

import _MoEKitKernels

/// Measures how fast this machine streams memory into one core.
public enum MemoryBandwidth {
    /// Streaming read bandwidth of one thread, bytes per second: the best of `repetitions`
    /// timed passes of a vectorised sum over a `bytes`-byte float buffer.
    ///
    /// The buffer is allocated once and written before the first pass (so every page is
    /// mapped), then read front to back in 64-byte vectors; the sum depends on every element,
    /// so no read can be elided. Keep `bytes` well above the last-level cache (the default,
    /// 256 MiB, is) or the result is a cache bandwidth.
    ///
    /// - Parameters:
    ///   - bytes: Buffer size in bytes (at least 4 KiB; rounded down to whole 64-byte vectors).
    ///   - repetitions: Timed passes (at least 1); the fastest counts.
    /// - Returns: Bytes read per second.
    /// - Complexity: O(`bytes` · `repetitions`) memory reads.
    public static func measureRead(bytes: Int = 256 << 20, repetitions: Int = 5) -> Double {
        let size = max(4096, bytes) / 64 * 64
        let count = size / MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { raw.deallocate() }
        let floats = raw.initializeMemory(as: Float.self, repeating: 1, count: count)
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = monotonicSeconds()
            // An opaque C call whose result depends on every element: it cannot be dropped.
            _ = moekit_read_sum(floats, count)
            best = min(best, monotonicSeconds() - start)
        }
        return Double(size) / max(best, 1e-9)
    }
}
