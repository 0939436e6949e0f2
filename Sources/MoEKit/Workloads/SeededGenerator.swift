//===--- SeededGenerator.swift - Reproducible random inputs ----------------===//

/// A small, fast, seedable random number generator (SplitMix64, Steele, Lea and Flood,
/// "Fast splittable pseudorandom number generators", OOPSLA 2014), so benchmarks and
/// synthetic workloads are the same on every run and every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; equal seeds give equal sequences.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniformly distributed in `[-1, 1)`, from the top 24 bits.
    @inline(__always)
    public mutating func nextSignedUnitFloat() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) * 0x1p-23
    }

    /// Fills `buffer` with uniform values in `[-scale, scale)`.
    ///
    /// - Complexity: O(`buffer.count`).
    public mutating func fill(_ buffer: UnsafeMutableBufferPointer<Float>, scale: Float = 1) {
        for i in buffer.indices { buffer[i] = scale * nextSignedUnitFloat() }
    }

    /// `count` uniform values in `[-scale, scale)`.
    public mutating func uniformFloats(count: Int, scale: Float = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer, scale: scale)
            initialized = count
        }
    }
}
