/// Generative adversarial networks: generators, discriminators, objectives, remedies for
/// instability and evaluation (FID, mode coverage). Importing NervaGAN brings the engine with it.
@_exported import NervaNN
@_exported import NervaOptim
@_exported import NervaTensor
