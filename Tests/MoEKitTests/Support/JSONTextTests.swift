//===--- JSONTextTests.swift - The JSON parser, its bounds and its errors --===//

import Foundation
import Testing
@testable import MoEKit

/// Whether `value` equals what Foundation's JSONSerialization read (`any`), checked
/// recursively: an independent parser on the same bytes.
func sameAsFoundation(_ value: JSONValue, _ any: Any) -> Bool {
    switch value {
    case .null: return any is NSNull
    case .bool(let b): return (any as? Bool) == b
    case .number(let d): return (any as? NSNumber)?.doubleValue == d
    case .string(let s): return (any as? String) == s
    case .array(let items):
        guard let other = any as? [Any], other.count == items.count else { return false }
        return zip(items, other).allSatisfy { sameAsFoundation($0, $1) }
    case .object(let members):
        guard let other = any as? [String: Any], Set(other.keys) == Set(members.keys) else { return false }
        return members.allSatisfy { key, v in sameAsFoundation(v, other[key]!) }
    }
}

@Suite("JSON text")
struct JSONTextTests {
    func parse(_ text: String) throws(JSONValue.SyntaxError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func error(_ text: String) -> JSONValue.SyntaxError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test("Values: literals, numbers, escapes, nesting")
    func values() throws {
        #expect(try parse(#"{"a": [1, -2.5e3, 0, 1E-2], "b": true, "c": null, "d": {"e": false}}"#) == .object([
            "a": .array([.number(1), .number(-2500), .number(0), .number(0.01)]), "b": .bool(true), "c": .null,
            "d": .object(["e": .bool(false)]),
        ]))
        #expect(try parse(#""tab\tquote\"slash\/back\\nl\n\u00e9\ud83d\ude00""#) == .string("tab\tquote\"slash/back\\nl\né😀"))
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[]".utf8)) == .array([]), "a UTF-8 byte-order mark")
        #expect(try parse(#"{"k": 1, "k": 2}"#) == .object(["k": .number(2)]), "the last duplicate wins")
        #expect(try parse("  [ ]\n") == .array([]))
    }

    @Test("Every bundled preset file parses as Foundation's JSONSerialization reads it")
    func matchesFoundation() throws {
        var files = try FileManager.default.contentsOfDirectory(at: BundledResources.directory("Models"), includingPropertiesForKeys: nil)
        files += try FileManager.default.contentsOfDirectory(at: BundledResources.directory("Accelerators"), includingPropertiesForKeys: nil)
        files += try FileManager.default.contentsOfDirectory(at: configFixtures, includingPropertiesForKeys: nil)
        files = files.filter { $0.pathExtension == "json" }
        #expect(files.count >= 40)
        for url in files {
            let data = try Data(contentsOf: url)
            let ours = try JSONValue.parse(data)
            #expect(sameAsFoundation(ours, try JSONSerialization.jsonObject(with: data)), "\(url.lastPathComponent)")
        }
    }

    @Test("Errors give the line and column and say what is wrong in a few words")
    func errors() {
        #expect(error("{\"a\": 1,\n  \"b\" 2}")?.message == "line 2, column 7: expected ':' after the key \"b\"")
        #expect(error("{\"a\": [1, 2}")?.message == "line 1, column 12: expected ',' or ']' in an array, found '}'")
        #expect(error("{\"model_type\": \"llama\", ")?.message == "line 1, column 25: unexpected end of file inside an object")
        #expect(error("")?.message == "line 1, column 1: the file is empty")
        #expect(error("{} x")?.message == "line 1, column 4: unexpected 'x' after the JSON value")
        #expect(error("[01]")?.message == "line 1, column 2: a number must not start with 0")
        #expect(error("[1e999]")?.message == "line 1, column 2: the number 1e999 is outside the float64 range")
        #expect(error("[\"a\u{1B}b\"]")?.message == "line 1, column 4: a control character ('\\u{1B}') inside a string must be escaped")
        #expect(error("[\"\\ud800\"]")?.message == "line 1, column 9: unpaired surrogate in a \\u escape")
        #expect(error("[tru]")?.message == "line 1, column 2: unexpected 't', expected a value")
        #expect(error("[\"é\", x]")?.message == "line 1, column 7: unexpected 'x', expected a value", "columns count characters")
        #expect(error(String(repeating: "1", count: 1001))?.reason == "a number of 1001 characters is longer than 1000")
        #expect(throws: JSONValue.SyntaxError(reason: "a string is not valid UTF-8", line: 1, column: 2)) {
            try JSONValue.parse([0x5B, 0x22, 0xFF, 0x22, 0x5D])
        }
    }

    @Test("Nesting: 64 levels parse, 65 are refused at the 65th bracket")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(ok) }
        let e = error(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))
        #expect(e?.tooDeep == true && e?.column == 65)
        #expect(e?.reason == "arrays and objects nested deeper than 64 levels")
    }

    /// The issue's reproduction: a 61 KB config whose ignored key holds 30,000 nested arrays
    /// took 43 s through JSONDecoder; it is now refused at the 65th bracket.
    @Test("A deeply nested config under an ignored key is refused at once, naming the file and the place")
    func deeplyNestedConfig() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try String(contentsOf: configFixtures.appendingPathComponent("meta-llama--Meta-Llama-3.1-8B.json"), encoding: .utf8)
        let text = base.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
            + ", \"ignored\": " + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000) + "}"
        let url = dir.appendingPathComponent("deep.json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        #expect(text.utf8.count > 60_000)
        let start = ContinuousClock.now
        do {
            _ = try ModelSpec(configFile: url)
            Issue.record("no error")
        } catch {
            guard case .inFile(let path, .nestingTooDeep(64, let line, _)) = error else { Issue.record("\(error)"); return }
            #expect(path == url.relativePath && line > 1)
            #expect(error.description.hasPrefix("\(url.relativePath): config is not a valid JSON object: line "))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        // The same nesting 60 levels deep is legal and ignored.
        let legal = base.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
            + ", \"ignored\": " + String(repeating: "[", count: 60) + String(repeating: "]", count: 60) + "}"
        #expect(try ModelSpec(configJSON: Data(legal.utf8)).parameterCount.total.total > 8_000_000_000)
    }

    @Test("Config errors name the file, never Foundation's words; oversized files are refused unread")
    func configErrorsNameTheFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func failure(_ name: String, _ contents: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            try contents.write(to: url, atomically: true, encoding: .utf8)
            do { _ = try ModelSpec(configFile: url); return "no error" } catch { return error.description }
        }
        let truncated = try failure("a.json", "{\"model_type\": \"llama\", ")
        #expect(truncated == "\(dir.appendingPathComponent("a.json").relativePath): config is not a valid JSON object: line 1, column 25: unexpected end of file inside an object")
        let missing = try failure("b.json", "{\"model_type\": \"llama\"}")
        #expect(missing.hasPrefix(dir.appendingPathComponent("b.json").relativePath + ": config (model_type 'llama') is missing required key"))
        // A control character echoed from the file stays escaped on one line.
        let type = try failure("c.json", "{\"model_type\": \"lla\\u001bma\\n\"}")
        #expect(type.contains("unsupported model_type 'lla\\u{1B}ma\\u{A}'") && !type.contains("\n"))
        for text in [truncated, missing, type] {
            #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("The given data"))
        }
        let unreadable = URL(fileURLWithPath: dir.path + "/none.json")
        #expect(throws: ModelSpecError.unreadableFile(path: unreadable.relativePath, reason: "no such file")) {
            try ModelSpec(configFile: unreadable)
        }
        #expect(throws: ModelSpecError.unreadableFile(path: dir.relativePath, reason: "it is a directory")) {
            try ModelSpec(configFile: dir)
        }
        let big = dir.appendingPathComponent("big.json")
        try Data(count: ModelSpec.maximumConfigBytes + 1).write(to: big)
        #expect(throws: ModelSpecError.fileTooLarge(path: big.relativePath, bytes: ModelSpec.maximumConfigBytes + 1,
                                                    limit: ModelSpec.maximumConfigBytes)) {
            try ModelSpec(configFile: big)
        }
        #expect(throws: ModelSpecError.fileTooLarge(path: "/dev/zero", bytes: nil, limit: ModelSpec.maximumConfigBytes)) {
            try ModelSpec(configFile: URL(fileURLWithPath: "/dev/zero"))
        }
    }

    @Test("Printable text: control, format and unassigned characters are escaped, the rest kept")
    func printable() {
        #expect(PrintableText.escaping("plain 'text' é 😀 /a/b") == "plain 'text' é 😀 /a/b")
        #expect(PrintableText.escaping("<\u{1B}[2J\n\t\0") == "<\\u{1B}[2J\\u{A}\\u{9}\\u{0}")
        #expect(PrintableText.escaping("a\u{202E}b\u{2028}c\u{E000}") == "a\\u{202E}b\\u{2028}c\\u{E000}")
        #expect(NPYError.unsupportedDType(path: "x\ny.npy", found: "<\u{1B}\n", expected: "<f4").description
            == "x\\u{A}y.npy: dtype '<\\u{1B}\\u{A}' is not supported here; expected '<f4'")
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("moekit-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
