/// A manually managed, 64-byte aligned Float32 buffer.
///
/// Several tensors may share one storage (a reshape or a detached copy views the same data), so
/// kernels only ever write into storage they have just allocated, and optimisers write into
/// parameters, which own theirs.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates room for `count` floats, uninitialised.
    init(count: Int) {
        precondition(count >= 0, "A tensor cannot hold \(count) elements.")
        self.count = count
        base = UnsafeMutableRawPointer
            .allocate(byteCount: Swift.max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: Swift.max(count, 1))
    }

    /// Allocates `count` floats set to `value`.
    convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        base.initialize(repeating: value, count: count)
    }

    deinit { base.deallocate() }

    var buffer: UnsafeMutableBufferPointer<Float> { .init(start: base, count: count) }
}
