import CNervaKernels

/// Matrix products and the fused affine map, on BLAS.
extension Tensor {
    /// The matrix product `op(self) · op(other)`, where `op` optionally transposes the last two axes.
    ///
    /// Both operands are matrices (`[m, k] · [k, n]`) or batches of them with the same leading
    /// dimensions (`[b, m, k] · [b, k, n]`); a batch times a single matrix applies the matrix to
    /// every item. Transposition is folded into the BLAS call: no copy is made.
    public func matmul(_ other: Tensor, transposingSelf: Bool = false, transposingOther: Bool = false) -> Tensor {
        let a = self, b = other
        precondition(a.rank >= 2 && b.rank >= 2, "matmul: needs matrices, got shapes \(a.shape) and \(b.shape).")
        let (m, ka) =
            transposingSelf ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (kb, n) =
            transposingOther ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        precondition(
            ka == kb && (batchA == batchB || batchA.isEmpty || batchB.isEmpty),
            "matmul: shapes \(a.shape)\(transposingSelf ? "ᵀ" : "") and \(b.shape)\(transposingOther ? "ᵀ" : "") do not multiply."
        )
        let batch = batchA.isEmpty ? batchB : batchA
        let out = Tensor(uninitializedShape: batch + [m, n])
        let pa = a.dense, pb = b.dense, pc = out.storage.base
        if batchB.isEmpty && !transposingSelf {
            // [b, m, k] · [k, n]: one product with b·m rows.
            Gemm.sgemm(
                pa, transposeA: false, pb, transposeB: transposingOther, pc, m: Shape.count(batchA) * m, n: n, k: ka)
        } else {
            let strideA = batchA.isEmpty ? 0 : m * ka, strideB = batchB.isEmpty ? 0 : ka * n
            for i in 0..<Shape.count(batch) {
                Gemm.sgemm(
                    pa + i * strideA, transposeA: transposingSelf, pb + i * strideB, transposeB: transposingOther,
                    pc + i * m * n, m: m, n: n, k: ka)
            }
        }
        guard Tensor.recordsGradient(a, b) else { return out }
        return out.record("matmul", [a, b]) { g in
            let gradA: Tensor?, gradB: Tensor?
            switch (transposingSelf, transposingOther) {
            case (false, false):
                gradA = a.requiresGradient ? g.matmul(b, transposingOther: true) : nil
                gradB = b.requiresGradient ? a.matmulForGradient(g, batchB, transposingSelf: true) : nil
            case (true, false):
                gradA = a.requiresGradient ? b.matmul(g, transposingOther: true) : nil
                gradB = b.requiresGradient ? a.matmul(g) : nil
            case (false, true):
                gradA = a.requiresGradient ? g.matmul(b) : nil
                gradB = b.requiresGradient ? g.matmulForGradient(a, batchB, transposingSelf: true) : nil
            case (true, true):
                gradA = a.requiresGradient ? b.matmul(g, transposingSelf: true, transposingOther: true) : nil
                gradB = b.requiresGradient ? g.matmul(a, transposingSelf: true, transposingOther: true) : nil
            }
            return [gradA, gradB]
        }
    }

    /// `selfᵀ · other` for the gradient of a single matrix applied to a batch: the batch is folded
    /// into the shared dimension so the sum over items happens inside one GEMM.
    private func matmulForGradient(_ other: Tensor, _ targetBatch: [Int], transposingSelf: Bool) -> Tensor {
        if targetBatch.isEmpty && rank > 2 {
            return reshaped([-1, shape[rank - 1]]).matmul(
                other.reshaped([-1, other.shape[other.rank - 1]]), transposingSelf: true)
        }
        return matmul(other, transposingSelf: transposingSelf)
    }

    /// The affine map `self · weightᵀ + bias` of a fully connected layer, in one BLAS call.
    ///
    /// - Parameters:
    ///   - weight: `[outputSize, inputSize]`, PyTorch's layout.
    ///   - bias: `[outputSize]`, or `nil`.
    /// - Returns: `[..., outputSize]` for an input of shape `[..., inputSize]`.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(
            weight.rank == 2 && rank >= 1 && shape[rank - 1] == weight.shape[1],
            "linear: input of shape \(shape) does not match weight of shape \(weight.shape) ([out, in]).")
        let outputSize = weight.shape[0], rows = scalarCount / Swift.max(shape[rank - 1], 1)
        if let bias {
            precondition(
                bias.shape == [outputSize], "linear: bias of shape \(bias.shape) does not match \(outputSize) outputs.")
        }
        let out = Tensor(uninitializedShape: shape.dropLast() + [outputSize])
        let y = out.storage.base
        if let bias { nerva_fill_rows(bias.dense, y, Int64(rows), Int64(outputSize)) }
        Gemm.sgemm(
            dense, transposeA: false, weight.dense, transposeB: true, y,
            m: rows, n: outputSize, k: weight.shape[1], beta: bias == nil ? 0 : 1)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        guard Tensor.recordsGradient(inputs) else { return out }
        let x = self
        return out.record("linear", inputs) { g in
            let g2 = g.reshaped([rows, outputSize])
            let gradX = x.requiresGradient ? g2.matmul(weight).reshaped(x.shape) : nil
            let gradW =
                weight.requiresGradient ? g2.matmul(x.reshaped([rows, weight.shape[1]]), transposingSelf: true) : nil
            return bias == nil ? [gradX, gradW] : [gradX, gradW, g2] // g2 is summed to [out] by the engine
        }
    }
}
