"""Layer 6, the course applications, one module each: anomaly detection, recommender, imputation,
few labels (pretraining), code space (kNN, clustering, semantic hashing), PCA comparison,
photo denoising (and the data its denoiser is trained and judged on), the noise lab. Only the CLI
is above."""
