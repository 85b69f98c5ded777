import Foundation
import NervaData
import NervaTestSupport

extension TinyFashionMNIST {
    /// The tiny data set, loaded.
    func load() throws -> FashionMNIST { try FashionMNIST(directory: url) }
}
