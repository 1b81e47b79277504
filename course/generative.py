"""Generative models: what Week 7 (autoencoders, VAEs, GANs) and Project 5 (generative art) reuse.

- ``feature_classifier()`` / ``frechet_features()`` / ``frechet_distance()`` / ``sample_quality()``:
  the course's own sample-quality yardstick (Week 7, "Judging samples"; Project 5, "Fréchet
  distance"). A small CNN is trained on the real Fashion-MNIST training set once, deterministically,
  and its weights are cached under ``$KERAS_HOME/course/``; its penultimate layer gives the features
  in which the Fréchet distance between real and generated images is measured (like FID, with a
  Fashion-MNIST classifier in place of Inception-v3).
- ``GAN``: a ``keras.Model`` with a custom ``train_step`` that alternates one discriminator and one
  generator update, with the two losses passed in (Week 7, "DCGAN"; Project 5 trains with it).
- ``ring_of_gaussians()`` / ``mode_coverage()``: the 2-D mixture on which mode collapse is easy to
  see and to count (Week 7, "Mode collapse").
- ``MinibatchStdDev``: the minibatch standard-deviation layer of ProGAN, one remedy for mode
  collapse (Week 7).
- ``slerp()``, ``interpolate_latents()``, ``to_pixels()``, ``save_grid_png()``: latent walks and
  artwork grids (Week 7, "Sampling and interpolation"; Project 5).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

CLASSIFIER_VERSION = 1
FEATURE_LAYER = "features"
_MEMO: dict = {}


# --------------------------------------------------------------------------------------------
# images


def to_pixels(images) -> np.ndarray:
    """Images as float32 in [0, 1] with shape (n, 28, 28, 1).

    Accepts uint8 (0..255), floats in [0, 1], or floats in [-1, 1] (a tanh generator's output: any
    negative value selects that convention). A trailing channel axis is added when missing.
    """
    x = np.asarray(images)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    else:
        x = x.astype(np.float32)
        if x.size and x.min() < 0.0:
            x = (x + 1.0) / 2.0
    x = np.clip(x, 0.0, 1.0)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] != 1:
        raise ValueError(f"expected grey-scale images (n, h, w) or (n, h, w, 1), got shape {x.shape}")
    return x


# --------------------------------------------------------------------------------------------
# the course's feature classifier


def _cache_dir() -> Path:
    root = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return root / "course"


def _build_classifier():
    import keras

    init = lambda s: keras.initializers.HeNormal(seed=s)  # explicit seeds: no global state touched
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer=init(1)),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init(2)),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu", kernel_initializer=init(3), name=FEATURE_LAYER),
        keras.layers.Dense(10, kernel_initializer=keras.initializers.GlorotUniform(seed=4), name="logits"),
    ], name="fmnist_feature_cnn")


def classifier_config(fast: bool | None = None) -> dict:
    """How the feature classifier is trained: all 60,000 training images for 3 epochs, or (FAST)
    a seeded 6,000-image subset for 2 epochs."""
    from . import runtime

    fast = runtime.fast_mode() if fast is None else fast
    return {"n_train": 6000 if fast else None, "epochs": 2 if fast else 3, "batch_size": 128,
            "tag": "fast" if fast else "full"}


def feature_classifier(fast: bool | None = None, verbose: bool = True):
    """The course's Fashion-MNIST CNN (logits out), trained once and cached.

    Trained deterministically (seeded initializers and batch order) on the real training split only,
    so the test split stays held out; the weights are cached in
    ``$KERAS_HOME/course/fmnist_feature_cnn_<fast|full>_v1.weights.h5`` and reloaded on later calls
    (an in-process memo avoids even that). Input: (n, 28, 28, 1) floats in [0, 1] (see
    :func:`to_pixels`). FAST mode trains a smaller version in a few seconds.
    """
    import keras

    cfg = classifier_config(fast)
    key = ("classifier", cfg["tag"])
    if key in _MEMO:
        return _MEMO[key]
    model = _build_classifier()
    path = _cache_dir() / f"fmnist_feature_cnn_{cfg['tag']}_v{CLASSIFIER_VERSION}.weights.h5"
    if path.exists():
        try:
            model.load_weights(str(path))
            if verbose:
                print(f"course feature classifier ({cfg['tag']}): cached weights {path}")
            _MEMO[key] = model
            return model
        except Exception:  # noqa: BLE001 - a truncated or stale cache file: train again
            pass
    from . import data

    ds = data.load_fashion_mnist(n_train=cfg["n_train"], seed=0, verbose=verbose)
    x, y = to_pixels(ds.x_train), ds.y_train
    rng = np.random.default_rng(0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    for _ in range(cfg["epochs"]):
        order = rng.permutation(len(x))
        model.fit(x[order], y[order], batch_size=cfg["batch_size"], epochs=1, shuffle=False, verbose=0)
    if verbose:
        acc = float(np.mean(_predict(model, to_pixels(ds.x_test[:2000])).argmax(1) == ds.y_test[:2000]))
        print(f"course feature classifier ({cfg['tag']}): trained on {len(x)} images, "
              f"{cfg['epochs']} epochs, test accuracy {acc:.3f}; cached in {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem.removesuffix('.weights')}.tmp{os.getpid()}.weights.h5")
    model.save_weights(str(tmp))
    os.replace(tmp, path)  # atomic: parallel notebooks never read a half-written file
    _MEMO[key] = model
    return model


def _predict(model, x, batch_size: int = 1000) -> np.ndarray:
    """Call a model batch by batch (no ``model.predict`` overhead) and return NumPy."""
    import keras

    out = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=False))
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros((0,))


def _feature_model(classifier):
    import keras

    key = ("features", id(classifier))
    if key not in _MEMO:
        _MEMO[key] = keras.Model(classifier.inputs[0], [classifier.get_layer(FEATURE_LAYER).output,
                                                     classifier.outputs[0]])
    return _MEMO[key]


def frechet_features(images, classifier=None, with_probs: bool = False):
    """Penultimate-layer features (n, 64) of the course classifier for ``images`` (any convention
    :func:`to_pixels` accepts); with ``with_probs`` also the class probabilities (n, 10)."""
    classifier = classifier or feature_classifier(verbose=False)
    x = to_pixels(images)
    fm = _feature_model(classifier)
    feats, probs = [], []
    for i in range(0, len(x), 1000):
        f, logits = fm(x[i:i + 1000], training=False)
        feats.append(np.asarray(f, dtype=np.float64))
        logits = np.asarray(logits, dtype=np.float64)
        e = np.exp(logits - logits.max(1, keepdims=True))
        probs.append(e / e.sum(1, keepdims=True))
    feats, probs = np.concatenate(feats), np.concatenate(probs)
    return (feats, probs) if with_probs else feats


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) of features (n, d), the covariance with 1/(n - 1)."""
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))  # (1, 1) for a single feature


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2):
    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))`` (Dowson & Landau 1982).

    The trace of the matrix square root is computed from the eigenvalues of
    ``sqrt(s1) s2 sqrt(s1)`` (symmetric, positive semi-definite), which avoids complex round-off.
    """
    mu1, mu2 = np.asarray(mu1, float), np.asarray(mu2, float)
    s1, s2 = np.asarray(sigma1, float), np.asarray(sigma2, float)
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root1 @ s2 @ root1
    tr_covmean = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)


def sample_quality(images, reference_images, classifier=None) -> dict:
    """How a set of images looks to the course classifier, next to a reference set (real images).

    Returns ``fd`` (Fréchet distance in feature space), ``confidence`` (mean max class
    probability), ``confident`` (share of images with max probability > 0.9), ``coverage``
    (normalized entropy of the predicted-class histogram: 1 = all ten classes equally often) and
    ``histogram`` (share of images per predicted class).
    """
    f, p = frechet_features(images, classifier, with_probs=True)
    fr = frechet_features(reference_images, classifier)
    hist = np.bincount(p.argmax(1), minlength=p.shape[1]) / len(p)
    nz = hist[hist > 0]
    return {"fd": frechet_distance(*feature_statistics(f), *feature_statistics(fr)),
            "confidence": float(p.max(1).mean()), "confident": float(np.mean(p.max(1) > 0.9)),
            "coverage": float(-(nz * np.log(nz)).sum() / np.log(p.shape[1])), "histogram": hist}


# --------------------------------------------------------------------------------------------
# GAN training


def _gan_class():
    import keras
    import tensorflow as tf

    class GAN(keras.Model):
        """Generator + discriminator trained adversarially (Week 7's DCGAN ``train_step``).

        ``d_loss_fn(real_logits, fake_logits)`` and ``g_loss_fn(fake_logits)`` are the losses (from
        logits). Each ``train_step`` draws ``latent_dim``-dimensional normal noise, updates the
        discriminator once on real and generated images, then the generator once on fresh noise.
        Metrics: ``d_loss``, ``g_loss``, ``d_real`` = mean D(x), ``d_fake`` = mean D(G(z)).
        """

        def __init__(self, generator, discriminator, d_loss_fn, g_loss_fn, latent_dim, seed=0, **kw):
            super().__init__(**kw)
            self.generator, self.discriminator = generator, discriminator
            self.d_loss_fn, self.g_loss_fn, self.latent_dim = d_loss_fn, g_loss_fn, latent_dim
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.trackers = {k: keras.metrics.Mean(name=k) for k in ("d_loss", "g_loss", "d_real", "d_fake")}

        def compile(self, d_optimizer, g_optimizer, **kw):
            super().compile(**kw)
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

        @property
        def metrics(self):
            return list(self.trackers.values())

        def call(self, z, training=False):
            return self.generator(z, training=training)

        def train_step(self, data):
            real = data[0] if isinstance(data, tuple) else data
            n = keras.ops.shape(real)[0]
            z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                fake = self.generator(z, training=True)
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = self.d_loss_fn(real_logits, fake_logits)
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                g_logits = self.discriminator(self.generator(z, training=True), training=True)
                g_loss = self.g_loss_fn(g_logits)
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            for k, v in (("d_loss", d_loss), ("g_loss", g_loss),
                         ("d_real", keras.ops.mean(keras.ops.sigmoid(real_logits))),
                         ("d_fake", keras.ops.mean(keras.ops.sigmoid(fake_logits)))):
                self.trackers[k].update_state(v)
            return {k: t.result() for k, t in self.trackers.items()}

    return GAN


def __getattr__(name):
    # GAN and MinibatchStdDev subclass Keras classes: build them on first use so that importing this
    # module stays free of TensorFlow.
    if name == "GAN":
        _MEMO.setdefault("GAN", _gan_class())
        return _MEMO["GAN"]
    if name == "MinibatchStdDev":
        _MEMO.setdefault("MinibatchStdDev", _mbstd_class())
        return _MEMO["MinibatchStdDev"]
    raise AttributeError(f"module 'course.generative' has no attribute {name!r}")


def _mbstd_class():
    import keras

    class MinibatchStdDev(keras.layers.Layer):
        """Appends one feature: the standard deviation of each feature over the batch, averaged
        (Karras et al. 2018). A discriminator that sees it can tell a collapsed (low-variety) batch
        of fakes from a varied batch of real data."""

        def call(self, x):
            std = keras.ops.sqrt(keras.ops.var(x, axis=0) + 1e-8)
            s = keras.ops.mean(std)
            return keras.ops.concatenate([x, keras.ops.ones_like(x[..., :1]) * s], axis=-1)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], input_shape[-1] + 1)

    return MinibatchStdDev


# --------------------------------------------------------------------------------------------
# the 2-D ring of Gaussians


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0):
    """``n`` points (float32, (n, 2)) from ``modes`` Gaussians evenly spaced on a circle, and the
    mode each came from. The classic toy problem for mode collapse (Metz et al. 2017)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, modes, size=n)
    angles = 2 * np.pi * k / modes
    centres = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    return (centres + rng.normal(scale=std, size=(n, 2))).astype(np.float32), k


def mode_coverage(samples, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                  min_share: float = 0.02) -> dict:
    """Which modes of the ring a set of 2-D samples covers.

    A sample is *high quality* if it lies within 3 standard deviations of its nearest centre; a
    mode is *covered* if at least ``min_share`` of all samples are high-quality samples of it.
    Returns ``covered`` (count), ``high_quality`` (share) and ``shares`` (per mode).
    """
    s = np.asarray(samples, dtype=float)
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    d = np.linalg.norm(s[:, None, :] - centres[None], axis=-1)
    nearest, dist = d.argmin(1), d.min(1)
    good = dist < 3 * std
    shares = np.bincount(nearest[good], minlength=modes) / max(len(s), 1)
    return {"covered": int(np.sum(shares >= min_share)), "high_quality": float(good.mean()),
            "shares": shares}


# --------------------------------------------------------------------------------------------
# latent walks and artwork


def slerp(z0, z1, t):
    """Spherical interpolation between latent vectors (White 2016): stays at the norm typical of a
    Gaussian latent, where linear interpolation dips towards the origin."""
    z0, z1 = np.asarray(z0, float), np.asarray(z1, float)
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def interpolate_latents(z0, z1, steps: int, spherical: bool = True) -> np.ndarray:
    """``steps`` latent vectors from ``z0`` to ``z1`` (both included), float32 (steps, d)."""
    ts = np.linspace(0.0, 1.0, steps)
    if spherical:
        return np.stack([slerp(z0, z1, t) for t in ts]).astype(np.float32)
    return np.stack([(1 - t) * np.asarray(z0) + t * np.asarray(z1) for t in ts]).astype(np.float32)


def tile(images, ncols: int, pad: int = 1) -> np.ndarray:
    """Tile images (n, h, w[, 1]) into one (rows*(h+pad)+pad, cols*(w+pad)+pad) float array in [0, 1]."""
    x = to_pixels(images)[..., 0]
    n, h, w = x.shape
    nrows = int(np.ceil(n / ncols))
    canvas = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad), dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = x[i]
    return canvas


def save_grid_png(images, path, ncols: int, scale: int = 3, cmap: str = "gray_r") -> Path:
    """Save a tiled grid of images as a PNG (``scale``-times enlarged, a matplotlib colour map) and
    return its path."""
    import matplotlib.image as mpimg

    canvas = tile(images, ncols)
    canvas = np.kron(canvas, np.ones((scale, scale), dtype=np.float32))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mpimg.imsave(str(path), canvas, cmap=cmap, vmin=0.0, vmax=1.0)
    return path
