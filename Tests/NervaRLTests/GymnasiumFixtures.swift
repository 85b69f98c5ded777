import Foundation
import Testing

/// The JSON fixtures recorded from Gymnasium by `scripts/rl_gymnasium_fixtures.py`.
enum GymnasiumFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct ToyText: Decodable {
        let gymnasium: String
        let environments: [ToyTextEnvironment]
    }

    struct ToyTextEnvironment: Decodable {
        let id: String
        let kwargs: Kwargs
        let max_episode_steps: Int?
        let desc: [String]?
        /// P[s][a] = [[probability, next state, reward, terminated]]
        let model: [[[[Number]]]]
        let initial: [Double]
        let trajectory: ToyTextTrajectory
    }

    struct Kwargs: Decodable {
        let is_slippery: Bool?
        let is_rainy: Bool?
        let map_name: String?
        let desc: [String]?
        let fickle_passenger: Bool?
        let fickle_probability: Double?
    }

    struct ToyTextTrajectory: Decodable {
        let seed: Int
        let initial_draw: Double
        let initial_observation: Int
        let steps: [ToyTextStep]
        /// Recorded by seed only (Taxi's fickle passenger): the draws are not known (-1).
        let destination_changes: Int?
    }

    struct ToyTextStep: Decodable {
        let action: Int
        let draw: Double
        let observation: Int
        let reward: Double
        let terminated: Bool
        let truncated: Bool
        let reset_draw: Double?
        let reset_observation: Int?
    }

    /// A JSON number or Boolean, as the entries of P mix them.
    struct Number: Decodable {
        let value: Double
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                value = flag ? 1 : 0
            } else {
                value = try container.decode(Double.self)
            }
        }
    }

    struct ClassicControl: Decodable {
        let gymnasium: String
        let rollouts: [Rollout]
    }

    struct Rollout: Decodable {
        let id: String
        let seed: Int
        let initial_state: [Double]
        let initial_observation: [Double]
        let steps: [ControlStep]
    }

    struct ControlStep: Decodable {
        let action: Int
        let observation: [Double]
        let state: [Double]
        let reward: Double
        let terminated: Bool
        let truncated: Bool
    }

    struct NumPyRandom: Decodable {
        let numpy: String
        let cases: [NumPyCase]
        let random_maps: [RandomMap]
    }

    /// One seed: NumPy's words and an interleaved sequence of Generator calls `[name, arguments, result]`.
    struct NumPyCase: Decodable {
        let seed: String
        let state32: [UInt32]
        let state64: [String]
        let raw: [String]
        let calls: [Call]
    }

    struct Call: Decodable {
        let name: String
        let arguments: [Double]
        let result: Double
        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            arguments = try container.decode([Double].self)
            result = try container.decode(Double.self)
        }
    }

    struct RandomMap: Decodable {
        let size: Int
        let p: Double
        let seed: UInt64
        let map: [String]
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }

    static let toyText: ToyText = { try! load("toy_text.json", as: ToyText.self) }()
    static let numpyRandom: NumPyRandom = { try! load("numpy_random.json", as: NumPyRandom.self) }()
    static let classicControl: ClassicControl = { try! load("classic_control.json", as: ClassicControl.self) }()
}
