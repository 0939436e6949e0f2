//===--- Accelerator+Overrides.swift - Replacing a preset's numbers -------===//
//
// The values a user may set over a preset or file (a negotiated price, a faster NIC, a
// measured efficiency). Each is validated by the rule of its field in the file schema, and
// its source becomes "command line override".
//
//===----------------------------------------------------------------------===//

/// Numbers to set on an ``Accelerator``; `nil` keeps the accelerator's own value.
///
/// Units as in ``Accelerator``: bytes, bytes per second per direction, seconds, FLOP/s
/// (dense), US dollars per device-hour; efficiencies are fractions in [0.001, 1].
public struct AcceleratorOverrides: Hashable, Sendable {
    /// Price per device-hour, US dollars (`price_per_hour`).
    public var pricePerHour: Double?
    /// HBM bandwidth, bytes per second (`hbm_bandwidth`).
    public var hbmBandwidth: Double?
    /// HBM capacity, bytes (`hbm_capacity`).
    public var hbmCapacity: Double?
    /// Dense peak FLOP/s per format, replacing or adding entries (`peak_flops.<format>`).
    public var peakFlops: [ComputeFormat: Double]
    /// Scale-up bandwidth per device and direction, bytes per second (`scale_up.bandwidth`).
    public var scaleUpBandwidth: Double?
    /// Scale-out bandwidth per device and direction, bytes per second; 0 means no network
    /// (`scale_out.bandwidth`).
    public var scaleOutBandwidth: Double?
    /// Fixed cost of one scale-up collective call, seconds (`scale_up.latency`).
    public var scaleUpLatency: Double?
    /// Fixed cost of one scale-out collective call, seconds (`scale_out.latency`).
    public var scaleOutLatency: Double?
    /// Devices in the scale-up domain, at least 1 (`scale_up.domain_size`).
    public var scaleUpDomain: Int?
    /// Fraction of the HBM bandwidth memory-bound kernels reach (`efficiency.memory`).
    public var memoryEfficiency: Double?
    /// Fraction of peak compute-bound GEMMs reach, per format, replacing or adding entries
    /// (`efficiency.compute.<format>`).
    public var computeEfficiency: [ComputeFormat: Double]
    /// Cache-tier read bandwidth per device, bytes per second (`cache_tier.bandwidth`).
    public var cacheBandwidth: Double?

    /// Overrides of the given values; every one defaults to none.
    public init(pricePerHour: Double? = nil, hbmBandwidth: Double? = nil, hbmCapacity: Double? = nil,
                peakFlops: [ComputeFormat: Double] = [:], scaleUpBandwidth: Double? = nil,
                scaleOutBandwidth: Double? = nil, scaleUpLatency: Double? = nil, scaleOutLatency: Double? = nil,
                scaleUpDomain: Int? = nil, memoryEfficiency: Double? = nil,
                computeEfficiency: [ComputeFormat: Double] = [:], cacheBandwidth: Double? = nil) {
        self.pricePerHour = pricePerHour
        self.hbmBandwidth = hbmBandwidth
        self.hbmCapacity = hbmCapacity
        self.peakFlops = peakFlops
        self.scaleUpBandwidth = scaleUpBandwidth
        self.scaleOutBandwidth = scaleOutBandwidth
        self.scaleUpLatency = scaleUpLatency
        self.scaleOutLatency = scaleOutLatency
        self.scaleUpDomain = scaleUpDomain
        self.memoryEfficiency = memoryEfficiency
        self.computeEfficiency = computeEfficiency
        self.cacheBandwidth = cacheBandwidth
    }

    /// Whether no value is set.
    public var isEmpty: Bool { self == AcceleratorOverrides() }
}

extension SourceNote {
    /// The source of a value set by ``AcceleratorOverrides``.
    public static let override = SourceNote(source: "command line override", date: "override")
}

extension Accelerator {
    /// This accelerator with the values `overrides` sets; each changed field's source becomes
    /// ``SourceNote/override`` (keyed by its field path, as in ``sources``).
    ///
    /// Values follow the rules of a file: finite; positive, except that the scale-out
    /// bandwidth may be 0 (no network); a domain of at least 1; efficiencies in [0.001, 1];
    /// bandwidths and capacities at most 1e15, peak FLOP/s 1e18, latencies 1 s, the price 1e6.
    ///
    /// - Throws: ``AcceleratorError/invalidOverride(field:value:reason:)`` naming the field path
    ///   (`scale_up.bandwidth`, `peak_flops.fp8`) of the first value out of range; fields are
    ///   checked in declaration order, formats in ``ComputeFormat`` order.
    public func applying(_ overrides: AcceleratorOverrides) throws(AcceleratorError) -> Accelerator {
        var a = self
        func checked(_ value: Double, _ path: String) throws(AcceleratorError) -> Double {
            switch FieldRule.of(path).violation(value) {
            case nil: break
            case .negative: throw .invalidOverride(field: path, value: value, reason: "must not be negative")
            case .invalid(let reason): throw .invalidOverride(field: path, value: value, reason: reason)
            }
            a.sources[path] = .override
            return value
        }
        let o = overrides
        if let v = o.pricePerHour { a.pricePerHour = try checked(v, "price_per_hour") }
        if let v = o.hbmBandwidth { a.hbmBandwidth = try checked(v, "hbm_bandwidth") }
        if let v = o.hbmCapacity { a.hbmCapacity = try checked(v, "hbm_capacity") }
        for format in ComputeFormat.allCases {
            if let v = o.peakFlops[format] { a.peakFlops[format] = try checked(v, "peak_flops.\(format)") }
        }
        if let v = o.scaleUpBandwidth { a.scaleUp.bandwidth = try checked(v, "scale_up.bandwidth") }
        if let v = o.scaleOutBandwidth { a.scaleOut.bandwidth = try checked(v, "scale_out.bandwidth") }
        if let v = o.scaleUpLatency { a.scaleUp.latency = try checked(v, "scale_up.latency") }
        if let v = o.scaleOutLatency { a.scaleOut.latency = try checked(v, "scale_out.latency") }
        if let v = o.scaleUpDomain { a.scaleUp.domainSize = Int(try checked(Double(v), "scale_up.domain_size")) }
        if let v = o.memoryEfficiency { a.efficiency.memory = try checked(v, "efficiency.memory") }
        for format in ComputeFormat.allCases {
            if let v = o.computeEfficiency[format] {
                a.efficiency.compute[format] = try checked(v, "efficiency.compute.\(format)")
            }
        }
        if let v = o.cacheBandwidth { a.cacheTier.bandwidth = try checked(v, "cache_tier.bandwidth") }
        return a
    }
}
