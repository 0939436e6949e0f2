//===--- Timing.swift - Median and minimum wall-clock time of a kernel ----===//

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time of one call of a measured function, over several repetitions.
public struct TimingSummary: Hashable, Sendable {
    /// Median seconds per call over the repetitions.
    public var median: Double
    /// Fastest seconds per call over the repetitions.
    public var minimum: Double
    /// Number of repetitions (timed samples).
    public var repetitions: Int
    /// Calls inside each timed sample (more than 1 for very short functions).
    public var callsPerSample: Int

    public init(median: Double, minimum: Double, repetitions: Int, callsPerSample: Int) {
        self.median = median
        self.minimum = minimum
        self.repetitions = repetitions
        self.callsPerSample = callsPerSample
    }
}

/// Seconds on the monotonic clock.
@inline(__always)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Measures `body`: one warm-up call, then `repetitions` timed samples. A sample repeats
/// `body` enough times to last at least `minimumSampleSeconds`, so microsecond-scale kernels
/// are not dominated by clock resolution; each sample reports seconds per call.
///
/// - Returns: The median and minimum seconds per call.
public func measure<Failure: Error>(
    repetitions: Int, minimumSampleSeconds: Double = 0.005, _ body: () throws(Failure) -> Void
) throws(Failure) -> TimingSummary {
    let start = monotonicSeconds()
    try body()
    let once = max(monotonicSeconds() - start, 1e-9)
    let calls = once >= minimumSampleSeconds ? 1 : min(1_000_000, Int((minimumSampleSeconds / once).rounded(.up)))
    var samples: [Double] = []
    samples.reserveCapacity(max(1, repetitions))
    for _ in 0..<max(1, repetitions) {
        let t0 = monotonicSeconds()
        for _ in 0..<calls { try body() }
        samples.append((monotonicSeconds() - t0) / Double(calls))
    }
    samples.sort()
    let n = samples.count
    let median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2
    return TimingSummary(median: median, minimum: samples[0], repetitions: n, callsPerSample: calls)
}

#if os(Linux)
private let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_VALUE = RUSAGE_SELF
#endif

/// The process's peak resident set size so far, in bytes (`getrusage`), or `nil` where the
/// platform does not report it.
public func peakResidentBytes() -> Int? {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF_VALUE, &usage) == 0 else { return nil }
    #if os(Linux)
    return Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
    #else
    return Int(usage.ru_maxrss)          // bytes on Darwin
    #endif
}
