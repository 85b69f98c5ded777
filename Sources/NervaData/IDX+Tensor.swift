import NervaTensor

/// Converting an IDX payload to tensors and integers.
extension IDXFile {
    /// The elements as a `Float` tensor of `shape`, each multiplied by `scale`.
    ///
    /// `tensor(scaledBy: 1 / 255)` maps `u8` pixels to `[0, 1]`. `f64` values are rounded to
    /// `Float`; `i32` values above 2²⁴ lose their lowest bits.
    public func tensor(scaledBy scale: Float = 1) -> Tensor {
        let out = Tensor.zeros(shape)
        out.withUnsafeMutableBufferPointer { destination in
            withPayload { source in IDXFile.convert(source, to: destination, type: dataType, scale: scale) }
        }
        return out
    }

    /// The elements of an integer file as `Int`s (class labels, counts).
    ///
    /// - Precondition: `dataType.isInteger`.
    public func integers() -> [Int] {
        precondition(dataType.isInteger, "IDXFile.integers(): \(source) holds \(dataType), not integers; use tensor().")
        let n = count
        return withPayload { source in
            switch dataType {
            case .uint8: return source.map { Int($0) }
            case .int8: return source.map { Int(Int8(bitPattern: $0)) }
            case .int16:
                return (0..<n).map {
                    Int(
                        Int16(
                            bitPattern: UInt16(bigEndian: source.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))
                        ))
                }
            case .int32:
                return (0..<n).map {
                    Int(
                        Int32(
                            bitPattern: UInt32(bigEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))
                        ))
                }
            case .float32, .float64: fatalError("unreachable: checked above")
            }
        }
    }

    /// Big-endian elements of `type` to scaled floats; each loop is simple enough to vectorise.
    private static func convert(
        _ source: UnsafeRawBufferPointer, to destination: UnsafeMutableBufferPointer<Float>,
        type: IDXDataType, scale: Float
    ) {
        guard let output = destination.baseAddress, let input = source.baseAddress else { return }
        let n = destination.count
        switch type {
        case .uint8:
            let bytes = input.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n { output[i] = Float(bytes[i]) * scale }
        case .int8:
            let bytes = input.assumingMemoryBound(to: Int8.self)
            for i in 0..<n { output[i] = Float(bytes[i]) * scale }
        case .int16:
            for i in 0..<n {
                let bits = UInt16(bigEndian: input.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                output[i] = Float(Int16(bitPattern: bits)) * scale
            }
        case .int32:
            for i in 0..<n {
                let bits = UInt32(bigEndian: input.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                output[i] = Float(Int32(bitPattern: bits)) * scale
            }
        case .float32:
            for i in 0..<n {
                let bits = UInt32(bigEndian: input.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                output[i] = Float(bitPattern: bits) * scale
            }
        case .float64:
            for i in 0..<n {
                let bits = UInt64(bigEndian: input.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                output[i] = Float(Double(bitPattern: bits)) * scale
            }
        }
    }
}
