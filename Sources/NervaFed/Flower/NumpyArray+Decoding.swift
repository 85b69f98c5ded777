import Foundation

extension NumpyArray {
    /// Reads a `.npy` file; `source` names it in errors.
    ///
    /// - Throws: `NumpyFormatError` for a wrong magic string or version, a header that is not
    ///   NumPy's dictionary of `descr`, `fortran_order` and `shape`, an unsupported element type,
    ///   or a payload whose size differs from what the shape and type require.
    public init(decoding bytes: [UInt8], source: String = "<npy>") throws {
        func fail(_ problem: String) -> NumpyFormatError { NumpyFormatError(source: source, problem: problem) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == Self.magic else {
            throw fail("it does not start with the magic string \\x93NUMPY")
        }
        let version = (bytes[6], bytes[7])
        let headerStart: Int, headerLength: Int
        switch version {
        case (1, 0):
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case (2, 0), (3, 0):
            guard bytes.count >= 12 else { throw fail("the file ends inside the header length") }
            headerStart = 12
            headerLength = (8..<12).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 8)) }
        default:
            throw fail("format version \(version.0).\(version.1) is not 1.0, 2.0 or 3.0")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw fail("the header claims \(headerLength) bytes but only \(bytes.count - headerStart) follow")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        guard version.0 == 3 || headerBytes.allSatisfy({ $0 < 0x80 }),
            let headerText = String(validating: headerBytes, as: UTF8.self)
        else {
            throw fail("the header is not \(version.0 == 3 ? "UTF-8" : "ASCII") text")
        }
        let header: NumpyHeader
        do {
            header = try NumpyHeader(parsing: headerText)
        } catch {
            let problem = (error as? NumpyHeader.ParseError)?.problem ?? "\(error)"
            throw fail(
                "header \(headerText.trimmingCharacters(in: .whitespacesAndNewlines).debugDescription): \(problem)")
        }

        var count = 1
        for dimension in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= bytes.count else {
                throw fail("the shape \(header.shape) is larger than the file")
            }
            count = product
        }
        let payloadStart = headerStart + headerLength
        let expected = count * header.scalarType.byteCount
        guard bytes.count - payloadStart == expected else {
            throw fail(
                "shape \(header.shape) of \(header.scalarType) needs \(expected) bytes of data, found \(bytes.count - payloadStart)"
            )
        }
        var scalars = bytes.withUnsafeBytes { raw in
            Self.convert(
                UnsafeRawBufferPointer(rebasing: raw[payloadStart...]), count: count,
                type: header.scalarType, bigEndian: header.isBigEndian)
        }
        if header.isFortranOrder && header.shape.count > 1 {
            scalars = Self.rowMajor(columnMajor: scalars, shape: header.shape)
        }
        self.init(scalars: scalars, shape: header.shape, scalarType: header.scalarType)
    }

    private static func convert(_ raw: UnsafeRawBufferPointer, count: Int, type: ScalarType, bigEndian: Bool) -> [Float]
    {
        func read<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
            let value = raw.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)
            return bigEndian ? T(bigEndian: value) : T(littleEndian: value)
        }
        return (0..<count).map { i -> Float in
            switch type {
            case .bool: raw[i] != 0 ? 1 : 0
            case .int8: Float(Int8(bitPattern: raw[i]))
            case .int16: Float(read(Int16.self, i))
            case .int32: Float(read(Int32.self, i))
            case .int64: Float(read(Int64.self, i))
            case .uint8: Float(raw[i])
            case .uint16: Float(read(UInt16.self, i))
            case .uint32: Float(read(UInt32.self, i))
            case .uint64: Float(read(UInt64.self, i))
            case .float16: Float(Float16(bitPattern: read(UInt16.self, i)))
            case .float32: Float(bitPattern: read(UInt32.self, i))
            case .float64: Float(Double(bitPattern: read(UInt64.self, i)))
            }
        }
    }

    /// Fortran-order (first index fastest) elements rearranged into C order.
    private static func rowMajor(columnMajor source: [Float], shape: [Int]) -> [Float] {
        var columnStrides = [Int](repeating: 1, count: shape.count)
        for axis in 1..<shape.count { columnStrides[axis] = columnStrides[axis - 1] * shape[axis - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        var result = [Float]()
        result.reserveCapacity(source.count)
        for _ in 0..<source.count {
            result.append(source[zip(index, columnStrides).reduce(0) { $0 + $1.0 * $1.1 }])
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }
}

/// The dictionary at the start of a `.npy` file, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }`, parsed strictly: exactly
/// these three keys, Python literals only.
struct NumpyHeader {
    struct ParseError: Error { let problem: String }

    let scalarType: NumpyArray.ScalarType
    let isBigEndian: Bool
    let isFortranOrder: Bool
    let shape: [Int]

    init(parsing text: String) throws {
        var scanner = LiteralScanner(text)
        var fields: [String: LiteralScanner.Value] = [:]
        try scanner.expect("{")
        while !scanner.consume("}") {
            let key = try scanner.string()
            try scanner.expect(":")
            guard fields.updateValue(try scanner.value(), forKey: key) == nil else {
                throw ParseError(problem: "the key '\(key)' appears twice")
            }
            if !scanner.consume(",") {
                try scanner.expect("}")
                break
            }
        }
        guard scanner.isAtEnd else { throw ParseError(problem: "text follows the dictionary") }
        guard Set(fields.keys) == ["descr", "fortran_order", "shape"] else {
            throw ParseError(problem: "the keys are \(fields.keys.sorted()), not descr, fortran_order and shape")
        }
        guard case let .string(descr)? = fields["descr"], let order = descr.first, "<>|=".contains(order),
            let type = NumpyArray.ScalarType(rawValue: String(descr.dropFirst()))
        else {
            throw ParseError(problem: "the element type is not one of bool, int8–64, uint8–64, float16/32/64")
        }
        guard case let .boolean(fortran)? = fields["fortran_order"] else {
            throw ParseError(problem: "fortran_order is not True or False")
        }
        guard case let .tuple(shape)? = fields["shape"], shape.allSatisfy({ $0 >= 0 }) else {
            throw ParseError(problem: "shape is not a tuple of non-negative integers")
        }
        scalarType = type
        isBigEndian = order == ">"
        isFortranOrder = fortran
        self.shape = shape
    }
}

/// Reads the few Python literals a `.npy` header holds: quoted strings, True/False, and tuples of
/// integers.
struct LiteralScanner {
    enum Value {
        case string(String)
        case boolean(Bool)
        case tuple([Int])
    }

    private let characters: [Character]
    private var position = 0

    init(_ text: String) { characters = Array(text) }

    var isAtEnd: Bool {
        mutating get {
            skipSpace()
            return position == characters.count
        }
    }

    private mutating func skipSpace() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    mutating func consume(_ symbol: Character) -> Bool {
        skipSpace()
        guard position < characters.count, characters[position] == symbol else { return false }
        position += 1
        return true
    }

    mutating func expect(_ symbol: Character) throws {
        guard consume(symbol) else {
            throw NumpyHeader.ParseError(problem: "expected '\(symbol)' at character \(position)")
        }
    }

    mutating func string() throws -> String {
        skipSpace()
        guard position < characters.count, characters[position] == "'" || characters[position] == "\"" else {
            throw NumpyHeader.ParseError(problem: "expected a quoted string at character \(position)")
        }
        let quote = characters[position]
        guard let end = characters[(position + 1)...].firstIndex(of: quote) else {
            throw NumpyHeader.ParseError(problem: "a string is not closed")
        }
        defer { position = end + 1 }
        return String(characters[(position + 1)..<end])
    }

    mutating func value() throws -> Value {
        skipSpace()
        if consume("(") {
            var items: [Int] = []
            while !consume(")") {
                items.append(try integer())
                if !consume(",") {
                    try expect(")")
                    break
                }
            }
            return .tuple(items)
        }
        for (word, flag) in [("True", true), ("False", false)] where characters[position...].starts(with: word) {
            position += word.count
            return .boolean(flag)
        }
        return .string(try string())
    }

    private mutating func integer() throws -> Int {
        skipSpace()
        let start = position
        while position < characters.count, characters[position].isASCII, characters[position].isNumber { position += 1 }
        if position < characters.count, characters[position] == "L" { position += 1 } // Python 2's long suffix
        guard let value = Int(String(characters[start..<position]).trimmingSuffix("L")) else {
            throw NumpyHeader.ParseError(problem: "expected a non-negative integer at character \(start)")
        }
        return value
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
