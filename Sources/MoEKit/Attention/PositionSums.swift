//===--- PositionSums.swift - Closed-form sums over query positions -------===//
//
// Prefill costs are sums over query positions t = 1…n of per-query terms such as min(t, W)
// or ⌊t/m⌋. These are their closed forms, in Double so that n up to 2^40 cannot overflow
// (exact while results stay below 2^53).
//
//===----------------------------------------------------------------------===//

/// Closed-form sums over positions t = 1…n.
public enum PositionSums {
    /// Σ_{t=1}^{n} t = n(n+1)/2.
    @inlinable
    public static func triangle(_ n: Int) -> Double {
        let d = Double(n)
        return d * (d + 1) / 2
    }

    /// Σ_{t=1}^{n} min(t, cap): a triangle up to `cap`, then `cap` per position.
    @inlinable
    public static func cappedPositions(_ n: Int, cap: Int) -> Double {
        if n <= cap { return triangle(n) }
        return triangle(cap) + Double(n - cap) * Double(cap)
    }

    /// Σ_{t=1}^{n} ⌊t/m⌋, the compressed entries visible summed over positions.
    ///
    /// With q = ⌊n/m⌋ and r = n mod m: each j in 1…q−1 appears m times and q appears r+1
    /// times, so the sum is m·q(q−1)/2 + q(r+1).
    @inlinable
    public static func compressedEntries(_ n: Int, ratio m: Int) -> Double {
        let q = n / m, r = n % m
        let dq = Double(q)
        return Double(m) * dq * (dq - 1) / 2 + dq * Double(r + 1)
    }

    /// Σ_{t=1}^{n} min(⌊t/m⌋, cap): compressed entries with top-`cap` selection.
    ///
    /// ⌊t/m⌋ reaches `cap` at t = cap·m; from there every position contributes `cap`.
    @inlinable
    public static func selectedCompressedEntries(_ n: Int, ratio m: Int, cap: Int) -> Double {
        let threshold = cap * m
        if n < threshold { return compressedEntries(n, ratio: m) }
        return compressedEntries(threshold - 1, ratio: m) + Double(cap) * Double(n - threshold + 1)
    }

    /// Tokens a query at position t sees under chunked attention with chunks of `chunk`
    /// tokens: the tokens of its own chunk up to itself, `((t − 1) mod C) + 1` (0 for t ≤ 0;
    /// a `chunk` ≤ 0 means no chunking, t).
    @inlinable
    public static func chunkPosition(_ t: Int, chunk: Int) -> Int {
        guard t > 0 else { return 0 }
        return chunk > 0 ? (t - 1) % chunk + 1 : t
    }

    /// Σ_{t=1}^{n} (((t − 1) mod C) + 1), the keys visible summed over positions under
    /// chunked attention (the triangle when `chunk` ≤ 0: no chunking).
    ///
    /// With q = ⌊n/C⌋ complete chunks and r = n mod C tokens of the last one: each complete
    /// chunk contributes the triangle C(C+1)/2 and the partial chunk r(r+1)/2.
    @inlinable
    public static func chunkedPositions(_ n: Int, chunk: Int) -> Double {
        guard n > 0 else { return 0 }
        guard chunk > 0 else { return triangle(n) }
        let q = n / chunk, r = n % chunk
        return Double(q) * triangle(chunk) + triangle(r)
    }
}
