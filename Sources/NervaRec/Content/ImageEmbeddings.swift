import NervaNN

/// Learned item features from pictures: the penultimate activations of an image classifier (for
/// Fashion-MNIST, the 84 units before LeNet's output layer), so garments that the network sees
/// alike are near each other, the "similar garments" of content-based recommendation.
///
/// ```swift
/// let vectors = ImageEmbeddings.features(of: gallery.images, classifier: lenet)   // [60000, 84]
/// let index = NearestNeighborIndex(vectors)                                        // cosine
/// let nearest = index.search(ImageEmbeddings.features(of: query, classifier: lenet), k: 8)
/// ```
public enum ImageEmbeddings {
    /// `classifier.features(_:)` of `images` (`[N, C, H, W]`) in batches of `batchSize`, in
    /// evaluation mode and without recording gradients: `[N, featureSize]`.
    public static func features(of images: Tensor, classifier: any FeatureClassifier, batchSize: Int = 1000) -> Tensor {
        precondition(
            images.rank == 4 && images.shape[0] > 0,
            "ImageEmbeddings: images must be [N, C, H, W], got \(images.shape).")
        precondition(batchSize > 0, "ImageEmbeddings: batch size must be positive, got \(batchSize).")
        let module = classifier as? Module
        let wasTraining = module?.isTraining ?? false
        module?.eval()
        defer { if wasTraining { module?.train() } }
        var parts: [Tensor] = []
        var start = 0
        while start < images.shape[0] {
            let end = min(images.shape[0], start + batchSize)
            parts.append(withoutGradients { classifier.features(images.sliced(alongAxis: 0, start..<end)) })
            start = end
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenated(parts, alongAxis: 0)
    }

    /// The rows of `images` flattened to `[N, C·H·W]`: raw pixels, the baseline learned features
    /// should beat.
    public static func pixels(of images: Tensor) -> Tensor {
        images.reshaped([images.shape[0], images.scalarCount / max(images.shape[0], 1)])
    }

    /// The fraction of each query's `k` nearest gallery rows whose label is the query's own,
    /// averaged over queries: how well a representation groups like with like.
    /// `excludingSelf` leaves out the query's own row when queries and gallery are the same set.
    public static func labelPrecision(
        queries: Tensor, queryLabels: [Int], index: NearestNeighborIndex, galleryLabels: [Int],
        k: Int, excludingSelf: Bool = false
    ) -> Double {
        precondition(
            queries.shape[0] == queryLabels.count && index.count == galleryLabels.count,
            "labelPrecision: one label per query and per gallery row.")
        let neighbors = index.search(queries, k: k, excluding: { excludingSelf ? [$0] : [] })
        var same = 0, total = 0
        for (query, list) in neighbors.enumerated() {
            same += list.filter { galleryLabels[$0.row] == queryLabels[query] }.count
            total += list.count
        }
        return Double(same) / Double(max(total, 1))
    }
}
