import Synchronization

/// A manually managed, 64-byte aligned Float32 buffer.
///
/// Several tensors may share one storage (a reshape or a detached copy views the same data), so
/// kernels only ever write into storage they have just allocated, and optimisers write into
/// parameters, which own theirs. Buffers come from and return to `StorageCache`.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates room for `count` floats, uninitialised.
    init(count: Int) {
        precondition(count >= 0, "A tensor cannot hold \(count) elements.")
        self.count = count
        base = StorageCache.allocate(floats: count)
    }

    /// Allocates `count` floats set to `value`.
    convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        base.initialize(repeating: value, count: count)
    }

    deinit { StorageCache.free(base, floats: count) }

    var buffer: UnsafeMutableBufferPointer<Float> { .init(start: base, count: count) }
}

/// A caching allocator for tensor storage, as PyTorch's CPU allocator: a training step allocates
/// the same sizes every step, so freed buffers are kept by size and handed out again instead of
/// going back to `malloc` (which returns large blocks to the system with `munmap` and takes page
/// faults to get them back). At most `limit` bytes are kept; beyond that, buffers are freed.
enum StorageCache {
    /// The most bytes kept for reuse.
    static let limit = 256 << 20
    /// Buffers smaller than this go straight to `malloc`, which is fast for them.
    static let minimumBytes = 4096

    private struct State {
        var free: [Int: [UInt]] = [:] // addresses by size, in bytes
        var cachedBytes = 0
    }

    private static let state = Mutex(State())

    /// Bytes for `floats` floats, rounded up to 64 (the alignment) so that near sizes share.
    @inline(__always)
    private static func bytes(_ floats: Int) -> Int { (Swift.max(floats, 1) * 4 + 63) & ~63 }

    static func allocate(floats: Int) -> UnsafeMutablePointer<Float> {
        let size = bytes(floats)
        if size >= minimumBytes,
            let reused = state.withLock({ state -> UInt? in
                guard let address = state.free[size]?.popLast() else { return nil }
                state.cachedBytes -= size
                return address
            }), let pointer = UnsafeMutablePointer<Float>(bitPattern: reused)
        {
            return pointer
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
            .bindMemory(to: Float.self, capacity: size / 4)
    }

    static func free(_ pointer: UnsafeMutablePointer<Float>, floats: Int) {
        let size = bytes(floats)
        let raw = UnsafeMutableRawPointer(pointer)
        let address = UInt(bitPattern: raw)
        if size >= minimumBytes,
            state.withLock({ state -> Bool in
                guard state.cachedBytes + size <= limit else { return false }
                state.free[size, default: []].append(address)
                state.cachedBytes += size
                return true
            })
        {
            return
        }
        raw.deallocate()
    }

    /// Returns every cached buffer to the system.
    static func empty() {
        let addresses = state.withLock { state -> [UInt] in
            defer { state = State() }
            return state.free.values.flatMap { $0 }
        }
        for address in addresses { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }
}
