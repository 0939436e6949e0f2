//===--- NPYError.swift - Why an .npy file was refused ---------------------===//

/// An error reading or writing a NumPy `.npy` file; each case names the file and the problem.
public enum NPYError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The file does not start with the `\x93NUMPY` magic string.
    case notNPY(path: String)
    /// A format version other than 1.0 or 2.0.
    case unsupportedVersion(path: String, major: UInt8, minor: UInt8)
    /// The header dictionary cannot be parsed.
    case malformedHeader(path: String, reason: String)
    /// The dtype is not the one expected (little-endian `<f4`, `<i4` and `<u2` are supported);
    /// `expected` lists those accepted here, separated by `", "`.
    case unsupportedDType(path: String, found: String, expected: String)
    /// The array is stored in Fortran (column-major) order.
    case fortranOrder(path: String)
    /// The file ends before the data the header announces.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The file holds bytes after the announced data.
    case trailingBytes(path: String, count: Int)
    /// The array has a shape other than the one required.
    case shapeMismatch(path: String, expected: String, actual: [Int])
    /// The data the header announces would not fit in the available memory; nothing was read.
    case insufficientMemory(path: String, InsufficientMemory)

    /// One line; text echoed from an input is escaped (``PrintableText/escaping(_:)``).
    public var description: String { PrintableText.escaping(text) }

    private var text: String {
        switch self {
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .notNPY(let path):
            return "\(path): not a NumPy .npy file (missing \\x93NUMPY magic)"
        case .unsupportedVersion(let path, let major, let minor):
            return "\(path): .npy format version \(major).\(minor) is not supported (use 1.0 or 2.0)"
        case .malformedHeader(let path, let reason):
            return "\(path): malformed .npy header: \(reason)"
        case .unsupportedDType(let path, let found, let expected):
            let accepted = expected.components(separatedBy: ", ").map { "'\($0)'" }
            let list = accepted.count < 2 ? accepted.joined() : accepted.dropLast().joined(separator: ", ") + " or " + accepted.last!
            return "\(path): dtype '\(found)' is not supported here; expected \(list)"
        case .fortranOrder(let path):
            return "\(path): Fortran-order arrays are not supported; save a C-contiguous array"
        case .truncated(let path, let expected, let actual):
            return "\(path): truncated: the header announces \(expected) data bytes, the file has \(actual)"
        case .trailingBytes(let path, let count):
            return "\(path): \(count) unexpected bytes after the array data"
        case .shapeMismatch(let path, let expected, let actual):
            let shape = "(" + actual.map(String.init).joined(separator: ", ") + ")"
            return "\(path): shape \(shape) does not match the required \(expected)"
        case .insufficientMemory(let path, let e):
            return "\(path): \(e)"
        }
    }
}
