/// Reinforcement learning: environments with Gymnasium's semantics, tabular learners, planning
/// with a model, and Deep Q-Learning. Importing NervaRL brings the engine with it.
@_exported import NervaNN
@_exported import NervaOptim
@_exported import NervaTensor
