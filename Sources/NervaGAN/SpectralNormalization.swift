import NervaNN
import NervaTensor

/// Spectral normalisation (Miyato et al. 2018, https://arxiv.org/abs/1802.05957): each weight `W`
/// is used as `W / σ(W)`, where `σ(W)` is its largest singular value estimated by one step of
/// power iteration per training forward pass, as in PyTorch's `spectral_norm`:
///
/// ```
/// v ← Wᵀu / ‖Wᵀu‖      u ← W v / ‖W v‖      σ = uᵀ W v      (W reshaped to [out, in·k·k])
/// ```
/// `u` and `v` are constants for differentiation; the gradient flows through `W` in `σ`.
/// It keeps `D` 1-Lipschitz per layer, a standard remedy for unstable discriminators.
public final class SpectralNormalization: Module {
    /// One power-iteration vector per weight (buffers `vectors.<i>.u`).
    public let vectors: [PowerIterationVector]

    /// Normalises `weights`, drawing the initial `u` vectors from `generator`.
    public init(weights: [Tensor], generator: RandomGenerator) {
        vectors = weights.map { PowerIterationVector(weight: $0, generator: generator) }
    }

    /// Weight `index` divided by its spectral norm; in training mode `u` advances one step first.
    public func normalized(_ index: Int, isTraining: Bool) -> Tensor {
        vectors[index].normalizedWeight(advancing: isTraining)
    }

    /// The current estimates of `σ(W)` for every weight.
    public var spectralNorms: [Float] { vectors.map { $0.spectralNorm() } }
}

/// The left singular vector estimate `u` of one weight.
public final class PowerIterationVector: Module {
    /// `[out]`, the left singular vector estimate (PyTorch's `weight_u`).
    @Buffer public var u: Tensor
    private let _weight: Tensor

    init(weight: Tensor, generator: RandomGenerator) {
        _weight = weight
        u = Self.unit(Tensor.normal([weight.shape[0], 1], generator: generator))
    }

    private var matrix: Tensor { _weight.reshaped([_weight.shape[0], -1]) }

    private static func unit(_ x: Tensor) -> Tensor {
        withoutGradients { x / (x.squared().sum().sqrt() + 1e-12) }
    }

    /// `v = Wᵀu / ‖Wᵀu‖` from the current `u`, without gradient.
    private func rightVector(_ w: Tensor) -> Tensor {
        Self.unit(withoutGradients { w.detached().matmul(u, transposingSelf: true) })
    }

    func normalizedWeight(advancing: Bool) -> Tensor {
        let w = matrix
        if advancing {
            let v = rightVector(w)
            u.assign(Self.unit(withoutGradients { w.detached().matmul(v) }))
        }
        let v = rightVector(w)
        let sigma = u.matmul(w, transposingSelf: true).matmul(v).reshaped([]) // uᵀ W v
        return _weight / sigma
    }

    func spectralNorm() -> Float {
        withoutGradients {
            let w = matrix.detached()
            return u.matmul(w, transposingSelf: true).matmul(rightVector(w)).scalar
        }
    }
}
