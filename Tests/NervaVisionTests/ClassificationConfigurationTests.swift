import NervaNN
import NervaVision
import Testing

@Suite struct ClassificationConfigurationTests {
    @Test func defaultsDependOnTheArchitecture() throws {
        #expect(ClassificationConfiguration().architecture == .mlp)
        #expect(ClassificationConfiguration(architecture: .mlp).epochs == 12)
        #expect(ClassificationConfiguration(architecture: .cnn).epochs == 20)
        #expect(ClassificationConfiguration(architecture: .cnnWide).epochs == 20)
        let defaults = ClassificationConfiguration(architecture: .cnn)
        #expect(defaults.batchSize == 64 && defaults.learningRate == 1e-3 && defaults.augmentation == .flip)
        #expect(defaults.limit == nil && defaults.seed == 0)
        try defaults.validate()
    }

    typealias Change = @Sendable (inout ClassificationConfiguration) -> Void

    @Test(arguments: [
        ("epochs", { $0.epochs = -1 }, "epochs must be in 0…1000000, got -1"),
        ("batch size", { $0.batchSize = 0 }, "batch size must be at least 1, got 0"),
        ("learning rate", { $0.learningRate = .nan }, "learning rate must be positive, got nan"),
        ("limit", { $0.limit = 9 }, "limit must be at least 10, got 9"),
    ] as [(String, Change, String)])
    func invalidSettingsAreNamed(field: String, change: @Sendable (inout ClassificationConfiguration) -> Void,
                                 message: String) {
        var configuration = ClassificationConfiguration()
        change(&configuration)
        let error = #expect(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(error?.field == field)
        #expect(error?.description == message)
    }

    @Test func theSettingsTableShowsEveryField() {
        var configuration = ClassificationConfiguration(architecture: .cnnWide)
        configuration.augmentation = .none
        configuration.epochs = 7
        configuration.batchSize = 32
        configuration.learningRate = 0.01
        configuration.limit = 500
        configuration.seed = 9
        let table = Dictionary(uniqueKeysWithValues: configuration.settingsTable)
        #expect(table == ["model": "cnn-wide", "epochs": "7", "batch size": "32", "learning rate": "0.01 (cosine to 0)",
                          "augmentation": "none", "limit": "500", "seed": "9"])
    }
}
