//===--- FileCommitTests.swift - All-or-nothing output files --------------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("All-or-nothing output files")
struct FileCommitTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("filecommit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }
    func read(_ name: String) throws -> String { try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) }

    @Test("Commits every file, replacing old ones, and leaves nothing else")
    func commits() throws {
        try "old".write(to: dir.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        let files = FileCommit()
        try files.stage("new a", at: dir.appendingPathComponent("a.txt"))
        try files.stage("new b", at: dir.appendingPathComponent("b.txt"))
        #expect(try read("a.txt") == "old", "nothing moves before commit")
        try files.commit()
        #expect(try contents() == ["a.txt", "b.txt"])
        #expect(try read("a.txt") == "new a" && read("b.txt") == "new b")
    }

    @Test("A failed move restores the files already placed")
    func rollsBack() throws {
        try "old".write(to: dir.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        let sub = dir.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let files = FileCommit()
        try files.stage("new a", at: dir.appendingPathComponent("a.txt"))
        try files.stage("new b", at: sub.appendingPathComponent("b.txt"))
        // Make the second move fail: its temporary file disappears before commit.
        for name in try FileManager.default.contentsOfDirectory(atPath: sub.path) {
            try FileManager.default.removeItem(at: sub.appendingPathComponent(name))
        }
        #expect(throws: FileWriteError.self) { try files.commit() }
        #expect(try read("a.txt") == "old")
        #expect(try contents() == ["a.txt", "sub"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: sub.path).isEmpty)
    }

    @Test("Refuses a directory, a missing directory and the same file twice")
    func refuses() throws {
        let files = FileCommit()
        try files.stage("x", at: dir.appendingPathComponent("x.txt"))
        #expect(throws: FileWriteError.self) { try files.stage("y", at: dir.appendingPathComponent("./x.txt")) }
        #expect(try contents().isEmpty, "a refusal discards what was staged")
        #expect(throws: FileWriteError.self) { try files.stage("y", at: dir) }
        #expect(throws: FileWriteError.self) { try files.stage("y", at: dir.appendingPathComponent("no/such/y.txt")) }
        #expect(try contents().isEmpty)
    }
}
