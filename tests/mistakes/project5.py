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
        ("real_loss = keras.ops.mean(keras.ops.softplus(real_logits) - real_target * real_logits)",
         "real_loss = -keras.ops.mean(real_target * keras.ops.log(keras.ops.sigmoid(real_logits))\n"
         "                             + (1.0 - real_target) * keras.ops.log(1.0 - keras.ops.sigmoid(real_logits)))",
         "cross-entropy of the sigmoid probabilities: log(0) once a sigmoid rounds to 0 or 1"),
        ("return keras.ops.mean(keras.ops.softplus(-fake_logits))",
         "return keras.losses.BinaryCrossentropy(from_logits=True)(keras.ops.ones_like(fake_logits), fake_logits)",
         "delegates to keras.losses.BinaryCrossentropy, the tests' reference"),
    ],
    "project5-gan": [
        ('keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")',
         'keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid")',
         "sigmoid output while the data live in [-1, 1]: the generator can never draw the black background"),
        ('return (images.astype("float32") / 127.5 - 1.0)[..., None]',
         'return (images.astype("float32") / 255.0)[..., None]',
         "scaled the training images to [0, 1] although the tanh generator's images are read as [-1, 1]"),
        ('return (images.astype("float32") / 127.5 - 1.0)[..., None]',
         'return (images.astype("float32") / 128.0 - 1.0)[..., None]',
         "divides by 128: the white pixels end at 0.99, not 1"),
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
        ("    features = np.asarray(features, dtype=np.float64)\n"
         "    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))",
         "    features = np.asarray(features, dtype=np.float64)\n    mu = features.mean(axis=0)\n"
         "    features -= mu\n    return mu, features.T @ features / (len(features) - 1)",
         "centres the caller's float64 features in place"),
        ("np.cov(features, rowvar=False)", "np.cov(features, rowvar=False, bias=True)",
         "covariance divided by n instead of n - 1"),
        ("np.atleast_2d(np.cov(features, rowvar=False))", "np.cov(features, rowvar=False)",
         "a single feature gives np.cov's 0-d array instead of a (1, 1) covariance"),
    ],
}
