import Foundation
import NervaData
import NervaNN
import NervaOptim
import NervaTensor

/// The engine part of the tour: an MLP learns to separate two interleaved spirals (a classic
/// non-linear problem), is saved as a safetensors checkpoint, and is reloaded to check that the
/// copy predicts exactly the same.
public struct EngineTour: TourPart {
    /// The part's name in the summary table.
    public let title = "engine: MLP on two spirals"
    /// The seed of the data, the model and the batches.
    public let seed: UInt64
    /// The tour's folder.
    public let folder: RunFolder

    /// The engine part.
    /// - Parameters:
    ///   - seed: The seed of the data, the model and the batches.
    ///   - folder: The tour's folder.
    public init(seed: UInt64, folder: RunFolder) {
        self.seed = seed
        self.folder = folder
    }

    /// Runs the part into the tour's folder: progress on standard output, records, figures and
    /// text in the folder's report.
    /// - Returns: The part's result in one line (or why it was skipped).
    @discardableResult
    public func run() throws -> String {
        let rng = RandomGenerator(seed: seed)
        let (points, labels) = Self.twoSpirals(count: 1000, generator: rng)
        let model = Self.makeModel(generator: rng)
        let optimizer = Adam(model.parameters(), learningRate: 0.01)
        var losses: [Double] = [], accuracies: [Double] = []
        let batchSize = 100
        print("engine: training an MLP 2→64→64→2 on two spirals (\(labels.count) points)")
        for epoch in 1...300 {
            let order = rng.permutation(labels.count)
            var total: Float = 0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = Array(order[start..<min(start + batchSize, order.count)])
                optimizer.zeroGradients()
                let loss = crossEntropy(logits: model(points.gathering(rows: rows)), labels: rows.map { labels[$0] })
                loss.backward()
                optimizer.step()
                total += loss.scalar * Float(rows.count)
            }
            let accuracy = Self.accuracy(model, points, labels)
            losses.append(Double(total / Float(labels.count)))
            accuracies.append(Double(accuracy))
            folder.log(["part": "engine", "epoch": epoch, "loss": losses.last!, "accuracy": accuracies.last!])
            if epoch % 50 == 0 {
                print(
                    "  epoch \(epoch)  loss \(String(format: "%.4f", total / Float(labels.count)))  accuracy \(String(format: "%.3f", accuracy))"
                )
            }
        }
        let curves = LineChart(
            title: "Two spirals: training", xLabel: "epoch", yLabel: "value",
            series: [
                .init(name: "loss", values: losses), .init(name: "accuracy", values: accuracies)
            ])
        folder.addFigure(
            title: "Engine: an MLP learns two spirals",
            files: try Figure.write(svg: curves.svg(), to: folder.file("spirals-training.svg")),
            caption: "Cross-entropy loss and accuracy per epoch (Adam, batch 100).")
        let map = folder.file("spirals-decision-map.png")
        try PNG.write(Self.decisionMap(model), to: map)
        folder.addFigure(
            title: "Engine: decision map", files: [map],
            caption: "P(second spiral) over [−1.2, 1.2]², dark = first spiral, bright = second.")

        let checkpoint = folder.file("spirals-mlp.safetensors")
        try model.save(to: checkpoint, metadata: ["task": "two spirals", "seed": "\(seed)"])
        let copy = Self.makeModel(generator: RandomGenerator(seed: seed &+ 1))
        try copy.load(from: checkpoint)
        let same = withoutGradients { model(points).scalars == copy(points).scalars }
        print(
            "  saved \(checkpoint.lastPathComponent) (\(model.parameterCount) parameters); reloaded copy predicts identically: \(same)"
        )
        return String(
            format: "accuracy %.3f after 300 epochs; the reloaded checkpoint predicts %@",
            accuracies.last ?? 0, same ? "identically" : "differently")
    }

    static func makeModel(generator: RandomGenerator) -> Sequential {
        Sequential(
            Linear(inputSize: 2, outputSize: 64, generator: generator), ReLU(),
            Linear(inputSize: 64, outputSize: 64, generator: generator), ReLU(),
            Linear(inputSize: 64, outputSize: 2, generator: generator))
    }

    /// The model's probability of the second spiral over a grid of the plane, as a heat map image.
    static func decisionMap(_ model: Sequential, resolution: Int = 80) -> Tensor {
        let coordinates = (0..<resolution).flatMap { row in
            (0..<resolution).flatMap { column -> [Float] in
                [Float(column) / Float(resolution - 1) * 2.4 - 1.2, 1.2 - Float(row) / Float(resolution - 1) * 2.4]
            }
        }
        let probabilities = withoutGradients {
            model(Tensor(coordinates, shape: [resolution * resolution, 2])).softmax(alongAxis: 1)
        }.scalars
        let values = (0..<resolution).map { row in
            (0..<resolution).map { Double(probabilities[(row * resolution + $0) * 2 + 1]) }
        }
        let blank = Array(repeating: "", count: resolution)
        return HeatMap(title: "", rowLabels: blank, columnLabels: blank, values: values, showsValues: false).pngImage(
            cellSize: 3)
    }

    static func accuracy(_ model: Sequential, _ points: Tensor, _ labels: [Int]) -> Float {
        let predicted = withoutGradients { model(points).argmax(alongAxis: 1).scalars }
        return Float(zip(predicted, labels).filter { Int($0) == $1 }.count) / Float(labels.count)
    }

    /// Two interleaved spirals in the plane, `count` points, with a little noise; label = arm.
    static func twoSpirals(count: Int, generator: RandomGenerator) -> (Tensor, [Int]) {
        var coordinates: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let arm = i % 2
            let t = Float(i / 2) / Float(count / 2) * 3 * .pi + 0.5
            let sign: Float = arm == 0 ? 1 : -1
            coordinates += [
                sign * t * cos(t) / 10 + generator.normal() * 0.02,
                sign * t * sin(t) / 10 + generator.normal() * 0.02
            ]
            labels.append(arm)
        }
        return (Tensor(coordinates, shape: [count, 2]), labels)
    }
}
