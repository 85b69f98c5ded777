// NervaData: datasets and batching (IDX, Fashion-MNIST), pictures (PNG, image grids, SVG charts),
// and what a run leaves behind (progress, metrics, the HTML report).
