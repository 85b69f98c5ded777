import Foundation
import NervaRL
import Testing

/// Q-table checkpoints: what `save` writes `load` reads back; damaged files are typed errors.
@Suite struct QTableCheckpointTests {
    static func encode(_ tensor: Tensor, name: String = "q_table") throws -> [UInt8] {
        try Safetensors.encode([name: tensor], metadata: ["env": "FrozenLake-v1"])
    }

    @Test func roundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "q-\(UInt64.random(in: 0 ... .max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var table = QTable(stateCount: 16, actionCount: 4)
        table.values = (0..<64).map { Double($0) / 8 }
        try table.save(to: url, metadata: ["env": "FrozenLake-v1"])
        #expect(try QTable.load(from: url, stateCount: 16, actionCount: 4) == table)
        #expect(try QTable.load(from: url) == table)
    }

    @Test func damagedTablesAreNamed() throws {
        #expect(throws: TabularCheckpointError.missingTable(source: "<memory>")) {
            try QTable.load(checkpoint: Self.encode(Tensor([1, 2], shape: [1, 2]), name: "other"))
        }
        #expect(throws: TabularCheckpointError.wrongShape(source: "<memory>", shape: [2, 2], expected: "[16, 4]")) {
            try QTable.load(
                checkpoint: Self.encode(Tensor([1, 2, 3, 4], shape: [2, 2])), stateCount: 16, actionCount: 4)
        }
        #expect(throws: TabularCheckpointError.self) {
            try QTable.load(checkpoint: Self.encode(Tensor([1, 2, 3], shape: [3])))
        }
        #expect(throws: TabularCheckpointError.nonFiniteValue(source: "<memory>", state: 1, action: 0)) {
            try QTable.load(checkpoint: Self.encode(Tensor([0, 1, .nan, 2], shape: [2, 2])))
        }
        #expect(throws: SafetensorsError.self) { try QTable.load(checkpoint: [1, 2, 3]) }
    }
}
