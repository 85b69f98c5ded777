import Foundation
import NervaRec

/// A scratch NCF network with one user row, loaded for one participant's request at a time:
/// the global shared weights it needs (the rows of the items it touches, the dense weights) and
/// the participant's private user row. Participants of a simulation borrow workspaces from a
/// `NCFWorkspacePool`, so a round over thousands of users allocates no model per user; only the
/// touched rows are copied in and out, and the optimiser's state is reset row by row.
final class NCFWorkspace {
    let model: FederatedNCFModel
    let tables: NCFTables
    /// The global layout and, per entry, the scratch tensor it is loaded into.
    let layout: ParameterLayout
    let targets: [(entry: ParameterLayout.Entry, tensor: Tensor, isItemTable: Bool)]
    /// Local training's optimiser (NCF's Adam), reset for every request.
    let optimizer: Adam
    /// The optimiser of the user row alone, for `refitUserRow`.
    let userOptimizer: Adam
    /// Example counts per item row, zero between requests.
    var rowCounts: [Float]

    init(model: FederatedNCFModel) {
        self.model = model
        tables = NCFTables(model.makeNetwork(users: 1, seed: 0))
        let shared = tables.sharedTensors()
        layout = ParameterLayout(names: shared.map(\.name), shapes: shared.map(\.tensor.shape))
        let itemTables = Set(tables.item.map { ObjectIdentifier($0.weight) })
        targets = zip(layout.entries, shared).map { ($0, $1.tensor, itemTables.contains(ObjectIdentifier($1.tensor))) }
        optimizer = Adam(tables.network.parameters())
        userOptimizer = Adam(tables.user.map(\.weight))
        rowCounts = [Float](repeating: 0, count: model.itemCount)
    }

    /// Copies the shared weights `rows` of the item tables and every dense weight need from
    /// `global`, and `user` into the user row.
    ///
    /// - Throws: `FederatedError.invalidConfiguration` when `global` has another layout.
    func load(_ global: ParameterSet, rows: [Int], user: [Float]) throws {
        guard global.layout == layout else {
            throw FederatedError.invalidConfiguration(
                "the global parameters do not fit this NCF model: "
                    + UpdateValidation.layoutDifference(global.layout, layout))
        }
        withoutGradients {
            global.values.withUnsafeBufferPointer { source in
                for target in targets {
                    target.tensor.withUnsafeMutableBufferPointer { destination in
                        if target.isItemTable {
                            let width = target.entry.shape[1]
                            for row in rows {
                                (destination.baseAddress! + row * width)
                                    .update(from: source.baseAddress! + target.entry.offset + row * width, count: width)
                            }
                        } else {
                            destination.baseAddress!.update(
                                from: source.baseAddress! + target.entry.offset, count: target.entry.count)
                        }
                    }
                }
            }
            var offset = 0
            for table in tables.user {
                table.weight.withUnsafeMutableBufferPointer { row in
                    for k in 0..<table.dimension { row[k] = user[offset + k] }
                }
                offset += table.dimension
            }
        }
    }

    /// The user row (all user tables, concatenated).
    func userRow() -> [Float] { tables.user.flatMap(\.weight.scalars) }

    /// Forgets `optimizer`'s state of `rows` (item tables) and of every other tensor, and sets
    /// its learning rate, so that training starts afresh as with a new Adam.
    func reset(_ optimizer: Adam, rows: [Int], learningRate: Float) {
        optimizer.learningRate = learningRate
        let itemTables = Set(tables.item.map { ObjectIdentifier($0.weight) })
        for (index, parameter) in optimizer.parameters.enumerated() {
            if optimizer.hasSlot("step", index: index) {
                optimizer.slot("step", index: index, shape: []).withUnsafeMutableBufferPointer { $0[0] = 0 }
            }
            for name in ["exp_avg", "exp_avg_sq"] where optimizer.hasSlot(name, index: index) {
                optimizer.slot(name, index: index).withUnsafeMutableBufferPointer { state in
                    if itemTables.contains(ObjectIdentifier(parameter)) {
                        let width = parameter.shape[1]
                        for row in rows { (state.baseAddress! + row * width).update(repeating: 0, count: width) }
                    } else {
                        state.update(repeating: 0)
                    }
                }
            }
        }
    }

    /// Trains the network on `epochs` (items and labels of the workspace's single user) in
    /// batches of `batchSize` with `optimizer`, and returns the summed loss and the example count.
    /// With `proximal` (FedProx) every step adds `μ·(w − w_global)` to the gradient of the
    /// loaded shared weights (the item rows in `rows`, every dense weight).
    func train(
        _ epochs: [LocalSamples], batchSize: Int, optimizer: Optimizer,
        proximal: (mu: Float, global: ParameterSet, rows: [Int])? = nil
    ) -> (lossSum: Double, count: Int) {
        let network = tables.network
        network.train()
        defer { network.eval() }
        var lossSum = 0.0, count = 0
        for epoch in epochs {
            var start = 0
            while start < epoch.items.count {
                let end = min(epoch.items.count, start + batchSize)
                self.optimizer.zeroGradients() // every tensor's gradient, whichever optimiser steps
                let loss = binaryCrossEntropy(
                    logits: network.logits(
                        users: Array(repeating: 0, count: end - start),
                        items: Array(epoch.items[start..<end])),
                    targets: Tensor(Array(epoch.labels[start..<end])))
                loss.backward()
                if let proximal { addProximalGradient(mu: proximal.mu, global: proximal.global, rows: proximal.rows) }
                optimizer.step()
                lossSum += Double(loss.scalar) * Double(end - start)
                count += end - start
                start = end
            }
        }
        self.optimizer.zeroGradients()
        return (lossSum, count)
    }

    /// `gradient += μ·(w − w_global)` on the loaded shared weights: the gradient of FedProx's
    /// proximal term `μ/2·‖w − w_global‖²` (Li et al. 2020, https://arxiv.org/abs/1812.06127).
    /// The item rows outside `rows` hold nothing of this request and are left alone.
    func addProximalGradient(mu: Float, global: ParameterSet, rows: [Int]) {
        global.values.withUnsafeBufferPointer { anchor in
            for target in targets {
                let weight = target.tensor
                // The gradient may share storage with a graph value; write into a fresh copy.
                let gradient =
                    weight.gradient.map { dense in Tensor(dense.densified().scalars, shape: weight.shape) }
                    ?? Tensor.zeros(weight.shape)
                gradient.withUnsafeMutableBufferPointer { g in
                    weight.withUnsafeBufferPointer { w in
                        let a = anchor.baseAddress! + target.entry.offset
                        if target.isItemTable {
                            let width = target.entry.shape[1]
                            for row in rows {
                                for i in row * width..<(row + 1) * width { g[i] += mu * (w[i] - a[i]) }
                            }
                        } else {
                            for i in 0..<target.entry.count { g[i] += mu * (w[i] - a[i]) }
                        }
                    }
                }
                weight.gradient = gradient
            }
        }
    }

    /// Fits the user row alone to `epochs`, the loaded shared weights held fixed, with a fresh
    /// Adam at `learningRate`: the device adapts its private embedding to the shared model it
    /// just received.
    func refitUserRow(_ epochs: [LocalSamples], batchSize: Int, learningRate: Float) {
        let userTables = Set(tables.user.map { ObjectIdentifier($0.weight) })
        let frozen = optimizer.parameters.filter { !userTables.contains(ObjectIdentifier($0)) }
        for parameter in frozen { parameter.requiresGradient = false }
        defer { for parameter in frozen { parameter.requiresGradient = true } }
        reset(userOptimizer, rows: [], learningRate: learningRate)
        _ = train(epochs, batchSize: batchSize, optimizer: userOptimizer)
    }

    /// The trained shared weights as a sparse update: `item_rows` (the touched rows, ascending),
    /// `item_row_weights` (examples per row), each item table's touched rows, each dense tensor.
    func sparseUpdate(rows: [Int]) -> ParameterSet {
        var names = [RecommendationUpdate.rowsName, RecommendationUpdate.rowWeightsName],
            shapes = [[rows.count], [rows.count]]
        for target in targets {
            names.append(target.entry.name)
            shapes.append(target.isItemTable ? [rows.count, target.entry.shape[1]] : target.entry.shape)
        }
        let layout = ParameterLayout(names: names, shapes: shapes)
        var values = [Float](repeating: 0, count: layout.scalarCount)
        values.withUnsafeMutableBufferPointer { out in
            for (k, row) in rows.enumerated() {
                out[k] = Float(row)
                out[rows.count + k] = rowCounts[row]
            }
            for (target, entry) in zip(targets, layout.entries.dropFirst(2)) {
                target.tensor.withUnsafeBufferPointer { source in
                    if target.isItemTable {
                        let width = target.entry.shape[1]
                        for (k, row) in rows.enumerated() {
                            (out.baseAddress! + entry.offset + k * width).update(
                                from: source.baseAddress! + row * width, count: width)
                        }
                    } else {
                        (out.baseAddress! + entry.offset).update(from: source.baseAddress!, count: entry.count)
                    }
                }
            }
        }
        return ParameterSet(layout: layout, values: values)
    }
}

/// Workspaces shared by the participants of one process: a participant borrows one for a
/// request and gives it back, so there are as many scratch models as concurrent requests.
public final class NCFWorkspacePool: @unchecked Sendable {
    /// The architecture of the workspaces.
    public let model: FederatedNCFModel
    private var free: [NCFWorkspace] = []
    private let lock = NSLock()

    public init(model: FederatedNCFModel) { self.model = model }

    /// Runs `body` with a workspace nobody else uses meanwhile.
    func withWorkspace<R>(_ body: (NCFWorkspace) throws -> R) rethrows -> R {
        lock.lock()
        let workspace = free.popLast() ?? NCFWorkspace(model: model)
        lock.unlock()
        defer {
            lock.lock()
            free.append(workspace)
            lock.unlock()
        }
        return try body(workspace)
    }
}
