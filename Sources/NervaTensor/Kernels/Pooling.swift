/// Pooling kernels, one `[H, W]` plane at a time; windows are clipped to the image, so padding
/// never needs to be materialised.
enum Pooling {
    /// The rows (or columns) of the image that window `o` covers.
    @inline(__always)
    private static func window(_ o: Int, _ g: ConvGeometry, size: Int, kernel: Int) -> Range<Int> {
        let start = o * g.stride - g.padding
        return Swift.max(start, 0)..<Swift.min(start + kernel, size)
    }

    /// Max pooling; writes the flat input offset of each maximum to `indices` when given.
    ///
    /// One output row at a time, four outputs per SIMD lane group, kernel taps outermost: each
    /// tap updates the running maxima with masks, never with data-dependent branches (on random
    /// data they would mispredict half the time). Every window still sees its pixels in
    /// row-major order and keeps the first maximum (or NaN), as in PyTorch.
    static func max(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>?,
        _ g: ConvGeometry
    ) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let (s, p) = (g.stride, g.padding)
        let planes = g.batch * g.inputChannels, groups = (wo + 3) / 4
        let lanes = SIMD4<Int32>(0, 1, 2, 3), strides = lanes &* Int32(s)
        // The outputs whose window reaches column tap `j`, as a range and as lane groups.
        let taps = (0..<g.kernelWidth).map { j in
            let valid = g.validOutputs(kernelOffset: j, size: w, outputSize: wo)
            return (
                valid: valid, lower: SIMD4(repeating: Int32(valid.lowerBound)),
                upper: SIMD4(repeating: Int32(valid.upperBound)),
                groups: (valid.lowerBound / 4)..<((valid.upperBound + 3) / 4)
            )
        }
        let isPairwise = g.kernelHeight == 2 && g.kernelWidth == 2 && s == 2 && p == 0 && wo >= 4
        Parallel.forEachPart(count: planes, tasks: tasks(g)) { _, share in
            if isPairwise {
                maxOfPairs(x, y, indices, g, planes: share)
                return
            }
            let best = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: groups)
            let index = UnsafeMutablePointer<SIMD4<Int32>>.allocate(capacity: groups)
            defer {
                best.deallocate()
                index.deallocate()
            }
            for plane in share {
                for oh in 0..<ho {
                    let rows = window(oh, g, size: h, kernel: g.kernelHeight)
                    let firstRow = Int32(truncatingIfNeeded: (plane * h + rows.lowerBound) * w)
                    for group in 0..<groups {
                        let ow = SIMD4<Int32>(repeating: Int32(group * 4)) &+ lanes
                        best[group] = SIMD4(repeating: -.infinity)
                        // the window's first pixel
                        index[group] = firstRow &+ pointwiseMax(ow &* Int32(s) &- Int32(p), .zero)
                    }
                    for i in rows {
                        for tap in 0..<g.kernelWidth {
                            let (valid, lower, upper, tapGroups) = taps[tap]
                            let base = (plane * h + i) * w + tap - p // + ow·s is the pixel read
                            for group in tapGroups {
                                let first = group * 4, start = base + first * s
                                var value: SIMD4<Float>,
                                    position = SIMD4(repeating: Int32(truncatingIfNeeded: start)) &+ strides
                                var inside = SIMDMask<SIMD4<Int32>>(repeating: true)
                                if first >= valid.lowerBound && first + 4 <= valid.upperBound {
                                    value = SIMD4(x[start], x[start + s], x[start + 2 * s], x[start + 3 * s])
                                } else {
                                    let ow = SIMD4<Int32>(repeating: Int32(first)) &+ lanes
                                    inside = (ow .>= lower) .& (ow .< upper)
                                    position =
                                        SIMD4(repeating: Int32(truncatingIfNeeded: base))
                                        &+ ow.clamped(lowerBound: lower, upperBound: upper &- 1) &* Int32(s)
                                    value = SIMD4(
                                        x[Int(position[0])], x[Int(position[1])], x[Int(position[2])],
                                        x[Int(position[3])])
                                }
                                let current = best[group]
                                // value > current, or value is NaN; a NaN maximum stays.
                                let wins =
                                    inside .& .!(value .<= current) .& ((current .== current) .| (value .!= value))
                                best[group] = current.replacing(with: value, where: wins)
                                index[group] = index[group].replacing(with: position, where: wins)
                            }
                        }
                    }
                    let out = (plane * ho + oh) * wo
                    UnsafeMutableRawPointer(y + out).copyMemory(from: best, byteCount: wo * 4)
                    if let indices { UnsafeMutableRawPointer(indices + out).copyMemory(from: index, byteCount: wo * 4) }
                }
            }
        }
    }

    /// 2×2 max pooling with stride 2 and no padding (the common case), four outputs at a time
    /// from two rows of eight pixels; the last group of a row overlaps the previous one.
    private static func maxOfPairs(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ indices: UnsafeMutablePointer<Int32>?, _ g: ConvGeometry, planes: Range<Int>
    ) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let even = SIMD4<Int32>(0, 2, 4, 6), lastGroup = wo - 4
        @inline(__always) func update(
            _ best: inout SIMD4<Float>, _ index: inout SIMD4<Int32>,
            _ value: SIMD4<Float>, _ position: SIMD4<Int32>
        ) {
            let wins = .!(value .<= best) .& ((best .== best) .| (value .!= value)) // value > best, or NaN
            best.replace(with: value, where: wins)
            index.replace(with: position, where: wins)
        }
        for plane in planes {
            for oh in 0..<ho {
                let top = (plane * h + 2 * oh) * w, out = (plane * ho + oh) * wo
                var ow = 0
                while true {
                    let start = top + 2 * ow
                    let upper = UnsafeRawPointer(x + start).loadUnaligned(as: SIMD8<Float>.self)
                    let lower = UnsafeRawPointer(x + start + w).loadUnaligned(as: SIMD8<Float>.self)
                    var index = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: start)) &+ even
                    var best = upper.evenHalf
                    let below = Int32(truncatingIfNeeded: w)
                    update(&best, &index, upper.oddHalf, index &+ 1)
                    let first = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: start)) &+ even
                    update(&best, &index, lower.evenHalf, first &+ below)
                    update(&best, &index, lower.oddHalf, first &+ (below + 1))
                    UnsafeMutableRawPointer(y + out + ow).storeBytes(of: best, as: SIMD4<Float>.self)
                    if let indices {
                        UnsafeMutableRawPointer(indices + out + ow).storeBytes(of: index, as: SIMD4<Int32>.self)
                    }
                    if ow == lastGroup { break }
                    ow = Swift.min(ow + 4, lastGroup)
                }
            }
        }
    }

    /// Whether a pooling job over these planes is worth splitting across threads.
    private static func tasks(_ g: ConvGeometry) -> Int {
        g.batch * g.inputChannels * g.height * g.width >= 1 << 16 ? Parallel.threadCount : 1
    }

    /// The first and end column of every window along a row (clipped to the image), as buffers
    /// the caller deallocates.
    private static func windowColumns(_ g: ConvGeometry) -> (UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>) {
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(g.outputWidth, 1))
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(g.outputWidth, 1))
        for ow in 0..<g.outputWidth {
            let columns = window(ow, g, size: g.width, kernel: g.kernelWidth)
            (starts[ow], ends[ow]) = (columns.lowerBound, columns.upperBound)
        }
        return (starts, ends)
    }

    /// Average pooling with `count_include_pad=True`: per output row, the window's input rows
    /// are summed whole (vectorised), then each window sums its columns of that row.
    static func average(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        let (columnStarts, columnEnds) = windowColumns(g)
        defer {
            columnStarts.deallocate()
            columnEnds.deallocate()
        }
        Parallel.forEachPart(count: g.batch * g.inputChannels, tasks: tasks(g)) { _, planes in
            let rowSum = UnsafeMutablePointer<Float>.allocate(capacity: w)
            defer { rowSum.deallocate() }
            for plane in planes {
                let image = x + plane * h * w
                for oh in 0..<ho {
                    let rows = window(oh, g, size: h, kernel: g.kernelHeight)
                    ShortVector.zero(rowSum, w)
                    for i in rows { ShortVector.add(rowSum, image + i * w, w) }
                    let out = y + (plane * ho + oh) * wo
                    for ow in 0..<wo {
                        let (lower, upper) = (columnStarts[ow], columnEnds[ow])
                        var total: Float = 0, j = lower
                        while j < upper {
                            total += rowSum[j]
                            j &+= 1
                        }
                        out[ow] = total * scale
                    }
                }
            }
        }
    }

    /// The adjoint of `average`: `dx` is overwritten with the spread window values. Per output
    /// row, the windows' shares are gathered into one image row, then added to each input row.
    static func averageTransposed(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        let (columnStarts, columnEnds) = windowColumns(g)
        defer {
            columnStarts.deallocate()
            columnEnds.deallocate()
        }
        Parallel.forEachPart(count: g.batch * g.inputChannels, tasks: tasks(g)) { _, planes in
            let rowShare = UnsafeMutablePointer<Float>.allocate(capacity: w)
            defer { rowShare.deallocate() }
            for plane in planes {
                let image = dx + plane * h * w
                ShortVector.zero(image, h * w)
                for oh in 0..<ho {
                    let rows = window(oh, g, size: h, kernel: g.kernelHeight)
                    let gradient = dy + (plane * ho + oh) * wo
                    ShortVector.zero(rowShare, w)
                    for ow in 0..<wo {
                        let value = gradient[ow] * scale
                        var j = columnStarts[ow]
                        while j < columnEnds[ow] {
                            rowShare[j] += value
                            j &+= 1
                        }
                    }
                    for i in rows { ShortVector.add(image + i * w, rowShare, w) }
                }
            }
        }
    }

    /// Nearest-neighbour upsampling by `scale`: each input row is widened once, then copied to
    /// `scale` output rows. `x` is `[planes, h, w]`, `y` is `[planes, h·scale, w·scale]`.
    static func upsampleNearest(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        planes: Int, height h: Int, width w: Int, scale: Int
    ) {
        let wide = w * scale
        let tasks = planes * h * w >= 1 << 16 ? Parallel.threadCount : 1
        Parallel.forEachPart(count: planes, tasks: tasks) { _, share in
            for plane in share {
                for i in 0..<h {
                    let src = x + (plane * h + i) * w, first = y + (plane * h + i) * scale * wide
                    for j in 0..<w {
                        let value = src[j], d = first + j * scale
                        for k in 0..<scale { d[k] = value }
                    }
                    for copy in 1..<scale { ShortVector.copy(first + copy * wide, first, wide) }
                }
            }
        }
    }
}
