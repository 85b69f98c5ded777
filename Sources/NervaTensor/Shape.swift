/// Shape arithmetic shared by the kernels: element counts, strides, axes and broadcasting.
enum Shape {
    /// The number of elements of a tensor of this shape (1 for a scalar).
    @inline(__always)
    static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n &*= d }
        return n
    }

    /// Row-major strides, in elements.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in shape.indices.reversed() {
            strides[axis] = step
            step &*= shape[axis]
        }
        return strides
    }

    /// Resolves a possibly negative axis (`-1` is the last) against a rank, trapping with a
    /// sentence when it is out of range.
    static func axis(_ axis: Int, rank: Int, _ op: StaticString) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(
            resolved >= 0 && resolved < Swift.max(rank, 1) && (rank > 0 || resolved == 0),
            "\(op): axis \(axis) is out of range for a tensor of rank \(rank).")
        return resolved
    }

    /// The shape two operands broadcast to (NumPy rules), trapping with both shapes when they don't.
    static func broadcast(_ a: [Int], _ b: [Int], _ op: StaticString) -> [Int] {
        if a == b { return a }
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(
                da == db || da == 1 || db == 1,
                "\(op): shapes \(a) and \(b) cannot be broadcast together.")
            result[i] = da == 1 ? db : da
        }
        return result
    }

    /// Strides that read an operand of `shape` as if it had been broadcast to `target`
    /// (0 along broadcast axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for i in shape.indices where shape[i] != 1 || target[i + offset] == 1 {
            result[i + offset] = shape[i] == 1 ? 0 : own[i]
        }
        return result
    }

    /// Resolves a single `-1` in a requested shape from the element count.
    static func inferred(_ requested: [Int], count: Int, from original: [Int]) -> [Int] {
        var shape = requested
        let unknown = requested.indices.filter { requested[$0] == -1 }
        precondition(unknown.count <= 1, "reshaped: at most one dimension may be -1, got \(requested).")
        precondition(requested.allSatisfy { $0 >= -1 }, "reshaped: invalid shape \(requested).")
        if let i = unknown.first {
            let known = requested.enumerated().reduce(1) { $1.offset == i ? $0 : $0 * $1.element }
            precondition(
                known > 0 && count % known == 0,
                "reshaped: cannot reshape \(original) (\(count) elements) to \(requested).")
            shape[i] = count / known
        }
        precondition(
            Shape.count(shape) == count,
            "reshaped: cannot reshape \(original) (\(count) elements) to \(requested).")
        return shape
    }
}
