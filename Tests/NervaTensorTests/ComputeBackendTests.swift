import Foundation
import NervaTensor
import NervaTestSupport
import Testing

/// The backend's choice of kernels, and the vectorised kernels against scalar references on values
/// that stress them (signs, zeros, infinities, NaN, sizes that leave vector remainders). CI runs
/// this suite once per instruction set (`NERVA_ISA=baseline`, `avx2`, and the CPU's best).
@Suite struct ComputeBackendTests {
    /// Releasing cached memory frees only buffers nobody holds: live tensors keep their values,
    /// and later tensors are allocated as usual.
    @Test func releasingCachedMemoryLeavesLiveTensorsIntact() {
        let live = Tensor.full([1 << 18], value: 3)
        for _ in 0..<4 { _ = (Tensor.ones([1 << 18]) * 2).sum() } // buffers back into the cache
        ComputeBackend.releaseCachedMemory()
        #expect(live.scalars.allSatisfy { $0 == 3 })
        #expect((Tensor.ones([1 << 18]) * 2).sum().scalar == Float(1 << 19))
    }

    @Test func instructionSetFollowsTheCPUAndNERVA_ISA() {
        let chosen = ComputeBackend.instructionSet, best = ComputeBackend.cpuInstructionSet
        #expect(chosen <= best)
        if let cap = ProcessInfo.processInfo.environment["NERVA_ISA"].flatMap(
            ComputeBackend.InstructionSet.init(rawValue:))
        {
            #expect(chosen == min(cap, best))
        } else {
            #expect(chosen == best)
        }
        #if os(Linux)
            #expect(ComputeBackend.library.hasPrefix("oneDNN "))
        #endif
        #expect(ComputeBackend.summary.contains(chosen.rawValue))
    }

    /// Odd sizes (remainders after 16- and 8-wide loops) with special values mixed in.
    private func stressValues(count: Int, seed: UInt64, scale: Float) -> [Float] {
        let generator = RandomGenerator(seed: seed)
        let specials: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-5, -1e-5, 0.6, -0.6, 0.7, 9, -9, 30, -30, 100, -100]
        return (0..<count).map { i in i < specials.count ? specials[i] : generator.uniform(-scale, scale) }
    }

    @Test(arguments: [1, 7, 15, 16, 17, 33, 1000, 300_001])
    func activationsMatchLibm(count: Int) {
        let values = stressValues(count: count, seed: UInt64(count), scale: 12)
        let x = Tensor(values)
        expectClose(
            x.tanh().scalars, values.map { Foundation.tanh($0) }, relativeTolerance: 2e-6, absoluteTolerance: 1e-7)
        expectClose(
            x.sigmoid().scalars, values.map { 1 / (1 + Foundation.exp(-$0)) }, relativeTolerance: 2e-6,
            absoluteTolerance: 1e-7)
        // exp flushes to zero below e^−87.3
        expectClose(
            x.exp().scalars, values.map { Foundation.exp($0) }, relativeTolerance: 2e-6, absoluteTolerance: 1e-37)
        #expect(x.relu().scalars == values.map { $0 > 0 ? $0 : 0 })
        #expect(x.leakyReLU(negativeSlope: 0.2).scalars == values.map { $0 > 0 ? $0 : $0 * 0.2 })
    }

    @Test func specialValuesPropagate() {
        let x = Tensor([.nan, .infinity, -.infinity])
        let tanh = x.tanh().scalars, sigmoid = x.sigmoid().scalars
        #expect(tanh[0].isNaN && tanh[1] == 1 && tanh[2] == -1)
        #expect(sigmoid[0].isNaN && sigmoid[1] == 1 && sigmoid[2] == 0)
    }

    @Test(arguments: [5, 64, 300_001])
    func arithmeticMatchesScalarLoops(count: Int) {
        let a = stressValues(count: count, seed: 1, scale: 3),
            b = stressValues(count: count, seed: 2, scale: 3).map { $0 + 5 }
        let x = Tensor(a), y = Tensor(b)
        #expect((x + y).scalars == zip(a, b).map(+))
        #expect((x - y).scalars == zip(a, b).map(-))
        #expect((x * y).scalars == zip(a, b).map(*))
        #expect((x / y).scalars == zip(a, b).map(/))
        #expect((x * 3).scalars == a.map { $0 * 3 })
        #expect((x + 3).scalars == a.map { $0 + 3 })
        #expect((-x).scalars.map(\.bitPattern) == a.map { (-$0).bitPattern }) // signed zeros too
    }

    @Test func largeProductsSplitAcrossThreadsEqualOneCall() {
        // 600 × 300 · 300 × 500 is split into blocks of rows; the same rows alone are one call.
        let a = seeded([600, 300], seed: 3), b = seeded([300, 500], seed: 4)
        let whole = a.matmul(b)
        let firstRows = a.sliced(alongAxis: 0, 0..<8).matmul(b)
        expectClose(whole.sliced(alongAxis: 0, 0..<8), firstRows, relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
        // Wide products are split into blocks of columns.
        let c = seeded([8, 300], seed: 5), d = seeded([300, 5000], seed: 6)
        let wide = c.matmul(d)
        let reference = c.matmul(d.sliced(alongAxis: 1, 4000..<5000))
        expectClose(wide.sliced(alongAxis: 1, 4000..<5000), reference, relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
        // Products above 512³ multiply-adds are one call on the backend's own threads.
        let big = seeded([520, 520], seed: 7)
        expectClose(
            big.matmul(big).sliced(alongAxis: 0, 0..<4), big.sliced(alongAxis: 0, 0..<4).matmul(big),
            relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
    }
}
