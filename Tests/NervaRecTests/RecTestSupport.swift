import Foundation

@testable import NervaRec

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String = #function) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("nerva-rec-tests-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `bytes` to `name` in `folder`.
@discardableResult
func write(_ bytes: [UInt8], _ name: String, in folder: URL) -> URL {
    let url = folder.appendingPathComponent(name)
    FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
    return url
}

@discardableResult
func write(_ text: String, _ name: String, in folder: URL) -> URL { write(Array(text.utf8), name, in: folder) }

/// A dataset from (user, item, rating, timestamp) tuples of external ids.
func dataset(_ rows: [(String, String, Float, Int64)]) -> InteractionDataset {
    var builder = InteractionDatasetBuilder()
    for (u, i, r, t) in rows { builder.append(user: u, item: i, rating: r, timestamp: t) }
    return builder.build(hasRatings: true, hasTimestamps: true)
}
