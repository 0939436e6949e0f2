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

    func kind(_ path: String) -> mode_t {
        var s = stat()
        #expect(lstat(path, &s) == 0)
        return s.st_mode & S_IFMT
    }

    @Test("A symbolic link is followed, never replaced; a dangling one creates its target")
    func followsLinks() throws {
        try "old".write(to: dir.appendingPathComponent("target.txt"), atomically: false, encoding: .utf8)
        let link = dir.appendingPathComponent("link.txt"), dangling = dir.appendingPathComponent("dangling.txt")
        #expect(symlink("target.txt", link.path) == 0)
        #expect(symlink("new.txt", dangling.path) == 0)
        let files = FileCommit()
        try files.stage("through the link", at: link)
        try files.stage("created", at: dangling)
        try files.commit()
        #expect(kind(link.path) == S_IFLNK && kind(dangling.path) == S_IFLNK)
        #expect(try read("target.txt") == "through the link")
        #expect(try read("new.txt") == "created")
        #expect(try contents() == ["dangling.txt", "link.txt", "new.txt", "target.txt"])
    }

    @Test("A device or FIFO is written in place and stays what it was")
    func writesSpecialFilesInPlace() throws {
        let files = FileCommit()
        try files.stage("discarded", at: URL(fileURLWithPath: "/dev/null"))
        try files.commit()
        #expect(kind("/dev/null") == S_IFCHR)
        let fifo = dir.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        // A reader holds the FIFO open so that the in-place write does not block.
        let reader = open(fifo.path, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let again = FileCommit()
        try again.stage("through the pipe", at: fifo)
        try again.commit()
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = Glibc.read(reader, &buffer, buffer.count)
        #expect(n == 16 && String(decoding: buffer[0..<max(0, n)], as: UTF8.self) == "through the pipe")
        #expect(kind(fifo.path) == S_IFIFO)
    }

    @Test("An input of the run is refused, by any name")
    func refusesInputs() throws {
        let input = dir.appendingPathComponent("input.json")
        try "{}".write(to: input, atomically: false, encoding: .utf8)
        let alias = dir.appendingPathComponent("alias.json")
        #expect(symlink(input.path, alias.path) == 0)
        let files = FileCommit()
        files.protect(inputs: [input.path, dir.appendingPathComponent("absent").path])
        #expect(throws: FileWriteError.self) { try files.stage("x", at: alias) }
        #expect(throws: FileWriteError.self) { try files.stage("x", at: input) }
        #expect(try read("input.json") == "{}")
        try files.stage("fine", at: dir.appendingPathComponent("out.json"))
        try files.commit()
        #expect(try read("out.json") == "fine")
    }
}
