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

    @Test(arguments: [
        ("epochs", "epochs must be in 0…1000000, got -1"),
        ("batch size", "batch size must be at least 1, got 0"),
        ("learning rate", "learning rate must be positive, got nan"),
        ("limit", "limit must be at least 10, got 9")
    ])
    func invalidSettingsAreNamed(field: String, message: String) {
        var configuration = ClassificationConfiguration()
        switch field {
        case "epochs": configuration.epochs = -1
        case "batch size": configuration.batchSize = 0
        case "learning rate": configuration.learningRate = .nan
        default: configuration.limit = 9
        }
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
        #expect(
            table == [
                "model": "cnn-wide", "epochs": "7", "batch size": "32", "learning rate": "0.01 (cosine to 0)",
                "augmentation": "none", "limit": "500", "seed": "9"
            ])
    }
}
