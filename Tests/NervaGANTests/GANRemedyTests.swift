import NervaGAN
import Testing

@Suite struct GANRemedyTests {
    let baseline = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .mlp))

    @Test func baselineChangesNothing() {
        #expect(GANRemedy.baseline.applied(to: baseline) == baseline)
    }

    @Test(arguments: GANRemedy.allCases.filter { $0 != .baseline })
    func eachRemedyChangesTheConfigurationAndKeepsItValid(remedy: GANRemedy) {
        let changed = remedy.applied(to: baseline)
        #expect(changed != baseline, "\(remedy) changes nothing")
        #expect(changed.problem == nil, "\(remedy): \(changed.problem ?? "")")
        #expect(changed.seed == baseline.seed && changed.model.architecture == baseline.model.architecture)
    }

    @Test func remediesSetWhatTheirNamesSay() {
        #expect(GANRemedy.largeBatch.applied(to: baseline).batchSize == 256)
        #expect(GANRemedy.labelSmoothing.applied(to: baseline).labelSmoothing == 0.1)
        #expect(GANRemedy.r1.applied(to: baseline).r1Weight == 10)
        #expect(GANRemedy.spectralNorm.applied(to: baseline).model.spectralNormalization)
        #expect(GANRemedy.twoDiscriminatorSteps.applied(to: baseline).discriminatorSteps == 2)
        #expect(GANRemedy.ema.applied(to: baseline).emaDecay == 0.999)
        let wgan = GANRemedy.wassersteinGP.applied(to: baseline)
        #expect(
            wgan.objective == .wassersteinGP && wgan.discriminatorSteps == 5
                && wgan.optimizer == .adam(beta1: 0, beta2: 0.9))
    }
}
