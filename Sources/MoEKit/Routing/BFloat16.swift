//===--- BFloat16.swift - bf16 conversion and the bf16 kernel's selection --===//

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _MoEKitKernels

/// bfloat16 helpers: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits).
public enum BFloat16 {
    /// The bf16 bit patterns of `values`, each rounded to nearest, ties to even (NaN stays
    /// NaN; a finite value above the largest bf16, about 3.39e38, rounds to infinity).
    /// - Complexity: O(*n*).
    public static func rounded(_ values: [Float]) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                if let source = v.baseAddress, let destination = out.baseAddress {
                    moekit_f32_to_bf16(source, v.count, destination)
                }
            }
            initialized = values.count
        }
    }

    /// The float32 value of bf16 bits `bits` (exact).
    public static func float(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The index of the first NaN or infinite bf16 value, or `nil`.
    public static func firstNonFinite(_ bits: [UInt16]) -> Int? {
        bits.withUnsafeBufferPointer { b -> Int? in
            guard let base = b.baseAddress else { return nil }
            var index = 0
            return moekit_bf16_first_nonfinite(base, b.count, &index) == MOEKIT_NONFINITE ? index : nil
        }
    }

    /// Which bf16 GEMM kernel runs.
    public enum Kernel: String, CaseIterable, Hashable, Sendable {
        /// AMX-BF16 tiles (`tdpbf16ps`: 16 × 16 results, 32 products each, per instruction),
        /// on Linux where the CPU has AMX and the kernel grants the process the tile state.
        /// Sums 16 pairs per step in the instruction's own order, so its float32 results
        /// differ from the other two kernels' in the last bits.
        case amx = "AMX-BF16"
        /// AVX512-BF16: `vdpbf16ps`, one instruction per 16 lanes × 2 products.
        case avx512bf16 = "AVX512-BF16"
        /// Portable vector C (AVX-512F, AVX2+FMA or SSE2, chosen at load time): bf16 widened
        /// by a shift, then multiply-adds. The same sums as `vdpbf16ps` except that the
        /// instruction flushes subnormal values (below 2^-126) to zero.
        case portable

        /// Whether this CPU can run the kernel.
        public var isAvailable: Bool {
            switch self {
            case .amx: moekit_bf16_amx_available() != 0
            case .avx512bf16: moekit_bf16_native_available() != 0
            case .portable: true
            }
        }

        /// The kernel ``RouterGEMM`` uses: the first available of AMX-BF16, AVX512-BF16 and
        /// portable. The environment, read once at first use, can choose:
        /// `MOEKIT_BF16_KERNEL=amx|avx512bf16|portable` (ignored when unavailable), and
        /// `MOEKIT_FORCE_PORTABLE=1` forces the portable kernel.
        public static let selected: Kernel = {
            if let force = getenv("MOEKIT_FORCE_PORTABLE"), String(cString: force) == "1" { return .portable }
            func key(_ text: String) -> String { String(text.lowercased().filter { $0 != "-" }) }
            if let name = getenv("MOEKIT_BF16_KERNEL").map({ key(String(cString: $0)) }), !name.isEmpty,
               let kernel = allCases.first(where: { key($0.rawValue).hasPrefix(name) }), kernel.isAvailable {
                return kernel
            }
            return allCases.first(where: \.isAvailable) ?? .portable
        }()

        var code: Int32 {
            switch self {
            case .amx: MOEKIT_BF16_KERNEL_AMX
            case .avx512bf16: MOEKIT_BF16_KERNEL_NATIVE
            case .portable: MOEKIT_BF16_KERNEL_PORTABLE
            }
        }
    }

    /// The register-only `vdpbf16ps` throughput of one thread, in FLOP/s (16 lanes × 2
    /// multiply-adds = 64 FLOPs per instruction): the ceiling of the AVX512-BF16 kernel.
    /// `nil` where the CPU has no AVX512-BF16.
    ///
    /// - Parameters:
    ///   - iterations: Rounds of 16 independent instructions per timed run.
    ///   - repetitions: Timed runs after one warm-up; the fastest counts.
    public static func peakDotProduct(iterations: Int = 2_000_000, repetitions: Int = 3) -> Double? {
        guard Kernel.avx512bf16.isAvailable else { return nil }
        let n = max(1, iterations)
        var sink: Float = 0
        let time = measure(repetitions: repetitions, minimumSampleSeconds: 0) { sink += moekit_bf16_dot_peak_loop(n) }
        withExtendedLifetime(sink) {}
        return 1024 * Double(n) / time.minimum
    }
}
