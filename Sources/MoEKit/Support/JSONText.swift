//===--- JSONText.swift - JSON text to JSONValue, in linear time ----------===//
//
// A small recursive-descent parser for the JSON files MoEKit reads (config.json, accelerator
// files, balance reports), in place of JSONDecoder: one pass over the bytes, so time and
// memory grow linearly with the input; nesting bounded (a 61 KB file of nested arrays took
// 43 s through JSONDecoder's single-value containers); every error has a line and a column
// and is worded here, never by Foundation.
//
// Grammar: RFC 8259. Accepted beyond it: a leading UTF-8 byte-order mark. Duplicate keys:
// the last one wins (as Python's json module does). Numbers become Double; literals longer
// than 1,000 characters or outside the Double range are refused.
//
//===----------------------------------------------------------------------===//

/// A JSON value, parsed so that booleans, numbers and strings stay distinct.
enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The deepest nesting of arrays and objects accepted (a config.json nests about 5 deep).
    static let maximumDepth = 64

    /// Why a text is not JSON, and where.
    struct SyntaxError: Error, Equatable {
        /// What is wrong, in a few words.
        var reason: String
        /// 1-based line and column (in characters) of the offending text; `nil` for an
        /// error about the whole document.
        var line: Int?
        var column: Int?
        /// Whether nesting went deeper than ``JSONValue/maximumDepth``.
        var tooDeep = false

        /// `line 3, column 14: expected ',' or '}'`.
        var message: String {
            guard let line, let column else { return reason }
            return "line \(line), column \(column): \(reason)"
        }
    }

    /// Parses `bytes` as one JSON value.
    ///
    /// - Complexity: O(*n*) time and memory for *n* bytes.
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(SyntaxError) -> JSONValue {
        var parser = JSONTextParser(Array(bytes))
        return try parser.document()
    }

    /// Parses `bytes` as a JSON object.
    static func decodeObject<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(SyntaxError) -> [String: JSONValue] {
        guard case .object(let object) = try parse(bytes) else {
            throw SyntaxError(reason: "the top level is not an object")
        }
        return object
    }
}

/// The parser's state: the bytes and a position in them.
private struct JSONTextParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static let longestNumber = 1000

    mutating func document() throws(JSONValue.SyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        skipSpace()
        guard position < bytes.count else { throw fail("the file is empty") }
        let value = try value()
        skipSpace()
        guard position == bytes.count else { throw fail("unexpected \(describe(position)) after the JSON value") }
        return value
    }

    // MARK: Values

    mutating func value() throws(JSONValue.SyntaxError) -> JSONValue {
        guard position < bytes.count else { throw fail("unexpected end of file, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected \(describe(position)), expected a value")
        }
    }

    mutating func object() throws(JSONValue.SyntaxError) -> JSONValue {
        try enter()
        position += 1
        var members: [String: JSONValue] = [:]
        skipSpace()
        if take(UInt8(ascii: "}")) { depth -= 1; return .object(members) }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw fail(position < bytes.count ? "expected a string key, found \(describe(position))" : "unexpected end of file inside an object")
            }
            let key = try string()
            skipSpace()
            guard take(UInt8(ascii: ":")) else { throw fail("expected ':' after the key \"\(PrintableText.escaping(key))\"") }
            skipSpace()
            members[key] = try value()
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            if take(UInt8(ascii: "}")) { break }
            throw fail(position < bytes.count ? "expected ',' or '}' in an object, found \(describe(position))" : "unexpected end of file inside an object")
        }
        depth -= 1
        return .object(members)
    }

    mutating func array() throws(JSONValue.SyntaxError) -> JSONValue {
        try enter()
        position += 1
        var items: [JSONValue] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { depth -= 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            if take(UInt8(ascii: "]")) { break }
            throw fail(position < bytes.count ? "expected ',' or ']' in an array, found \(describe(position))" : "unexpected end of file inside an array")
        }
        depth -= 1
        return .array(items)
    }

    mutating func enter() throws(JSONValue.SyntaxError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else {
            var error = fail("arrays and objects nested deeper than \(JSONValue.maximumDepth) levels")
            error.tooDeep = true
            throw error
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONValue.SyntaxError) {
        let start = position
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - position >= text.count, bytes[position..<(position + text.count)].elementsEqual(text) else {
            throw fail("unexpected \(describe(start)), expected a value", at: start)
        }
        position += text.count
    }

    /// A number literal per the JSON grammar, as the nearest Double.
    mutating func number() throws(JSONValue.SyntaxError) -> Double {
        let start = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - from
        }
        _ = take(UInt8(ascii: "-"))
        let integer = digits()
        guard integer > 0 else { throw fail("a number needs a digit after '-'") }
        if integer > 1 && bytes[position - integer] == UInt8(ascii: "0") {
            throw fail("a number must not start with 0", at: position - integer)
        }
        if take(UInt8(ascii: ".")) {
            guard digits() > 0 else { throw fail("a number needs a digit after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() > 0 else { throw fail("a number needs a digit in its exponent") }
        }
        guard position - start <= Self.longestNumber else {
            throw fail("a number of \(position - start) characters is longer than \(Self.longestNumber)", at: start)
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail("the number \(text) is outside the float64 range", at: start) }
        return value
    }

    /// A string literal, escapes decoded; the position is at its opening quote.
    mutating func string() throws(JSONValue.SyntaxError) -> String {
        let start = position
        position += 1
        var utf8: [UInt8] = []
        var segment = position
        while true {
            guard position < bytes.count else { throw fail("unexpected end of file inside a string", at: start) }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw fail("a control character (\(describe(position))) inside a string must be escaped") }
            if byte != UInt8(ascii: "\\") { position += 1; continue }
            utf8.append(contentsOf: bytes[segment..<position])
            position += 1
            guard position < bytes.count else { throw fail("unexpected end of file inside a string", at: start) }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")) else { throw fail("unpaired surrogate in a \\u escape") }
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("unpaired surrogate in a \\u escape")
                }
                utf8.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
            default:
                throw fail("unknown escape sequence in a string", at: position - 2)
            }
            segment = position
        }
        utf8.append(contentsOf: bytes[segment..<position])
        position += 1
        guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("a string is not valid UTF-8", at: start) }
        return text
    }

    mutating func hex4() throws(JSONValue.SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count, let digit = Self.hexDigit(bytes[position]) else {
                throw fail("a \\u escape needs four hexadecimal digits")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: Positions and errors

    mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// The character at `offset`, quoted and escaped: `'x'`, `'\u{1B}'`, `end of file`.
    func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of file" }
        var end = offset + 1
        while end < bytes.count, end - offset < 4, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + PrintableText.escaping(String(decoding: bytes[offset..<end], as: UTF8.self)) + "'"
    }

    /// An error at `offset` (the current position by default) with its line and column.
    func fail(_ reason: String, at offset: Int? = nil) -> JSONValue.SyntaxError {
        let at = min(offset ?? position, bytes.count)
        var line = 1, column = 1
        for byte in bytes[0..<at] {
            if byte == 0x0A { line += 1; column = 1 }
            else if byte & 0xC0 != 0x80 { column += 1 }     // count characters, not bytes
        }
        return JSONValue.SyntaxError(reason: reason, line: line, column: column)
    }
}
