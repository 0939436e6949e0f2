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
    return summarize(samples, callsPerSample: calls)
}

#if os(Linux)
private let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_VALUE = RUSAGE_SELF
#endif

/// Measures several functions in interleaved rounds: one warm-up call each, then
/// `repetitions` rounds in which every function takes one timed sample (as in
/// ``measure(repetitions:minimumSampleSeconds:_:)``, and after one untimed call when the
/// function is short). Slow drifts of the machine (another process, clock changes) then
/// affect every function alike, so ratios between them are reliable even on a noisy machine.
///
/// - Returns: One summary per function, in the order given.
public func measureInterleaved(
    repetitions: Int, minimumSampleSeconds: Double = 0.005, _ bodies: [() -> Void]
) -> [TimingSummary] {
    var calls: [Int] = []
    for body in bodies {
        let start = monotonicSeconds()
        body()
        let once = max(monotonicSeconds() - start, 1e-9)
        calls.append(once >= minimumSampleSeconds ? 1 : min(1_000_000, Int((minimumSampleSeconds / once).rounded(.up))))
    }
    var samples = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<max(1, repetitions) {
        for (i, body) in bodies.enumerated() {
            // A short function gets one untimed call first, so that each sample starts with
            // its own working set in cache, not the previous function's.
            if calls[i] > 1 { body() }
            let t0 = monotonicSeconds()
            for _ in 0..<calls[i] { body() }
            samples[i].append((monotonicSeconds() - t0) / Double(calls[i]))
        }
    }
    return samples.enumerated().map { i, s in summarize(s, callsPerSample: calls[i]) }
}

/// Median and minimum of samples (seconds per call).
func summarize(_ samples: [Double], callsPerSample: Int) -> TimingSummary {
    let sorted = samples.sorted()
    let n = sorted.count
    let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    return TimingSummary(median: median, minimum: sorted[0], repetitions: n, callsPerSample: callsPerSample)
}

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
