#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The three products of a convolution layer, on im2col + GEMM:
///
/// - `forward`: `y[n] = weight[O, C·kh·kw] · im2col(x[n]) (+ bias)`,
/// - `backwardData`: `dx[n] = col2im(weightᵀ · g[n])` (also a transposed convolution's forward),
/// - `backwardWeight`: `dW = Σₙ g[n] · im2col(x[n])ᵀ`.
///
/// Small images are packed side by side so that one GEMM covers several of them (`Plan`), and the
/// batch is split across cores (`Parallel`) when the per-image products are small enough that
/// OpenBLAS would run them on one thread anyway; larger ones are left to OpenBLAS's threads.
/// Column matrices live in per-thread `ScratchBuffer`s, so a training step allocates none.
enum Convolution {
    /// How a batch is cut into GEMMs.
    struct Plan {
        /// Contiguous shares of the batch, run concurrently by `Parallel` (each share's GEMMs
        /// are small enough for one thread).
        let tasks: Int
        /// Images whose column matrices share one GEMM.
        let imagesPerProduct: Int
    }

    /// Column matrices of several images are packed side by side up to this many floats
    /// (256 KB, within a core's L2 cache): wider GEMMs, while `im2col`'s writes stay in cache.
    static let columnBudget = 1 << 16
    /// Per-image products of at least this many multiply-adds run one image at a time, each split
    /// across the cores by `Gemm` itself.
    static let largeProduct = 1 << 22
    /// Below this many multiply-adds for the whole batch, threads cost more than they save.
    static let parallelThreshold = 1 << 18

    /// The plan for one convolution of this geometry (the same for all three products).
    static func plan(_ g: ConvGeometry) -> Plan {
        let perImage = Swift.max(g.macsPerImage, 1)
        let limit = largeProduct
        // Per-image products large enough for BLAS's own threads: one image per GEMM, one caller.
        if perImage >= limit { return Plan(tasks: 1, imagesPerProduct: 1) }
        let tasks = Parallel.threadCount > 1 && g.batch > 1 && g.batch * perImage >= parallelThreshold
            ? Swift.min(Parallel.threadCount, g.batch) : 1
        let perTask = (g.batch + tasks - 1) / tasks
        let fitting = columnBudget / Swift.max(g.kernelVolume * g.outputPlane, 1)
        let images = Swift.max(1, Swift.min(fitting, perTask, (limit - 1) / perImage))
        return Plan(tasks: tasks, imagesPerProduct: images)
    }

    /// Calls `body(task, images)` for consecutive runs of at most `imagesPerProduct` images,
    /// each task of the plan taking one contiguous share of the batch.
    private static func forEachChunk(_ g: ConvGeometry, _ plan: Plan, _ body: (Int, Range<Int>) -> Void) {
        Parallel.forEachPart(count: g.batch, tasks: plan.tasks) { task, share in
            for start in stride(from: share.lowerBound, to: share.upperBound, by: plan.imagesPerProduct) {
                body(task, start..<Swift.min(start + plan.imagesPerProduct, share.upperBound))
            }
        }
    }

    /// Copies `g[images]` (`[n, O, P]`) into `packed` as `[O, n·P]`, the layout of a packed GEMM.
    @inline(__always)
    private static func pack(_ g: UnsafePointer<Float>, _ images: Range<Int>, into packed: UnsafeMutablePointer<Float>,
                             channels: Int, plane: Int) {
        let columns = images.count * plane
        for (b, n) in images.enumerated() {
            for o in 0..<channels {
                (packed + o * columns + b * plane).update(from: g + (n * channels + o) * plane, count: plane)
            }
        }
    }

    /// `y = conv(x, weight) + bias`: `x` is `inputShape`, `y` is `outputShape`.
    static func forward(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (k, o, p, imageSize) = (g.kernelVolume, g.outputChannels, g.outputPlane, g.inputChannels * g.inputPlane)
        forEachChunk(g, plan(g)) { _, images in
            let columns = images.count * p
            ScratchBuffer.with(count: k * columns + (images.count > 1 ? o * columns : 0)) { scratch in
                for (b, n) in images.enumerated() {
                    Im2col.im2col(x + n * imageSize, scratch + b * p, rowStride: columns, g)
                }
                if images.count == 1 {
                    let out = y + images.lowerBound * o * p
                    if let bias { for c in 0..<o { (out + c * p).initialize(repeating: bias[c], count: p) } }
                    Gemm.sgemm(weight, transposeA: false, scratch, transposeB: false, out,
                               m: o, n: p, k: k, beta: bias == nil ? 0 : 1)
                    return
                }
                let product = scratch + k * columns
                Gemm.sgemm(weight, transposeA: false, scratch, transposeB: false, product, m: o, n: columns, k: k)
                for (b, n) in images.enumerated() {
                    for c in 0..<o {
                        let src = product + c * columns + b * p, dst = y + (n * o + c) * p
                        let shift = bias?[c] ?? 0
                        for i in 0..<p { dst[i] = src[i] + shift }
                    }
                }
            }
        }
    }

    /// `dx = col2im(weightᵀ · g) + bias`: `g` is `outputShape`, `dx` is `inputShape`, and `bias`
    /// (a transposed convolution's) has one value per input channel.
    static func backwardData(_ g: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                             _ dx: UnsafeMutablePointer<Float>, _ geometry: ConvGeometry) {
        let (k, o, p) = (geometry.kernelVolume, geometry.outputChannels, geometry.outputPlane)
        let (plane, imageSize) = (geometry.inputPlane, geometry.inputChannels * geometry.inputPlane)
        forEachChunk(geometry, plan(geometry)) { _, images in
            let columns = images.count * p
            ScratchBuffer.with(count: k * columns + (images.count > 1 ? o * columns : 0)) { scratch in
                var packed = g + images.lowerBound * o * p
                if images.count > 1 {
                    pack(g, images, into: scratch + k * columns, channels: o, plane: p)
                    packed = UnsafePointer(scratch + k * columns)
                }
                Gemm.sgemm(weight, transposeA: true, packed, transposeB: false, scratch, m: k, n: columns, k: o)
                for (b, n) in images.enumerated() {
                    let image = dx + n * imageSize
                    Im2col.col2im(scratch + b * p, rowStride: columns, image, geometry)
                    guard let bias else { continue }
                    for c in 0..<geometry.inputChannels {
                        let d = image + c * plane, shift = bias[c]
                        for i in 0..<plane { d[i] += shift }
                    }
                }
            }
        }
    }

    /// `dW = Σₙ g[n] · im2col(x[n])ᵀ`, written to `dw` (`weightShape`).
    static func backwardWeight(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                               _ geometry: ConvGeometry) {
        let (k, o, p, imageSize) = (geometry.kernelVolume, geometry.outputChannels, geometry.outputPlane,
                                    geometry.inputChannels * geometry.inputPlane)
        let plan = plan(geometry), size = o * k
        // Task 0 accumulates into `dw`, the others into partial sums added at the end, in order
        // (the result does not depend on which thread ran which task).
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max((plan.tasks - 1) * size, 1))
        defer { partials.deallocate() }
        func target(_ task: Int) -> UnsafeMutablePointer<Float> { task == 0 ? dw : partials + (task - 1) * size }
        for task in 0..<plan.tasks { target(task).initialize(repeating: 0, count: size) }
        forEachChunk(geometry, plan) { task, images in
            let columns = images.count * p
            ScratchBuffer.with(count: k * columns + (images.count > 1 ? o * columns : 0)) { scratch in
                for (b, n) in images.enumerated() {
                    Im2col.im2col(x + n * imageSize, scratch + b * p, rowStride: columns, geometry)
                }
                var packed = g + images.lowerBound * o * p
                if images.count > 1 {
                    pack(g, images, into: scratch + k * columns, channels: o, plane: p)
                    packed = UnsafePointer(scratch + k * columns)
                }
                Gemm.sgemm(packed, transposeA: false, scratch, transposeB: true, target(task),
                           m: o, n: k, k: columns, beta: 1)
            }
        }
        for task in 1..<Swift.max(plan.tasks, 1) {
            let partial = target(task)
            for i in 0..<size { dw[i] += partial[i] }
        }
    }
}
