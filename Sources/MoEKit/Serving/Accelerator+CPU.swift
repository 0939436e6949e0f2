//===--- Accelerator+CPU.swift - This machine's CPU as an accelerator -----===//
//
// The `cpu` preset's file holds what is not measured (price, efficiencies, cache tier);
// its peak, bandwidth and capacity are placeholders that measuredCPU(threads:) replaces.
//
//===----------------------------------------------------------------------===//

import Foundation

extension Accelerator {
    /// This machine's CPU, with its peak, memory bandwidth and memory measured now.
    ///
    /// Starts from the `cpu` preset file (price, efficiency factors, cache tier) and replaces:
    ///
    /// - `peakFlops[.bf16]` with the rate of a 2048³ fp32 sgemm on OpenBLAS with `threads`
    ///   threads, best of 3 (``RoutingBenchmark/peakSGEMM(size:repetitions:threads:)``, the
    ///   figure `moebench` reports). The CPU has no BF16 units: it computes in fp32 on weights
    ///   converted from their stored format, so this is the only entry and every weight format
    ///   maps to it.
    /// - `hbmBandwidth` and `scaleUp.bandwidth` with one thread's streaming read bandwidth
    ///   (``MemoryBandwidth/measureRead(bytes:repetitions:)``, 256 MiB, best of 5): devices in
    ///   one machine exchange data through its memory.
    /// - `hbmCapacity` with the machine's installed memory (``SystemMemory/totalBytes``);
    ///   `efficiency.usableMemory` (0.8) leaves the rest to the system.
    ///
    /// Each replaced field's source says it was measured, dated today (UTC). Every call
    /// measures again (about a second); ``preset(named:)`` with `"cpu"` measures once per
    /// process.
    ///
    /// - Parameter threads: OpenBLAS threads for the sgemm (at least 1).
    /// - Returns: The measured CPU.
    public static func measuredCPU(threads: Int = 1) -> Accelerator {
        let threads = max(1, threads)
        var cpu = cpuFileValues
        let date = todayUTC()
        let flops = RoutingBenchmark.peakSGEMM(threads: threads)
        cpu.peakFlops[.bf16] = flops
        cpu.sources["peak_flops.bf16"] = SourceNote(
            source: "measured at run time: 2048³ fp32 sgemm (OpenBLAS), best of 3, \(threads) thread\(threads == 1 ? "" : "s")",
            date: date)
        let bandwidth = MemoryBandwidth.measureRead()
        cpu.hbmBandwidth = bandwidth
        cpu.scaleUp.bandwidth = bandwidth
        let read = SourceNote(source: "measured at run time: streaming read of 256 MiB, one thread, best of 5", date: date)
        cpu.sources["hbm_bandwidth"] = read
        cpu.sources["scale_up.bandwidth"] = read
        if let total = SystemMemory.totalBytes {
            cpu.hbmCapacity = Double(total)
            cpu.sources["hbm_capacity"] = SourceNote(source: "measured at run time: installed memory (MemTotal)", date: date)
        }
        return cpu
    }

    /// The `cpu` preset file as it is, or ``builtInCPU`` if the bundled files cannot be read.
    static var cpuFileValues: Accelerator {
        ((try? AcceleratorLibrary.shared.get()) ?? []).first { $0.name == cpuPresetName } ?? builtInCPU
    }

    /// The values of `cpu.json`, for a build whose resource bundle is missing (tests check
    /// that the two agree).
    static let builtInCPU: Accelerator = {
        let note = SourceNote(source: "built-in default (cpu.json unavailable)", date: "2026-11")
        let fields = ["peak_flops.bf16", "hbm_capacity", "hbm_bandwidth", "scale_up.bandwidth", "scale_up.latency",
                      "scale_up.domain_size", "scale_out.bandwidth", "scale_out.latency", "tdp", "price_per_hour",
                      "efficiency.compute.bf16", "efficiency.attention", "efficiency.memory", "efficiency.scale_up",
                      "efficiency.scale_out", "efficiency.kernel_overhead", "efficiency.usable_memory",
                      "cache_tier.bandwidth"]
        return Accelerator(
            name: cpuPresetName, summary: "This machine's CPU (fp32 sgemm on converted weights)",
            peakFlops: [.bf16: 97e9], hbmCapacity: 8e9, hbmBandwidth: 10e9,
            scaleUp: Interconnect(bandwidth: 10e9, latency: 1e-6, domainSize: 1),
            scaleOut: Interconnect(bandwidth: 0, latency: 1e-6, domainSize: .max),
            tdp: 0, pricePerHour: 0.10,
            efficiency: ServingEfficiency(compute: [.bf16: 1.0], attention: 0.5, memory: 1.0, scaleUp: 1.0,
                                          scaleOut: 1.0, kernelOverhead: 1e-6, usableMemory: 0.8),
            cacheTier: CacheTier(name: "local SSD", bandwidth: 1e9),
            sources: Dictionary(uniqueKeysWithValues: fields.map { ($0, note) }))
    }()

    /// `YYYY-MM-DD` of now, UTC.
    private static func todayUTC() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

/// The `cpu` preset, measured on first use (a static `let` is initialised once, thread-safely).
enum MeasuredCPU {
    static let shared = Accelerator.measuredCPU()
}
