"""Planted plausible mistakes for week07: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week07-conv-ae": [
        ('Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")',
         'Conv2DTranspose(1, 3, strides=2, padding="same", activation="relu")',
         "ReLU instead of sigmoid on the output: pixels are no longer bounded by 1"),
        ("Conv2D(16, 3, strides=2,", "Conv2D(16, 3, strides=1,",
         "forgot the stride of the first convolution: 28 -> 14 -> 7 becomes 28 -> 28 -> 14"),
    ],
    "week07-noise": [
        ("return np.clip(noisy, 0.0, 1.0).astype(np.float32)", "return noisy.astype(np.float32)",
         "forgot to clip the noisy images back to [0, 1]"),
        ("noise_std * rng.standard_normal(np.shape(images))", "noise_std**2 * rng.standard_normal(np.shape(images))",
         "used the variance as the scale of the noise"),
        ("rng.standard_normal(np.shape(images))", "np.random.standard_normal(np.shape(images))",
         "drew the noise from the global np.random instead of the rng argument: not reproducible"),
    ],
    "week07-anomaly": [
        ("return float((higher + 0.5 * ties) / (len(pos) * len(neg)))", "return float(higher / (len(pos) * len(neg)))",
         "ties between an anomaly and a normal example counted as losses instead of 1/2"),
        ("higher = (pos[:, None] > neg[None, :]).sum()", "higher = (pos[:, None] < neg[None, :]).sum()",
         "comparison reversed: counts the pairs in which the normal example scores higher"),
        ("return np.mean(diff.reshape(len(diff), -1) ** 2, axis=1)", "return np.mean(diff ** 2)",
         "one mean over the whole batch instead of one error per example"),
    ],
    "week07-reparam": [
        ("sigma = keras.ops.exp(0.5 * z_log_var)", "sigma = keras.ops.exp(z_log_var)",
         "log-variance vs standard deviation: multiplied the noise by the variance exp(log_var)"),
        ("return z_mean + sigma * epsilon", "return z_mean",
         "sampling without noise: returns the mean, a plain autoencoder"),
        ("seed=seed)", "seed=0)",
         "a fixed integer seed: the same noise on every call"),
    ],
    "week07-kl": [
        ("keras.ops.sum(-terms, axis=-1)", "keras.ops.sum(terms, axis=-1)",
         "KL sign flipped: the regularizer becomes a reward"),
        ("kl = 0.5 * ", "kl = ", "forgot the 0.5 factor of the Gaussian KL"),
        ("z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var)",
         "2.0 * z_log_var - keras.ops.square(z_mean) - keras.ops.exp(2.0 * z_log_var)",
         "treated z_log_var as log(sigma) instead of log(sigma^2)"),
    ],
    "week07-vae-step": [
        ("loss = reconstruction_loss + self.beta * kl_loss", "loss = reconstruction_loss - self.beta * kl_loss",
         "KL term added with the wrong sign in the total loss"),
        ("vae_tape.gradient(loss,", "vae_tape.gradient(reconstruction_loss,",
         "differentiated only the reconstruction loss: the KL term is reported but never trained"),
        ("keras.ops.sum(pixel_loss, axis=(1, 2, 3))", "keras.ops.mean(pixel_loss, axis=(1, 2, 3))",
         "averaged the reconstruction loss over the pixels: the KL term is over-weighted 784 times"),
    ],
    "week07-gan-losses": [
        ("real_loss = keras.ops.mean(keras.ops.softplus(-real_logits))",
         "real_loss = keras.ops.mean(keras.ops.softplus(real_logits))",
         "discriminator labels swapped on the real side: real images labelled 0"),
        ("fake_loss = keras.ops.mean(keras.ops.softplus(fake_logits))",
         "fake_loss = keras.ops.mean(keras.ops.softplus(-fake_logits))",
         "used the real label for the fakes in the discriminator loss"),
        ("return keras.ops.mean(keras.ops.softplus(-fake_logits))",
         "return keras.ops.mean(keras.ops.softplus(fake_logits))",
         "generator trained with the fake label 0: it learns to be detected"),
    ],
    "week07-mbstd": [
        ("keras.ops.var(x, axis=0)", "keras.ops.var(x, axis=-1)",
         "spread over the features of each example instead of over the batch"),
        ("std = keras.ops.sqrt(", "std = (",
         "used the variance instead of the standard deviation"),
    ],
}
