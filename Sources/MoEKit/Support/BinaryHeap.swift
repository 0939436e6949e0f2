//===--- BinaryHeap.swift - A minimal priority queue ----------------------===//

/// A binary heap whose `top` is the element that ranks first under `ranksFirst`.
///
/// - Complexity: O(*n*) to build from *n* elements, O(log *n*) to replace or remove the top.
struct BinaryHeap<Element> {
    private(set) var elements: [Element]
    private let ranksFirst: (Element, Element) -> Bool

    /// A heap of `elements`, ordered so that `ranksFirst(a, b)` puts `a` nearer the top.
    init(_ elements: [Element], ranksFirst: @escaping (Element, Element) -> Bool) {
        self.elements = elements
        self.ranksFirst = ranksFirst
        for i in stride(from: elements.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    var isEmpty: Bool { elements.isEmpty }

    /// The first-ranked element; the heap must not be empty.
    var top: Element { elements[0] }

    /// Replaces the top with `element` and restores the order.
    mutating func replaceTop(with element: Element) {
        elements[0] = element
        siftDown(0)
    }

    /// Removes the top and restores the order.
    mutating func removeTop() {
        elements.swapAt(0, elements.count - 1)
        elements.removeLast()
        if !elements.isEmpty { siftDown(0) }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < elements.count && ranksFirst(elements[l], elements[m]) { m = l }
            if r < elements.count && ranksFirst(elements[r], elements[m]) { m = r }
            if m == i { return }
            elements.swapAt(i, m)
            i = m
        }
    }
}
