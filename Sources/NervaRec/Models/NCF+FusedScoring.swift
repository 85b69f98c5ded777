extension NCFScoring {
    /// All-pairs scoring straight on BLAS with preallocated scratch buffers: per block of users,
    /// `relu(userPart + itemPart)` is written once, each further tower layer is one `sgemm` plus
    /// an in-place bias and ReLU, and the GMF term and the final layer accumulate into the
    /// output. No tensor is allocated per block.
    static func fusedScoreAll(
        users: Range<Int>, into scores: UnsafeMutablePointer<Float>, itemCount: Int,
        gmf: (users: Tensor, items: Tensor)?, mlp: (users: Tensor, items: Tensor, tower: [Linear])?,
        weight: Tensor, bias: Tensor?
    ) {
        let items = itemCount
        let gmfSize = gmf?.users.shape[1] ?? 0
        let w = weight.scalars, b = bias?.scalars.first ?? 0
        // Parts computed once: the first MLP layer split into user and item halves.
        var itemPart: [Float] = [], userPart: [Float] = [], hidden = 0
        var layers: [(weight: [Float], bias: [Float], input: Int, output: Int)] = []
        if let mlp, let first = mlp.tower.first {
            let half = mlp.users.shape[1]
            hidden = first.outputSize
            withoutGradients {
                itemPart =
                    mlp.items.matmul(first.weight.sliced(alongAxis: 1, half..<(2 * half)), transposingOther: true)
                    .scalars
                var u = mlp.users.sliced(alongAxis: 0, users).matmul(
                    first.weight.sliced(alongAxis: 1, 0..<half), transposingOther: true)
                if let firstBias = first.bias { u = u + firstBias }
                userPart = u.scalars
            }
            layers = mlp.tower.dropFirst().map {
                (
                    $0.weight.scalars, $0.bias?.scalars ?? Array(repeating: 0, count: $0.outputSize),
                    $0.inputSize, $0.outputSize
                )
            }
        }
        let mlpWeight = Array(w[gmfSize...])
        let gmfUsers = gmf.map { g in withoutGradients { g.users.sliced(alongAxis: 0, users) }.scalars } ?? []
        let gmfItems = gmf?.items.scalars ?? []
        let perBlock = max(1, blockRows / max(items, 1))
        let widest = ([hidden] + layers.map(\.output)).max()!
        var bufferA = [Float](repeating: 0, count: perBlock * items * max(widest, 1))
        var bufferB = bufferA
        var weighted = [Float](repeating: 0, count: perBlock * max(gmfSize, 1))
        var start = 0
        while start < users.count {
            let count = min(perBlock, users.count - start)
            let out = scores + start * items
            let rows = count * items
            for r in 0..<rows { out[r] = b }
            if gmf != nil {
                for u in 0..<count {
                    for f in 0..<gmfSize { weighted[u * gmfSize + f] = gmfUsers[(start + u) * gmfSize + f] * w[f] }
                }
                LinearAlgebra.multiply(
                    weighted, gmfItems, transposingB: true, into: out,
                    m: count, n: items, k: gmfSize, beta: 1)
            }
            if hidden > 0 {
                bufferA.withUnsafeMutableBufferPointer { a in
                    bufferB.withUnsafeMutableBufferPointer { bb in
                        var current = a.baseAddress!, next = bb.baseAddress!
                        for u in 0..<count {
                            userPart.withUnsafeBufferPointer { up in
                                itemPart.withUnsafeBufferPointer { ip in
                                    let userRow = up.baseAddress! + (start + u) * hidden
                                    for i in 0..<items {
                                        let target = current + (u * items + i) * hidden,
                                            itemRow = ip.baseAddress! + i * hidden
                                        for k in 0..<hidden { target[k] = max(0, userRow[k] + itemRow[k]) }
                                    }
                                }
                            }
                        }
                        var width = hidden
                        for layer in layers {
                            LinearAlgebra.multiply(
                                current, layer.weight, transposingB: true, into: next,
                                m: rows, n: layer.output, k: layer.input)
                            layer.bias.withUnsafeBufferPointer { lb in
                                for r in 0..<rows {
                                    let row = next + r * layer.output
                                    for o in 0..<layer.output { row[o] = max(0, row[o] + lb[o]) }
                                }
                            }
                            swap(&current, &next)
                            width = layer.output
                        }
                        LinearAlgebra.multiply(
                            matrix: current, rows: rows, columns: width, vector: mlpWeight,
                            into: out, beta: 1)
                    }
                }
            }
            start += count
        }
    }
}
