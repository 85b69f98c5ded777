import CNervaKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The geometry of a 2-D convolution (dilation 1, groups 1) seen from its *input* side, the larger
/// image: `[batch, inputChannels, height, width]` convolved with `[outputChannels, inputChannels,
/// kernelHeight, kernelWidth]` gives `[batch, outputChannels, outputHeight, outputWidth]`, where
/// `outputHeight = ⌊(height + 2·padding − kernelHeight) / stride⌋ + 1` (likewise for widths).
///
/// A transposed convolution runs the same geometry backwards (its output is the convolution's
/// input), and pooling uses it with `outputChannels == inputChannels`, one plane at a time.
struct ConvGeometry: Equatable {
    let batch, inputChannels, height, width: Int
    let outputChannels, kernelHeight, kernelWidth: Int
    let stride, padding: Int
    let outputHeight, outputWidth: Int

    init(
        batch: Int, inputChannels: Int, height: Int, width: Int, outputChannels: Int,
        kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int, _ op: StaticString
    ) {
        precondition(stride > 0, "\(op): stride must be positive, got \(stride).")
        precondition(padding >= 0, "\(op): padding must be non-negative, got \(padding).")
        precondition(kernelHeight > 0 && kernelWidth > 0, "\(op): the kernel \(kernelHeight)×\(kernelWidth) is empty.")
        precondition(
            height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
            "\(op): the \(kernelHeight)×\(kernelWidth) kernel does not fit a \(height)×\(width) image with padding \(padding)."
        )
        self.batch = batch
        self.inputChannels = inputChannels
        self.height = height
        self.width = width
        self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
        outputWidth = (width + 2 * padding - kernelWidth) / stride + 1
    }

    /// `[batch, inputChannels, height, width]`.
    var inputShape: [Int] { [batch, inputChannels, height, width] }
    /// `[batch, outputChannels, outputHeight, outputWidth]`.
    var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`.
    var weightShape: [Int] { [outputChannels, inputChannels, kernelHeight, kernelWidth] }
    /// Rows of the column matrix: `inputChannels · kernelHeight · kernelWidth`.
    var kernelVolume: Int { inputChannels * kernelHeight * kernelWidth }
    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }
    /// Multiply-adds of one image's product `weight · columns`.
    var macsPerImage: Int { outputChannels * kernelVolume * outputPlane }

    /// The kernel covers the whole unpadded image, so each image has one output pixel and its
    /// column matrix is the image itself: the convolution is a fully connected layer.
    var isFullyConnected: Bool { padding == 0 && kernelHeight == height && kernelWidth == width }

    /// Many input channels: unfold channels last (`Convolution`'s channels-last products), where
    /// each kernel tap is one contiguous run of `inputChannels` floats instead of rows of a few
    /// pixels each.
    var prefersChannelsLast: Bool { inputChannels >= 16 }

    /// The geometry as the backend's kernels take it.
    var kernelShape: NervaConvShape {
        NervaConvShape(
            batch: Int64(batch), in_channels: Int64(inputChannels), height: Int64(height), width: Int64(width),
            out_channels: Int64(outputChannels), kernel_h: Int64(kernelHeight), kernel_w: Int64(kernelWidth),
            stride: Int64(stride), padding: Int64(padding), out_h: Int64(outputHeight), out_w: Int64(outputWidth))
    }

    /// The rows and columns of the input that no output window reaches (0 up to `stride − 1`):
    /// a transposed convolution recovers the input's size with this `outputPadding`.
    var uncoveredExtent: (height: Int, width: Int) {
        ((height + 2 * padding - kernelHeight) % stride, (width + 2 * padding - kernelWidth) % stride)
    }

    /// The output positions `o` whose tap at kernel offset `k` reads inside `0..<size`:
    /// `0 ≤ o·stride − padding + k < size`.
    @inline(__always)
    func validOutputs(kernelOffset k: Int, size: Int, outputSize: Int) -> Range<Int> {
        let first = padding - k
        let lower = first <= 0 ? 0 : Swift.min(outputSize, (first + stride - 1) / stride)
        let last = size - 1 + padding - k
        let upper = last < 0 ? 0 : Swift.min(outputSize, last / stride + 1)
        return lower..<Swift.max(lower, upper)
    }
}

/// Unfolding images into column matrices and folding them back (Chellapilla et al. 2006), on the
/// backend's kernels (`nerva_im2col`, `nerva_col2im`: AVX-512, AVX2 or baseline).
///
/// `im2col` writes, for one image `[C, H, W]`, the matrix `[C·kh·kw, Ho·Wo]` whose row
/// `(c, i, j)` and column `(oh, ow)` holds `x[c, oh·s − p + i, ow·s − p + j]` (0 in the padding);
/// a convolution is then `weight[O, C·kh·kw] · columns`. `col2im` is its adjoint: it sums every
/// column entry back onto the pixel it came from. Rows are `rowStride` apart so that several
/// images can sit side by side in one matrix.
enum Im2col {
    /// Unfolds image `x` (`[C, H, W]`) into `columns` (`[C·kh·kw, rowStride]`, first `Ho·Wo` used).
    @inline(__always)
    static func im2col(
        _ x: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, rowStride: Int,
        _ g: ConvGeometry
    ) {
        var shape = g.kernelShape
        nerva_im2col(&shape, x, columns, Int64(rowStride))
    }

    /// Folds `columns` (`[C·kh·kw, rowStride]`) back into image `x` (`[C, H, W]`), overwriting it
    /// with the sum of the entries that `im2col` would have read from each pixel.
    @inline(__always)
    static func col2im(
        _ columns: UnsafePointer<Float>, rowStride: Int, _ x: UnsafeMutablePointer<Float>,
        _ g: ConvGeometry
    ) {
        var shape = g.kernelShape
        nerva_col2im(&shape, columns, Int64(rowStride), x)
    }
}

/// Short rows (often 5 to 30 floats) moved eight at a time without a library call or the
/// vectoriser's run-time alias checks (pooling's inner loops).
enum ShortVector {
    /// `dst[0..<count] = src[0..<count]` (no overlap); the last eight may be moved twice.
    @inline(__always)
    static func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
        let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
        if count >= 8 {
            var k = 0
            while k + 8 <= count {
                d.storeBytes(
                    of: s.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self), toByteOffset: 4 * k,
                    as: SIMD8<Float>.self)
                k += 8
            }
            if k < count {
                let last = 4 * (count - 8)
                d.storeBytes(
                    of: s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last,
                    as: SIMD8<Float>.self)
            }
        } else if count >= 4 {
            d.storeBytes(of: s.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            let last = 4 * (count - 4)
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self), toByteOffset: last,
                as: SIMD4<Float>.self)
        } else {
            for k in 0..<count { dst[k] = src[k] }
        }
    }

    /// `dst[0..<count] += src[0..<count]`.
    @inline(__always)
    static func add(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
        let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
        var k = 0
        while k + 8 <= count {
            let sum =
                d.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                + s.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            d.storeBytes(of: sum, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        if k + 4 <= count {
            let sum =
                d.loadUnaligned(fromByteOffset: 4 * k, as: SIMD4<Float>.self)
                + s.loadUnaligned(fromByteOffset: 4 * k, as: SIMD4<Float>.self)
            d.storeBytes(of: sum, toByteOffset: 4 * k, as: SIMD4<Float>.self)
            k += 4
        }
        while k < count {
            dst[k] += src[k]
            k += 1
        }
    }

    /// `dst[0..<count] = 0`.
    @inline(__always)
    static func zero(_ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var k = 0
        while k + 8 <= count {
            UnsafeMutableRawPointer(dst).storeBytes(of: .zero, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < count {
            dst[k] = 0
            k += 1
        }
    }
}

/// A growable per-thread buffer for kernel scratch space (column matrices), so that a training
/// step does not allocate and free megabytes per convolution. It grows to the largest request a
/// thread has made and is kept until the thread ends.
final class ScratchBuffer {
    private var base: UnsafeMutablePointer<Float>?
    private var capacity = 0
    private var isInUse = false

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<ScratchBuffer>.fromOpaque(pointer).release() }
        }
        return key
    }()

    deinit { base?.deallocate() }

    /// Calls `body` with `count` uninitialised floats of this thread's scratch space (a fresh
    /// allocation if the thread's buffer is already lent out).
    static func with<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let scratch: ScratchBuffer
        if let pointer = pthread_getspecific(key) {
            scratch = Unmanaged<ScratchBuffer>.fromOpaque(pointer).takeUnretainedValue()
        } else {
            scratch = ScratchBuffer()
            pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        }
        guard !scratch.isInUse else {
            let temporary = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
            defer { temporary.deallocate() }
            return body(temporary)
        }
        if count > scratch.capacity {
            scratch.base?.deallocate()
            scratch.capacity = Swift.max(count, scratch.capacity * 3 / 2)
            scratch.base =
                UnsafeMutableRawPointer
                .allocate(byteCount: scratch.capacity * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: scratch.capacity)
        }
        scratch.isInUse = true
        defer { scratch.isInUse = false }
        return body(scratch.base!)
    }
}
