//===--- PrintableText.swift - Text from inputs made safe for one line -----===//

/// Text taken from a file or the command line, made safe to print in a one-line message.
public enum PrintableText {
    /// `text` with every character that is not printable written as `\u{XXXX}`: control
    /// characters (newline, escape, NUL), line and paragraph separators, format characters
    /// (such as the bidirectional overrides), private-use, surrogate and unassigned code
    /// points. Everything else is unchanged, so an error that echoes bytes from a bad file
    /// (a mangled dtype string, a JSON key) stays one printable line.
    ///
    /// - Complexity: O(*n*) in the length of `text`.
    public static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: return true
        default: return false
        }
    }
}
