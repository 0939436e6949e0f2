//===--- NPYArray.swift - A C-ordered array read from or for an .npy file -===//

/// A scalar type MoEKit reads and writes in `.npy` files.
public protocol NPYScalar: Sendable {
    /// The NumPy dtype string, little-endian (`<f4`, `<i4`, `<u2`).
    static var npyDescriptor: String { get }
    /// Bytes per element in the file: 2 or 4.
    static var npyByteCount: Int { get }
    /// The scalar's bit pattern, for little-endian encoding (the low `npyByteCount` bytes).
    var npyBits: UInt32 { get }
    /// The scalar with this bit pattern.
    init(npyBits: UInt32)
}

extension NPYScalar {
    /// The scalar's size in memory (`MemoryLayout<Self>.size`), which the file's matches.
    public static var npyByteCount: Int { MemoryLayout<Self>.size }
}

extension Float: NPYScalar {
    public static var npyDescriptor: String { "<f4" }
    public var npyBits: UInt32 { bitPattern }
    public init(npyBits: UInt32) { self.init(bitPattern: npyBits) }
}

extension Int32: NPYScalar {
    public static var npyDescriptor: String { "<i4" }
    public var npyBits: UInt32 { UInt32(bitPattern: self) }
    public init(npyBits: UInt32) { self.init(bitPattern: npyBits) }
}

/// `<u2`: also how bf16 data is stored portably (its raw bits, `array.view(np.uint16)`).
extension UInt16: NPYScalar {
    public static var npyDescriptor: String { "<u2" }
    public var npyBits: UInt32 { UInt32(self) }
    public init(npyBits: UInt32) { self.init(truncatingIfNeeded: npyBits) }
}

/// A row-major (C-order) array with its shape, as stored in a NumPy `.npy` file.
public struct NPYArray<Scalar: NPYScalar>: Sendable {
    /// The dimensions, outermost first; `[]` is a scalar.
    public var shape: [Int]
    /// The elements in C order; `values.count` is the product of `shape`.
    public var values: [Scalar]

    /// Creates an array; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Scalar]) {
        precondition(shape.reduce(1, *) == values.count, "values do not fill the shape")
        self.shape = shape
        self.values = values
    }
}

extension NPYArray: Equatable where Scalar: Equatable {}
