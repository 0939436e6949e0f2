//===--- NPYHeader.swift - The dictionary at the start of an .npy file ----===//

/// The parsed header dictionary of an `.npy` file.
struct NPYHeader: Equatable {
    var descriptor: String
    var fortranOrder: Bool
    var shape: [Int]

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    init(parsing text: String, path: String) throws(NPYError) {
        var scanner = Scanner(Array(text.utf8))
        func fail(_ reason: String) -> NPYError { .malformedHeader(path: path, reason: reason) }
        var descriptor: String?, fortran: Bool?, shape: [Int]?
        guard scanner.take(UInt8(ascii: "{")) else { throw fail("expected '{'") }
        while true {
            if scanner.take(UInt8(ascii: "}")) { break }
            guard let key = scanner.quoted() else { throw fail("expected a quoted key") }
            guard scanner.take(UInt8(ascii: ":")) else { throw fail("expected ':' after '\(key)'") }
            switch key {
            case "descr":
                guard let d = scanner.quoted() else { throw fail("'descr' must be a string") }
                descriptor = d
            case "fortran_order":
                if scanner.word("True") { fortran = true }
                else if scanner.word("False") { fortran = false }
                else { throw fail("'fortran_order' must be True or False") }
            case "shape":
                guard scanner.take(UInt8(ascii: "(")) else { throw fail("'shape' must be a tuple") }
                var dims: [Int] = []
                while !scanner.take(UInt8(ascii: ")")) {
                    guard let d = scanner.integer() else { throw fail("'shape' must hold non-negative integers") }
                    dims.append(d)
                    if !scanner.take(UInt8(ascii: ",")) {
                        guard scanner.take(UInt8(ascii: ")")) else { throw fail("unterminated 'shape'") }
                        break
                    }
                }
                shape = dims
            default:
                throw fail("unexpected key '\(key)'")
            }
            if !scanner.take(UInt8(ascii: ",")) {
                guard scanner.take(UInt8(ascii: "}")) else { throw fail("expected ',' or '}'") }
                break
            }
        }
        guard let descriptor else { throw fail("missing 'descr'") }
        guard let fortran else { throw fail("missing 'fortran_order'") }
        guard let shape else { throw fail("missing 'shape'") }
        self.descriptor = descriptor
        self.fortranOrder = fortran
        self.shape = shape
    }

    /// A minimal scanner over the ASCII header; skips spaces before each token.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A { position += 1 }
        }
        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }
        mutating func word(_ w: String) -> Bool {
            skipSpace()
            let u = Array(w.utf8)
            guard position + u.count <= bytes.count, Array(bytes[position..<(position + u.count)]) == u else { return false }
            position += u.count
            return true
        }
        mutating func quoted() -> String? {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") else { return nil }
            let quote = bytes[position]
            let start = position + 1
            var end = start
            while end < bytes.count, bytes[end] != quote { end += 1 }
            guard end < bytes.count else { return nil }
            position = end + 1
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        mutating func integer() -> Int? {
            skipSpace()
            var value = 0, digits = 0
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(bytes[position] - 0x30))
                if o1 || o2 { return nil }
                value = a
                digits += 1
                position += 1
            }
            // NumPy writes Python ints; a trailing 'L' (Python 2) is accepted.
            if digits > 0, position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }
            return digits > 0 ? value : nil
        }
    }
}
