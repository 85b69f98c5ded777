/// Federated learning: participants, strategies, simulation, networked server and clients, and
/// privacy. Importing NervaFed brings the engine with it.
@_exported import NervaNN
@_exported import NervaOptim
@_exported import NervaTensor
