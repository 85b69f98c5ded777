import Foundation
import NervaFed
import NervaTestSupport
import Testing

@Suite struct NumpyArrayTests {
    // MARK: - Against NumPy itself

    @Test func decodesEveryFileNumpyWrites() throws {
        guard let cases = try Self.numpyCases() else { return }
        #expect(cases.count > 100)
        for item in cases {
            let bytes = [UInt8](try #require(Data(base64Encoded: item["npy"] as! String)))
            let array = try NumpyArray(decoding: bytes, source: item["name"] as! String)
            #expect(array.shape == item["shape"] as! [Int], "\(item["name"]!)")
            let expected = (item["values"] as! [Double]).map(Float.init)
            #expect(array.scalars == expected, "\(item["name"]!): \(array.scalars) != \(expected)")
        }
    }

    @Test func numpyLoadsWhatNervaWritesByteForByte() throws {
        guard PythonScript.canImport("numpy") else {
            if PythonScript.isRequired { Issue.record("numpy is not installed for \(PythonScript.python)") }
            return
        }
        let values: [Float] = [0, 1, -2, 3.5, 100, -7.25, 0.5, 42]
        var cases: [[String: Any]] = []
        for type in NumpyArray.ScalarType.allCases {
            let typed = values.map { type.rawValue.hasPrefix("u") || type == .bool ? abs($0) : $0 }
            let array = NumpyArray(scalars: typed, shape: [2, 4], scalarType: type)
            let expected = try NumpyArray(decoding: array.encoded()).scalars
            cases.append([
                "name": type.rawValue, "npy": Data(array.encoded()).base64EncodedString(), "shape": [2, 4],
                "dtype": (type.byteCount == 1 ? "|" : "<") + type.rawValue, "values": expected.map(Double.init)
            ])
        }
        for shape in [[], [0], [3], [2, 0, 3], [2, 3, 4]] {
            let count = shape.reduce(1, *)
            let array = NumpyArray(scalars: (0..<count).map(Float.init), shape: shape)
            cases.append([
                "name": "shape \(shape)", "npy": Data(array.encoded()).base64EncodedString(), "shape": shape,
                "dtype": "<f4", "values": (0..<count).map(Double.init)
            ])
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: input) }
        try JSONSerialization.data(withJSONObject: cases).write(to: input)
        let output = PythonScript.run([PythonScript.script("npy_interop.py"), "check", input.path])
        #expect(output.status == 0, "\(output.log)")
    }

    @Test func tensorRoundTrip() throws {
        let tensor = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let decoded = try NumpyArray(decoding: NumpyArray(tensor).encoded())
        #expect(decoded.tensor.shape == [2, 3] && decoded.tensor.scalars == tensor.scalars)
        #expect(decoded.scalarType == .float32)
    }

    @Test func headerIsPaddedLikeNumpys() {
        let bytes = NumpyArray(scalars: [1, 2, 3], shape: [3]).encoded()
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(bytes[10 + headerLength - 1] == UInt8(ascii: "\n"))
        #expect(bytes.count == 10 + headerLength + 12)
    }

    // MARK: - Hostile input

    @Test(arguments: [
        ("not numpy at all", "magic"),
        ("\u{93}NUMPY\u{09}\u{00}\u{10}\u{00}{}", "version 9.0"),
        ("\u{93}NUMPY\u{01}\u{00}\u{ff}\u{00}{'descr'", "claims 255 bytes"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", "needs 16 bytes of data, found 8"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "needs 4 bytes of data, found 8"),
        ("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", "element type"),
        ("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "element type"),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", "fortran_order"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "integer"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", "larger than the file"),
        ("{'descr': '<f4', 'fortran_order': False}", "not descr, fortran_order and shape"),
        ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "appears twice"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "expected a quoted string"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } trailing", "text follows"),
        ("{'descr': '<f4 , 'fortran_order': False, 'shape': (1,) }", "expected"),
        ("['descr']", "expected '{'")
    ])
    func hostileInputIsANamedError(input: String, expected: String) {
        var bytes = Array(input.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        if input.hasPrefix("{") || input.hasPrefix("[") { // a header: wrap it as version 1.0 with 8 bytes of data
            let header = Array(input.utf8) + [UInt8(ascii: "\n")]
            bytes = NumpyArray.testMagic + [1, 0, UInt8(header.count), 0] + header + [UInt8](repeating: 0, count: 8)
        }
        #expect {
            try NumpyArray(decoding: bytes, source: "arrays/0")
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("arrays/0: not a readable .npy array") && message.contains(expected)
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = NumpyArray(scalars: [1, 2, 3, 4, 5, 6], shape: [2, 3], scalarType: .float64).encoded()
        for length in 0..<bytes.count {
            #expect(throws: NumpyFormatError.self) { try NumpyArray(decoding: Array(bytes[0..<length])) }
        }
    }

    // MARK: - Fixture

    /// NumPy's files for every supported type and layout, or `nil` (test skipped) without numpy.
    private static func numpyCases() throws -> [[String: Any]]? {
        let output = PythonScript.run([PythonScript.script("npy_interop.py"), "generate"])
        guard output.status == 0 else {
            if PythonScript.isRequired { Issue.record("numpy reference unavailable: \(output.log)") }
            return nil
        }
        return try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]]
    }
}

extension NumpyArray {
    static var testMagic: [UInt8] { [0x93] + Array("NUMPY".utf8) }
}
