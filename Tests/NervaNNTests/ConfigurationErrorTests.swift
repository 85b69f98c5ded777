import Foundation
import NervaNN
import Testing

/// The shared checks every configuration and checkpoint loader uses (issue #18).
@Suite struct ConfigurationErrorTests {
    @Test func checksNameTheFieldTheValueAndTheRange() {
        #expect(throws: ConfigurationError(field: "factors", value: "0", allowed: "at least 1")) {
            try ConfigurationError.check("factors", 0, atLeast: 1)
        }
        #expect(throws: ConfigurationError(field: "rate", value: "nan", allowed: "finite and positive")) {
            try ConfigurationError.check("rate", Float.nan, positive: true)
        }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationError.check("rate", Float.infinity, positive: false)
        }
        #expect(throws: ConfigurationError.self) { try ConfigurationError.check("fraction", Double.nan, in: 0...1) }
        #expect(throws: ConfigurationError.self) { try ConfigurationError.check("size", 300, in: 2...256) }
        #expect(throws: Never.self) { try ConfigurationError.check("fraction", 0.5, in: 0.0..<1.0) }
    }

    @Test func layerSizesMustFitTheValuesAFileHolds() {
        #expect(throws: Never.self) {
            try SizeLimits.checkLayers([4, 120, 84, 2], field: "hidden", parameterBudget: 11_000)
        }
        #expect(throws: ConfigurationError.self) {
            try SizeLimits.checkLayers([100_000, 100_000], field: "hidden", parameterBudget: 11_000)
        }
        #expect(throws: ConfigurationError.self) {
            try SizeLimits.checkLayers([-5, -5], field: "hidden", parameterBudget: 11_000)
        }
        #expect(throws: ConfigurationError.self) {
            try SizeLimits.checkLayers([Int.max, 3], field: "hidden", parameterBudget: .max)
        }
        #expect(throws: ConfigurationError.self) {
            try SizeLimits.checkLayers([], field: "hidden", parameterBudget: 10)
        }
        #expect(SizeLimits.memoryBudget(bytesPerValue: 4) > 0)
    }

    @Test func leftoversOfKilledWritesAreRemoved() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let leftover = directory.url.appendingPathComponent(".model.safetensors.tmp-1f2e")
        let keep = [
            directory.url.appendingPathComponent("model.safetensors"), directory.url.appendingPathComponent(".hidden"),
            directory.url.appendingPathComponent(".notes.tmp-final")
        ]
        for url in [leftover] + keep { FileManager.default.createFile(atPath: url.path, contents: Data([1])) }
        #expect(AtomicFile.removeLeftovers(in: directory.url) == [leftover])
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        for url in keep { #expect(FileManager.default.fileExists(atPath: url.path)) }
    }
}
