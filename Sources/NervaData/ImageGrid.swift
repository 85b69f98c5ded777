import NervaTensor

/// Lays a batch of images out as one picture, like torchvision's `make_grid`.
///
/// ```swift
/// let grid = ImageGrid.tiled(generator(noise), columns: 8)   // [1, 242, 242] for 64 images 28×28
/// try PNG.write(grid, to: url)
/// ```
public enum ImageGrid {
    /// The images `[N, C, H, W]` (or `[N, H, W]`, taken as one channel) in rows of `columns`,
    /// left to right then top to bottom, with `padding` pixels of `background` around and between
    /// them; cells after the last image stay `background`.
    ///
    /// - Returns: `[C, rows · (H + padding) + padding, columns · (W + padding) + padding]`, where
    ///   `rows = ⌈N / columns⌉` and `columns` is at most `N`.
    public static func tiled(_ images: Tensor, columns: Int, padding: Int = 2, background: Float = 1) -> Tensor {
        precondition(
            images.rank == 3 || images.rank == 4,
            "ImageGrid.tiled: images must be [N, C, H, W] or [N, H, W], not \(images.shape).")
        precondition(columns > 0, "ImageGrid.tiled: columns must be positive, got \(columns).")
        precondition(padding >= 0, "ImageGrid.tiled: padding must not be negative, got \(padding).")
        let shape = images.rank == 4 ? images.shape : [images.shape[0], 1, images.shape[1], images.shape[2]]
        let (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let columns = Swift.max(1, Swift.min(columns, count))
        let rows = Swift.max(1, (count + columns - 1) / columns)
        let gridHeight = rows * (height + padding) + padding, gridWidth = columns * (width + padding) + padding
        let grid = Tensor.full([channels, gridHeight, gridWidth], value: background)
        grid.withUnsafeMutableBufferPointer { out in
            images.withUnsafeBufferPointer { source in
                for n in 0..<count {
                    let top = padding + (n / columns) * (height + padding)
                    let left = padding + (n % columns) * (width + padding)
                    for c in 0..<channels {
                        for y in 0..<height {
                            let from = ((n * channels + c) * height + y) * width
                            let to = (c * gridHeight + top + y) * gridWidth + left
                            for x in 0..<width { out[to + x] = source[from + x] }
                        }
                    }
                }
            }
        }
        return grid
    }
}
