/// Recommender systems: interaction data, content-based and collaborative filtering, Neural
/// Collaborative Filtering (GMF, MLP, NeuMF) and ranking metrics. Importing NervaRec brings the
/// engine with it.
@_exported import NervaNN
@_exported import NervaOptim
@_exported import NervaTensor
