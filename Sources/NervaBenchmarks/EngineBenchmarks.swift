import CBLAS
import CNervaKernels
import NervaNN
import NervaOptim
import NervaTensor

/// The `engine` suite: GEMM through Nerva and through oneDNN and OpenBLAS directly, element-wise
/// throughput, and the training throughput of an MLP 784→256→256→10 with Adam.
public struct EngineBenchmarks {
    /// Whether to measure for a shorter time (under 20 s per suite), less precisely.
    public let quick: Bool
    /// Where the measurements go.
    public let reporter: BenchmarkReporter

    /// A suite that reports to `reporter`.
    /// - Parameters:
    ///   - quick: Whether to measure for a shorter time, less precisely.
    ///   - reporter: Where the measurements go (and which of them run: ``BenchmarkReporter/wants(_:)``).
    public init(quick: Bool, reporter: BenchmarkReporter) {
        self.quick = quick
        self.reporter = reporter
    }

    private var seconds: Double { quick ? 0.4 : 2 }

    /// Runs the suite's measurements that the reporter wants, in order.
    public func run() {
        if reporter.wants("sgemm") { gemm() }
        if reporter.wants("elementwise") { elementwise() }
        if reporter.wants("mlp_train") { for batch in [64, 256] { mlpTraining(batch: batch) } }
    }

    /// Square products and the first layer of the MLP at batch 64, through Nerva (`matmul`) and
    /// as one direct call of each library with its own threads: oneDNN (what Nerva uses; timed in
    /// windows alternating with Nerva's) and OpenBLAS.
    private func gemm() {
        let rng = RandomGenerator(seed: 1)
        let shapes = [128, 256, 512, 1024, 2048].map { (m: $0, n: $0, k: $0) } + [(m: 64, n: 256, k: 784)]
        for (m, n, k) in shapes {
            let a = Tensor.uniform([m, k], generator: rng), b = Tensor.uniform([k, n], generator: rng)
            let c = Tensor.zeros([m, n])
            let flops = 2 * Double(m) * Double(n) * Double(k)
            let time = m * n * k >= 1 << 30 ? seconds * 1.5 : seconds / 2
            let params: KeyValuePairs<String, Any> = m == n && n == k ? ["n": n] : ["m": m, "n": n, "k": k]
            // Nerva and oneDNN's direct call in alternating windows: the same library underneath,
            // so what differs is Nerva's overhead, not the VM's mood.
            let rates = Stopwatch.rates(
                seconds: time, work: flops / 1e9,
                [
                    { _ = a.matmul(b) },
                    {
                        directCall(a, b, c) {
                            nerva_backend_sgemm_direct(Int64(m), Int64(n), Int64(k), $0, $1, $2)
                        }
                    }
                ])
            reporter.report("sgemm", params: params, value: rates[0], unit: "GFLOP/s")
            reporter.report("sgemm_onednn_direct", params: params, value: rates[1], unit: "GFLOP/s")
            PyTorchPeer.settle()
            let openblas = Stopwatch.rate(seconds: time, work: flops / 1e9) {
                directCall(a, b, c) {
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                        $0, Int32(k), $1, Int32(n), 0, $2, Int32(n))
                }
            }
            reporter.report("sgemm_openblas_direct", params: params, value: openblas, unit: "GFLOP/s")
            PyTorchPeer.settle()
        }
    }

    private func directCall(
        _ a: Tensor, _ b: Tensor, _ c: Tensor,
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in body(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!) }
            }
        }
    }

    private func elementwise() {
        let n = 1 << 20
        let rng = RandomGenerator(seed: 2)
        let x = Tensor.uniform([n], low: -1, high: 1, generator: rng), y = Tensor.uniform([n], generator: rng)
        let row = Tensor.uniform([1024], generator: rng), matrix = x.reshaped([1024, 1024])
        let cases: [(String, () -> Tensor)] = [
            ("add", { x + y }), ("multiply", { x * y }), ("add_broadcast_row", { matrix + row }),
            ("relu", { x.relu() }), ("exp", { x.exp() }), ("sigmoid", { x.sigmoid() }), ("sum", { x.sum() })
        ]
        for (op, body) in cases {
            let rate = Stopwatch.rate(seconds: seconds / 4, work: Double(n) / 1e9) { _ = body() }
            reporter.report("elementwise", params: ["op": op, "n": n], value: rate, unit: "GFLOP/s")
        }
    }

    private func mlpTraining(batch: Int) {
        let rng = RandomGenerator(seed: 3)
        let model = Sequential(
            Linear(inputSize: 784, outputSize: 256, generator: rng), ReLU(),
            Linear(inputSize: 256, outputSize: 256, generator: rng), ReLU(),
            Linear(inputSize: 256, outputSize: 10, generator: rng))
        let optimizer = Adam(model.parameters(), learningRate: 1e-3)
        let batches = 16
        let inputs = Tensor.uniform([batches * batch, 784], generator: rng)
        let labels = (0..<(batches * batch)).map { _ in rng.integer(below: 10) }
        var index = 0
        let rate = Stopwatch.rate(seconds: seconds, work: Double(batch)) {
            let rows = (index % batches) * batch..<((index % batches) + 1) * batch
            index += 1
            optimizer.zeroGradients()
            let loss = crossEntropy(logits: model(inputs[rows]), labels: Array(labels[rows]))
            loss.backward()
            optimizer.step()
        }
        reporter.report("mlp_train", params: ["batch": batch], value: rate, unit: "samples/s")
    }
}
