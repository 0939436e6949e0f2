//===--- BLAS.swift - The few OpenBLAS entry points MoEKit uses -----------===//

import CBLAS

/// Access to the system OpenBLAS that MoEKit's GEMMs run on.
public enum BLAS {
    /// The number of threads OpenBLAS uses for the next call.
    ///
    /// On the 2-vCPU development machines the two vCPUs share one core's floating-point
    /// units, so 1 thread gives reproducible timings.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(clamping: max(1, newValue))) }
    }

    /// Runs `body` with OpenBLAS set to `threads` threads, then restores the previous setting.
    public static func withThreads<Result, Failure: Error>(
        _ threads: Int, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let saved = self.threads
        self.threads = threads
        defer { self.threads = saved }
        return try body()
    }

    /// OpenBLAS's build description, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH ... Cooperlake`.
    public static var configuration: String {
        String(cString: openblas_get_config()).trimmingCharacters(in: " ")
    }

    /// The CPU kernel family OpenBLAS selected at run time, e.g. `Cooperlake`.
    public static var coreName: String {
        String(cString: openblas_get_corename())
    }

    /// `C = A · Bᵀ` for row-major `A [m, k]`, `B [n, k]`, `C [m, n]` (float32), the layout of
    /// a linear layer's weight (`nn.Linear`: `[out, in]`).
    ///
    /// Calls `cblas_sgemv` when `m == 1` and `cblas_sgemm` otherwise. Does not check sizes:
    /// callers pass buffers of at least `m·k`, `n·k` and `m·n` elements.
    ///
    /// - Complexity: `2·m·n·k` FLOPs.
    public static func multiplyTransposed(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, b, Int32(k), a, 1, 0, c, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(k), 0, c, Int32(n))
        }
    }

    /// `C = A · B` for row-major `A [m, k]`, `B [k, n]`, `C [m, n]` (float32): the layout of
    /// MoEKit's packed expert weights and of the peak-throughput measurement.
    ///
    /// Calls `cblas_sgemv` when `m == 1` (3× faster than a one-row `sgemm` on one Zen 4 core:
    /// 4.6 vs 15.0 ms for `k = 7168`, `n = 4096`) and
    /// `cblas_sgemm` otherwise. Does not check sizes.
    ///
    /// - Complexity: `2·m·n·k` FLOPs.
    public static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, b, Int32(n), a, 1, 0, c, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
