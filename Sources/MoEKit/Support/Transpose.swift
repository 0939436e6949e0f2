//===--- Transpose.swift - Tiled matrix transpose into a strided buffer ---===//

/// Writes `source` `[rows, columns]` (row-major) transposed: element `(r, c)` goes to
/// `destination[c · destinationStride + r]`, in 32 × 32 tiles. A stride above `rows` places
/// the transpose in the left columns of a wider matrix (the gate and up halves of
/// ``SwiGLUExperts/gateUp``).
///
/// - Complexity: O(`rows · columns`), no allocation.
func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int,
               into destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
    let tile = 32
    for r0 in stride(from: 0, to: rows, by: tile) {
        for c0 in stride(from: 0, to: columns, by: tile) {
            for r in r0..<min(r0 + tile, rows) {
                for c in c0..<min(c0 + tile, columns) {
                    destination[c * destinationStride + r] = source[r * columns + c]
                }
            }
        }
    }
}
