//===--- ClosestMatch.swift - "Did you mean …?" for names -----------------===//

/// The candidate closest to `name` by edit distance (case-insensitive), or `nil` when none
/// is within half the length of `name` (at least 2 edits).
///
/// - Complexity: O(*n* · *m* · *c*) for *c* candidates of length at most *m*.
public func closestMatch(to name: String, in candidates: [String]) -> String? {
    let target = Array(name.lowercased().utf8)
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let d = editDistance(target, Array(candidate.lowercased().utf8))
        if best == nil || d < best!.distance { best = (candidate, d) }
    }
    guard let best, best.distance <= max(2, target.count / 2) else { return nil }
    return best.name
}

/// Levenshtein distance between two byte strings.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
