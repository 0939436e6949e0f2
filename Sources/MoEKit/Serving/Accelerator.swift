//===--- Accelerator.swift - What one device can do, as data --------------===//
//
// One accelerator (a GPU, one NPU die pair, or this CPU): peak FLOP/s per format, HBM,
// scale-up and scale-out links, power, a price, and the achieved-efficiency factors of the
// step model. Presets are the JSON files in Resources/Accelerators; every number there carries
// its source and date (Accelerator+Loading.swift).
//
//===----------------------------------------------------------------------===//

/// A numeric format an accelerator multiplies in.
public enum ComputeFormat: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// bfloat16 (FP16 where the device's BF16 rate is the same).
    case bf16
    /// FP8 (e4m3 / e5m2).
    case fp8
    /// FP4 (NVFP4, MXFP4).
    case fp4
    /// INT8.
    case int8

    public var description: String { rawValue }
}

/// Where a number of an ``Accelerator`` comes from.
public struct SourceNote: Hashable, Sendable {
    /// The document, dataset or measurement the number comes from.
    public var source: String
    /// When the source was published or read (`YYYY-MM-DD`, or `YYYY-MM`).
    public var date: String

    /// A source and its date.
    public init(source: String, date: String) {
        self.source = source
        self.date = date
    }
}

/// A link between devices: bandwidth per direction, a fixed latency per message, and the
/// number of devices it connects.
public struct Interconnect: Hashable, Sendable {
    /// Peak bandwidth per device and per direction, bytes per second.
    public var bandwidth: Double
    /// Fixed cost of one collective call (a dispatch, a combine, an all-reduce), seconds.
    public var latency: Double
    /// Devices that reach each other over this link (the scale-up domain: 8 for an HGX node,
    /// 72 for an NVL72 rack, 384 two-die packages for a CloudMatrix384, whose preset
    /// `ascend-910c` is one package). For scale-out, `Int.max`.
    public var domainSize: Int

    /// A link of `bandwidth` bytes/s per direction, `latency` seconds per call, `domainSize` devices.
    public init(bandwidth: Double, latency: Double, domainSize: Int) {
        self.bandwidth = bandwidth
        self.latency = latency
        self.domainSize = domainSize
    }
}

/// The fractions of peak a serving step reaches, and fixed overheads: the only tuned numbers of
/// the step model, one set per accelerator, shared by every model.
///
/// They are end-to-end factors of a serving engine, not kernel-benchmark peaks: a step also
/// pays synchronisation, kernels too small to fill the device and imperfect overlap. Each is
/// at or below the achieved fraction published for real kernels on that hardware (DeepGEMM,
/// FlashMLA, DeepEP, TRT-LLM, MORI; cited in the preset files).
public struct ServingEfficiency: Hashable, Sendable {
    /// Fraction of ``Accelerator/peakFlops`` a GEMM reaches when compute-bound, per format.
    /// A format without an entry uses the smallest given.
    public var compute: [ComputeFormat: Double]
    /// Fraction of the peak the attention core (FlashMLA, FlashAttention) reaches when
    /// compute-bound: of the FP8 peak when the KV cache is FP8 and the device has FP8, else of
    /// the BF16 peak.
    public var attention: Double
    /// Fraction of the HBM bandwidth a memory-bound kernel reaches.
    public var memory: Double
    /// Fraction of the scale-up bandwidth an all-to-all or all-reduce reaches.
    public var scaleUp: Double
    /// Fraction of the scale-out bandwidth an all-to-all reaches.
    public var scaleOut: Double
    /// Fixed cost of one kernel launch, seconds (CUDA graphs make it small, not zero).
    public var kernelOverhead: Double
    /// Fraction of the HBM capacity a serving engine can fill with weights, KV cache and
    /// buffers (the rest: runtime, allocator slack; SGLang's `mem_fraction_static`).
    public var usableMemory: Double

    /// Factors as listed; see each property.
    public init(compute: [ComputeFormat: Double], attention: Double, memory: Double, scaleUp: Double,
                scaleOut: Double, kernelOverhead: Double, usableMemory: Double) {
        self.compute = compute
        self.attention = attention
        self.memory = memory
        self.scaleUp = scaleUp
        self.scaleOut = scaleOut
        self.kernelOverhead = kernelOverhead
        self.usableMemory = usableMemory
    }

    /// The compute fraction for `format` (the smallest given when the format has no entry).
    public func compute(_ format: ComputeFormat) -> Double {
        compute[format] ?? compute.values.min() ?? 0
    }
}

/// Where the KV cache of a reused prompt prefix comes back from (DeepSeek: 3FS, an SSD cluster
/// reached over the scale-out network).
public struct CacheTier: Hashable, Sendable {
    /// What the tier is (`"SSD over the scale-out NIC (3FS-style)"`).
    public var name: String
    /// Read bandwidth per device, bytes per second (already achievable, no further factor).
    public var bandwidth: Double

    /// A tier called `name` read at `bandwidth` bytes/s per device.
    public init(name: String, bandwidth: Double) {
        self.name = name
        self.bandwidth = bandwidth
    }
}

/// One device of a serving deployment: what it computes, stores and moves per second, what it
/// costs, and how close to peak a serving step gets.
///
/// Units: FLOP/s (dense, no 2:4 sparsity), bytes (decimal: 1 GB = 10⁹ B), bytes per second per
/// direction, seconds, watts, US dollars per device-hour.
///
/// ```swift
/// var h200 = try Accelerator.preset(named: "h200")
/// h200.pricePerHour = 2.3
/// print(h200.peakFlops[.fp8]!, h200.hbmBandwidth)
/// ```
public struct Accelerator: Hashable, Sendable {
    /// Preset name (`h200`) or the name in a user's file.
    public var name: String
    /// One line: maker, product, memory (`NVIDIA H200 SXM 141 GB`).
    public var summary: String
    /// Dense peak FLOP/s per format; a format the hardware lacks has no entry.
    public var peakFlops: [ComputeFormat: Double]
    /// HBM capacity, bytes.
    public var hbmCapacity: Double
    /// HBM bandwidth, bytes per second.
    public var hbmBandwidth: Double
    /// Scale-up fabric (NVLink, Infinity Fabric, HCCS/UB).
    public var scaleUp: Interconnect
    /// Scale-out network (InfiniBand / RoCE NIC per device).
    public var scaleOut: Interconnect
    /// Board power, watts (0 where unpublished).
    public var tdp: Double
    /// Default price per device-hour, US dollars.
    public var pricePerHour: Double
    /// Achieved-efficiency factors of the step model.
    public var efficiency: ServingEfficiency
    /// Where cached prompt prefixes are read back from.
    public var cacheTier: CacheTier
    /// The source of each number, keyed by its field path in the preset file
    /// (`peak_flops.fp8`, `hbm_bandwidth`, `efficiency.memory`, …).
    public var sources: [String: SourceNote]

    /// An accelerator from its parts; most callers load a preset or a file instead.
    public init(name: String, summary: String, peakFlops: [ComputeFormat: Double], hbmCapacity: Double,
                hbmBandwidth: Double, scaleUp: Interconnect, scaleOut: Interconnect, tdp: Double,
                pricePerHour: Double, efficiency: ServingEfficiency, cacheTier: CacheTier,
                sources: [String: SourceNote] = [:]) {
        self.name = name
        self.summary = summary
        self.peakFlops = peakFlops
        self.hbmCapacity = hbmCapacity
        self.hbmBandwidth = hbmBandwidth
        self.scaleUp = scaleUp
        self.scaleOut = scaleOut
        self.tdp = tdp
        self.pricePerHour = pricePerHour
        self.efficiency = efficiency
        self.cacheTier = cacheTier
        self.sources = sources
    }

    /// The format a GEMM runs in when its weights are stored as `weights`: the fastest format
    /// this device has that holds the weights exactly — their own format, or a wider one they
    /// convert to without loss (FP4 → FP8 → BF16; FP8 → BF16; INT8 → BF16). INT4 weight-only
    /// checkpoints run in BF16 (W4A16). So B300, whose INT8 rate is a tenth of its BF16 rate,
    /// runs INT8 weights in BF16.
    public func computeFormat(for weights: WeightFormat) -> ComputeFormat {
        let exact: [ComputeFormat]
        switch weights {
        case .bf16, .int4: exact = [.bf16]
        case .fp8: exact = [.fp8, .bf16]
        case .int8: exact = [.int8, .bf16]
        case .mxfp4, .nvfp4: exact = [.fp4, .fp8, .bf16]
        }
        return exact.filter { peakFlops[$0] != nil }.max { peakFlops[$0]! < peakFlops[$1]! } ?? .bf16
    }

    /// Peak FLOP/s in `format` (the BF16 peak when the device lacks the format).
    public func peak(_ format: ComputeFormat) -> Double {
        peakFlops[format] ?? peakFlops[.bf16] ?? 0
    }
}
