import Foundation
import NervaGAN
import NervaTestSupport
import Testing

@Suite struct GANObjectiveTests {
    // D(x) = σ(ℓ) = 0.5 and 0.75 on reals; 0.5 and 0.25 on fakes.
    let real = Tensor([0, Float(log(3.0))])
    let fake = Tensor([0, -Float(log(3.0))])

    @Test(arguments: [
        // objective, L_D, L_G: computed by hand from the formulas in the doc comments.
        (GANObjective.minimax, 0.9808292530, -0.4904146265),
        (.nonSaturating, 0.9808292530, 1.0397207708),
        (.leastSquares, 0.5541683361, 1.3510433845),
        (.wassersteinGP, -1.0986122887, 0.5493061443),
        (.hinge, 1.0, 0.5493061443)
    ])
    func lossesMatchHandComputedValues(objective: GANObjective, discriminator: Double, generator: Double) {
        let lossD = objective.discriminatorLoss(realLogits: real, fakeLogits: fake).scalar
        let lossG = objective.generatorLoss(fakeLogits: fake).scalar
        #expect(abs(Double(lossD) - discriminator) < 1e-5, "\(objective) L_D = \(lossD)")
        #expect(abs(Double(lossG) - generator) < 1e-5, "\(objective) L_G = \(lossG)")
    }

    @Test func oneSidedLabelSmoothingChangesOnlyTheRealTargets() {
        let smoothed = GANObjective.nonSaturating.discriminatorLoss(realLogits: real, fakeLogits: fake, realTarget: 0.9)
        #expect(abs(Double(smoothed.scalar) - 1.0357598674) < 1e-5)
    }

    @Test func lossesStayFiniteForConfidentDiscriminators() {
        let huge = Tensor([80, -80]), loss = GANObjective.nonSaturating
        #expect(loss.discriminatorLoss(realLogits: huge, fakeLogits: -huge).scalar.isFinite)
        let gradient = gradients(of: loss.generatorLoss(fakeLogits: huge.requiringGradient()), wrt: [huge])[0]
        let finite = gradient.scalars.allSatisfy { $0.isFinite }
        #expect(finite)
        // The non-saturating loss keeps a strong gradient where D rejects a fake (ℓ = −80):
        #expect(abs(gradient.scalars[1] + 0.5) < 1e-4)
    }

    @Test func gradientsMatchFiniteDifferences() {
        for objective in GANObjective.allCases {
            expectGradientsMatchFiniteDifferences(
                { x in
                    objective.discriminatorLoss(realLogits: x[0], fakeLogits: x[1])
                        + objective.generatorLoss(fakeLogits: x[1])
                }, at: [Tensor([0.3, -1.2, 2.0]), Tensor([-0.7, 0.4, 1.5])], "\(objective)")
        }
    }

    @Test func gradientPenaltyOfALinearCriticIsClosedForm() {
        // ℓ(x) = w·x has ‖∇ℓ‖ = ‖w‖ everywhere: penalty (‖w‖ − 1)², gradient 2(‖w‖ − 1) w/‖w‖.
        let w = Tensor([3, 4]).requiringGradient()
        let real = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2]), fake = Tensor([0, 1, 1, 0, 2, 2], shape: [3, 2])
        let penalty = gradientPenalty(real: real, fake: fake, generator: RandomGenerator(seed: 1)) { x in
            x.matmul(w.reshaped([2, 1])).reshaped([x.shape[0]])
        }
        #expect(abs(penalty.scalar - 16) < 1e-4)
        let gradient = gradients(of: penalty, wrt: [w])[0]
        expectClose(gradient, Tensor([8 * 3 / 5, 8 * 4 / 5]), relativeTolerance: 1e-4)
    }

    @Test func r1PenaltyOfAQuadraticCriticIsClosedForm() {
        // ℓ(x) = a·Σx², ∇ℓ = 2a x: R1 = ½ E[4a²‖x‖²].
        let a = Tensor([0.5]).requiringGradient()
        let real = Tensor([1, 2, 3, 0], shape: [2, 2])
        let penalty = r1Penalty(real: real) { x in (x.squared() * a).sum(alongAxis: 1) }
        let expected: Float = 0.5 * (5 + 9) / 2
        #expect(abs(penalty.scalar - expected) < 1e-5)
        // d/da of ½ E[4a²‖x‖²] = 4a E[‖x‖²] = 4 · 0.5 · 7 = 14.
        #expect(abs(gradients(of: penalty, wrt: [a])[0].scalar - 14) < 1e-4)
    }
}
