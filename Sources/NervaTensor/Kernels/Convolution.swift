import CNervaKernels

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
/// A kernel that covers the whole unpadded image (one output pixel: DCGAN's first and last
/// layers) makes `im2col` the identity, and each product one GEMM over the whole batch.
///
/// Small images are packed side by side so that one GEMM covers several of them (`Plan`), and the
/// batch is split across cores (`Parallel`), each share's GEMMs running on its own thread; a batch
/// too small to split leaves the cores to `Gemm`, which splits each product instead.
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
    /// (1 MB, half a core's L2 cache on current Xeons): wider GEMMs, while `im2col`'s writes and
    /// the GEMM's packed panels stay in cache.
    static let columnBudget = 1 << 18
    /// Below this many multiply-adds for the whole batch, threads cost more than they save.
    static let parallelThreshold = 1 << 18

    /// The plan for one convolution of this geometry (the same for all three products): the batch
    /// is split across the threads (each GEMM then runs on its own thread, with no contention);
    /// a batch smaller than the thread count runs on the calling thread and `Gemm` splits each
    /// product instead.
    static func plan(_ g: ConvGeometry) -> Plan {
        let perImage = Swift.max(g.macsPerImage, 1)
        let tasks =
            Parallel.threadCount > 1 && g.batch >= Parallel.threadCount && g.batch * perImage >= parallelThreshold
            ? Parallel.threadCount : 1
        let perTask = (g.batch + tasks - 1) / tasks
        let fitting = columnBudget / Swift.max(g.kernelVolume * g.outputPlane, 1)
        let images = Swift.max(1, Swift.min(fitting, perTask))
        return Plan(tasks: tasks, imagesPerProduct: images)
    }

    /// Calls `body(task, images)` for consecutive runs of at most `imagesPerProduct` images,
    /// each task of the plan taking one contiguous share of the batch.
    static func forEachChunk(_ g: ConvGeometry, _ plan: Plan, _ body: (Int, Range<Int>) -> Void) {
        Parallel.forEachPart(count: g.batch, tasks: plan.tasks) { task, share in
            for start in stride(from: share.lowerBound, to: share.upperBound, by: plan.imagesPerProduct) {
                body(task, start..<Swift.min(start + plan.imagesPerProduct, share.upperBound))
            }
        }
    }

    /// Copies `packed` (`[O, n·P]`) into `y[images]` (`[n, O, P]`), adding `bias[o]` to channel `o`.
    @inline(__always)
    static func unpack(
        _ packed: UnsafePointer<Float>, _ images: Range<Int>, into y: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Float>?, channels: Int, plane: Int
    ) {
        let columns = images.count * plane
        for (b, n) in images.enumerated() {
            for c in 0..<channels {
                let src = packed + c * columns + b * plane, dst = y + (n * channels + c) * plane
                let shift = bias?[c] ?? 0
                for i in 0..<plane { dst[i] = src[i] + shift }
            }
        }
    }

    /// `g[images]` (`[n, O, P]`) as one `[O, n·P]` matrix: `g` itself for one image, else packed
    /// into `spare`.
    @inline(__always)
    static func gathered(
        _ g: UnsafePointer<Float>, _ images: Range<Int>, spare: UnsafeMutablePointer<Float>,
        channels: Int, plane: Int
    ) -> UnsafePointer<Float> {
        guard images.count > 1 else { return g + images.lowerBound * channels * plane }
        pack(g, images, into: spare, channels: channels, plane: plane)
        return UnsafePointer(spare)
    }

    /// Copies `g[images]` (`[n, O, P]`) into `packed` as `[O, n·P]`, the layout of a packed GEMM.
    @inline(__always)
    private static func pack(
        _ g: UnsafePointer<Float>, _ images: Range<Int>, into packed: UnsafeMutablePointer<Float>,
        channels: Int, plane: Int
    ) {
        let columns = images.count * plane
        for (b, n) in images.enumerated() {
            for o in 0..<channels {
                (packed + o * columns + b * plane).update(from: g + (n * channels + o) * plane, count: plane)
            }
        }
    }

    // MARK: - On oneDNN

    /// Where convolutions run: Nerva's im2col + oneDNN GEMM (the default), or oneDNN's own
    /// convolution primitives (`NERVA_CONVOLUTION=onednn`; blocked layouts with reorders, as
    /// PyTorch's path). On the LeNet and DCGAN shapes, batch 64, a 2-core AVX-512 Xeon, im2col
    /// measured 1–3× faster than the primitives for 1–6 input channels and equal within noise
    /// at 64→128 (`nerva bench vision --only conv2d` with each setting).
    enum Algorithm: String { case onednn, im2col }

    static let algorithm: Algorithm = {
        guard let name = getenv("NERVA_CONVOLUTION").map({ String(cString: $0) }) else { return .im2col }
        return Algorithm(rawValue: name) ?? .im2col
    }()

    /// Runs a oneDNN convolution with every thread the budget allows (all of them when the worker
    /// pool is free, one inside a parallel task); `false` if oneDNN cannot run it.
    private static func onednn(_ g: ConvGeometry, _ body: (UnsafePointer<NervaConvShape>, Int32) -> Int32) -> Bool {
        guard algorithm == .onednn else { return false }
        var shape = g.kernelShape
        let threads = g.batch * g.macsPerImage >= parallelThreshold ? ThreadBudget.threadCount : 1
        return ThreadBudget.withThreads(threads) { granted in body(&shape, Int32(granted)) == 0 }
    }

    // MARK: - The three products

    /// `y = conv(x, weight) + bias`: `x` is `inputShape`, `y` is `outputShape`.
    static func forward(
        _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry
    ) {
        if onednn(g, { nerva_conv_forward($0, x, weight, bias, y, $1) }) { return }
        if g.isFullyConnected { // Y[N, O] = X[N, K] · Wᵀ (+ bias)
            if let bias { nerva_fill_rows(bias, y, Int64(g.batch), Int64(g.outputChannels)) }
            Gemm.sgemm(
                x, transposeA: false, weight, transposeB: true, y,
                m: g.batch, n: g.outputChannels, k: g.kernelVolume, beta: bias == nil ? 0 : 1)
            return
        }
        if g.prefersChannelsLast { return forwardChannelsLast(x, weight, bias, y, g) }
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
                    Gemm.sgemm(
                        weight, transposeA: false, scratch, transposeB: false, out,
                        m: o, n: p, k: k, beta: bias == nil ? 0 : 1)
                    return
                }
                let product = scratch + k * columns
                Gemm.sgemm(weight, transposeA: false, scratch, transposeB: false, product, m: o, n: columns, k: k)
                unpack(product, images, into: y, bias: bias, channels: o, plane: p)
            }
        }
    }

    /// `dx = col2im(weightᵀ · g) + bias`: `g` is `outputShape`, `dx` is `inputShape`, and `bias`
    /// (a transposed convolution's) has one value per input channel.
    static func backwardData(
        _ g: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
        _ dx: UnsafeMutablePointer<Float>, _ geometry: ConvGeometry
    ) {
        if onednn(geometry, { nerva_conv_backward_data($0, g, weight, dx, $1) }) {
            guard let bias else { return }
            let imageSize = geometry.inputChannels * geometry.inputPlane
            for image in 0..<geometry.batch { addChannelBias(bias, to: dx + image * imageSize, geometry) }
            return
        }
        let (k, o, p) = (geometry.kernelVolume, geometry.outputChannels, geometry.outputPlane)
        let imageSize = geometry.inputChannels * geometry.inputPlane
        if geometry.isFullyConnected { // dX[N, K] = G[N, O] · W[O, K] (+ bias)
            Gemm.sgemm(g, transposeA: false, weight, transposeB: false, dx, m: geometry.batch, n: k, k: o)
            if let bias {
                for image in 0..<geometry.batch { addChannelBias(bias, to: dx + image * imageSize, geometry) }
            }
            return
        }
        if geometry.prefersChannelsLast { return backwardDataChannelsLast(g, weight, bias, dx, geometry) }
        forEachChunk(geometry, plan(geometry)) { _, images in
            let columns = images.count * p
            ScratchBuffer.with(count: k * columns + (images.count > 1 ? o * columns : 0)) { scratch in
                let packed = gathered(g, images, spare: scratch + k * columns, channels: o, plane: p)
                Gemm.sgemm(weight, transposeA: true, packed, transposeB: false, scratch, m: k, n: columns, k: o)
                for (b, n) in images.enumerated() {
                    let image = dx + n * imageSize
                    Im2col.col2im(scratch + b * p, rowStride: columns, image, geometry)
                    if let bias { addChannelBias(bias, to: image, geometry) }
                }
            }
        }
    }

    /// Adds `bias[c]` to every pixel of channel `c` of one input-shaped image.
    static func addChannelBias(
        _ bias: UnsafePointer<Float>, to image: UnsafeMutablePointer<Float>,
        _ geometry: ConvGeometry
    ) {
        let plane = geometry.inputPlane
        for c in 0..<geometry.inputChannels {
            let d = image + c * plane, shift = bias[c]
            for i in 0..<plane { d[i] += shift }
        }
    }

    /// `dW = Σₙ g[n] · im2col(x[n])ᵀ`, written to `dw` (`weightShape`).
    static func backwardWeight(
        _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
        _ geometry: ConvGeometry
    ) {
        if onednn(geometry, { nerva_conv_backward_weights($0, x, g, dw, nil, $1) }) { return }
        let (k, o, p, imageSize) = (
            geometry.kernelVolume, geometry.outputChannels, geometry.outputPlane,
            geometry.inputChannels * geometry.inputPlane
        )
        if geometry.isFullyConnected { // dW[O, K] = G[N, O]ᵀ · X[N, K]
            Gemm.sgemm(g, transposeA: true, x, transposeB: false, dw, m: o, n: k, k: geometry.batch)
            return
        }
        if geometry.prefersChannelsLast { return backwardWeightChannelsLast(x, g, dw, geometry) }
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
                let packed = gathered(g, images, spare: scratch + k * columns, channels: o, plane: p)
                Gemm.sgemm(
                    packed, transposeA: false, scratch, transposeB: true, target(task),
                    m: o, n: k, k: columns, beta: 1)
            }
        }
        for task in 1..<Swift.max(plan.tasks, 1) {
            let partial = target(task)
            for i in 0..<size { dw[i] += partial[i] }
        }
    }
}
