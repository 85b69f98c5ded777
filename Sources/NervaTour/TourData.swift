import Foundation
import NervaData

extension FashionMNIST {
    /// Fashion-MNIST for the part of the tour titled `part`, or `nil` when it cannot be loaded: the
    /// part is then skipped with the reason printed and noted in the report, and the tour goes on.
    static func forTour(part: String, directory: URL?, folder: RunFolder) -> FashionMNIST? {
        do {
            return try FashionMNIST(directory: directory ?? defaultDirectory)
        } catch {
            print("  skipped: \(error)")
            folder.addText(title: part, text: "Skipped: \(error)")
            return nil
        }
    }
}
