"""Planted plausible mistakes for project5: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project5-losses": [
        ("fake_loss = keras.ops.mean(keras.ops.softplus(fake_logits))",
         "fake_loss = keras.ops.mean(keras.ops.softplus(-fake_logits))",
         "used the real label for the fakes in the discriminator loss"),
        ("real_target = 1.0 - smoothing", "real_target = 1.0",
         "forgot the label smoothing of the real targets"),
        ("return keras.ops.mean(keras.ops.softplus(-fake_logits))",
         "return keras.ops.mean(keras.ops.softplus(fake_logits))",
         "generator trained towards the fake label 0: it learns to be detected"),
    ],
    "project5-gan": [
        ('keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")',
         'keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid")',
         "sigmoid output while the data live in [-1, 1]: the generator can never draw the black background"),
        ('return (images.astype("float32") / 127.5 - 1.0)[..., None]',
         'return (images.astype("float32") / 255.0)[..., None]',
         "scaled the training images to [0, 1] although the tanh generator's images are read as [-1, 1]"),
    ],
    "project5-frechet": [
        ("return float(diff @ diff + trace_term)", "return float(diff @ diff)",
         "Fréchet distance without the trace term: only the means are compared"),
        ("- 2.0 * np.trace(covmean)", "- np.trace(covmean)",
         "forgot the factor 2 of the cross term"),
        ("covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)", "covmean = np.sqrt(sigma1 @ sigma2)",
         "element-wise square root instead of the matrix square root"),
        ("np.cov(features, rowvar=False)", "np.cov(features)",
         "np.cov's default treats rows as variables: the covariance of the examples, not of the features"),
    ],
}
