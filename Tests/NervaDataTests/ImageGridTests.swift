import NervaData
import NervaTensor
import Testing

@Suite struct ImageGridTests {
    @Test func layoutRowsColumnsAndPadding() {
        // Five 2×3 single-channel images, image n filled with n + 1, in rows of 2.
        let images = Tensor((0..<5).flatMap { Array(repeating: Float($0 + 1), count: 6) }, shape: [5, 1, 2, 3])
        let grid = ImageGrid.tiled(images, columns: 2, padding: 1, background: -1)
        // 3 rows · (2 + 1) + 1 = 10 high, 2 columns · (3 + 1) + 1 = 9 wide.
        #expect(grid.shape == [1, 10, 9])
        let pixels = grid.scalars
        func at(_ y: Int, _ x: Int) -> Float { pixels[y * 9 + x] }
        #expect(at(0, 0) == -1 && at(3, 4) == -1, "padding around and between")
        #expect(at(1, 1) == 1 && at(2, 3) == 1, "image 0 at the top left")
        #expect(at(1, 5) == 2 && at(2, 7) == 2, "image 1 to its right")
        #expect(at(4, 1) == 3, "image 2 starts the second row")
        #expect(at(7, 1) == 5, "image 4 starts the third row")
        #expect(at(7, 5) == -1 && at(8, 7) == -1, "the cell after the last image stays background")
        #expect(pixels.filter { $0 > 0 }.count == 5 * 6)
    }

    @Test func channelsAndDefaults() {
        let images = Tensor.ones([2, 3, 4, 4]) * 0.5
        let grid = ImageGrid.tiled(images, columns: 8)
        #expect(grid.shape == [3, 2 + 4 + 2, 2 + 2 * (4 + 2)], "columns shrink to the number of images")
        let planes = grid.scalars
        #expect(planes[0] == 1, "white background by default")
        #expect(planes[(2 * 8 + 2) * 14 + 2] == 0.5, "green plane holds the image")
        // [N, H, W] is one channel.
        #expect(ImageGrid.tiled(Tensor.zeros([3, 5, 5]), columns: 3, padding: 0).shape == [1, 5, 15])
    }
}
