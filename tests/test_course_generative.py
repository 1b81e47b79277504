"""Unit tests of course.generative (Week 7 and Project 5 helpers)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from course import generative


def test_to_pixels_conventions():
    u8 = np.array([[[0, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(generative.to_pixels(u8)[..., 0], [[[0.0, 1.0]]])
    tanh = np.array([[[-1.0, 1.0]]], dtype=np.float32)
    np.testing.assert_allclose(generative.to_pixels(tanh)[..., 0], [[[0.0, 1.0]]])
    unit = np.array([[[0.25, 0.75]]], dtype=np.float32)
    out = generative.to_pixels(unit[..., None])
    assert out.shape == (1, 1, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], unit)
    with pytest.raises(ValueError):
        generative.to_pixels(np.zeros((2, 3, 3, 3)))


def test_frechet_distance_matches_sqrtm_formula_and_simple_cases():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    m1, m2 = rng.normal(size=6), rng.normal(size=6)
    ref = np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * np.real(scipy.linalg.sqrtm(s1 @ s2)))
    assert generative.frechet_distance(m1, s1, m2, s2) == pytest.approx(ref, rel=1e-7)
    assert generative.frechet_distance(m1, s1, m1, s1) == pytest.approx(0.0, abs=1e-8)
    # 1-D: (m1 - m2)^2 + (sd1 - sd2)^2
    assert generative.frechet_distance([1.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(5.0)


def test_feature_statistics():
    f = np.array([[1.0, 2.0], [3.0, 0.0], [5.0, 4.0]])
    mu, cov = generative.feature_statistics(f)
    np.testing.assert_allclose(mu, [3.0, 2.0])
    np.testing.assert_allclose(cov, [[4.0, 2.0], [2.0, 4.0]])


def test_ring_and_mode_coverage():
    x, k = generative.ring_of_gaussians(4000, seed=1)
    assert x.shape == (4000, 2) and x.dtype == np.float32 and set(k) == set(range(8))
    full = generative.mode_coverage(x)
    assert full["covered"] == 8 and full["high_quality"] > 0.95
    collapsed = generative.mode_coverage(x[k < 3])
    assert collapsed["covered"] == 3
    far = generative.mode_coverage(np.zeros((100, 2)))
    assert far["covered"] == 0 and far["high_quality"] == 0.0


def test_slerp_keeps_the_norm_and_endpoints():
    rng = np.random.default_rng(0)
    z0, z1 = rng.normal(size=64), rng.normal(size=64)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    walk = generative.interpolate_latents(z0, z1, 7)
    assert walk.shape == (7, 64) and walk.dtype == np.float32
    np.testing.assert_allclose(walk[0], z0, rtol=1e-5)
    np.testing.assert_allclose(walk[-1], z1, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(walk, axis=1), np.linalg.norm(z0), rtol=1e-4)
    linear = generative.interpolate_latents(z0, z1, 7, spherical=False)
    assert np.linalg.norm(linear[3]) < np.linalg.norm(walk[3])


def test_tile_and_save_grid_png(tmp_path):
    imgs = np.zeros((5, 4, 4), dtype=np.uint8)
    canvas = generative.tile(imgs, ncols=3)
    assert canvas.shape == (2 * 5 + 1, 3 * 5 + 1)
    path = generative.save_grid_png(imgs, tmp_path / "grid.png", ncols=3, scale=2)
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_minibatch_stddev_layer_matches_numpy():
    x = np.random.default_rng(0).normal(size=(7, 3)).astype("float32")
    out = np.asarray(generative.MinibatchStdDev()(x))
    assert out.shape == (7, 4)
    np.testing.assert_allclose(out[:, :3], x)
    np.testing.assert_allclose(out[:, 3], np.sqrt(x.var(axis=0) + 1e-8).mean(), rtol=1e-5)


def test_gan_train_step_updates_both_players():
    import keras

    keras.utils.set_random_seed(0)
    gen = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    disc = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    def bce(logits, y):
        return keras.ops.mean(keras.ops.binary_crossentropy(keras.ops.full_like(logits, y), logits, from_logits=True))

    gan = generative.GAN(gen, disc, lambda r, f: bce(r, 1.0) + bce(f, 0.0), lambda f: bce(f, 1.0), 2)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    g0, d0 = [w.numpy().copy() for w in gen.weights], [w.numpy().copy() for w in disc.weights]
    hist = gan.fit(generative.ring_of_gaussians(64)[0], batch_size=32, epochs=1, verbose=0)
    assert set(hist.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v[-1]) for v in hist.history.values())
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(g0, gen.weights))
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(d0, disc.weights))


def test_feature_classifier_trains_once_caches_and_reloads(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    tiny = {"n_train": 256, "epochs": 1, "batch_size": 64, "tag": "unittest"}
    monkeypatch.setattr(generative, "classifier_config", lambda fast=None: dict(tiny))
    generative._MEMO.clear()
    first = generative.feature_classifier(verbose=False)
    cached = tmp_path / "course" / f"fmnist_feature_cnn_unittest_v{generative.CLASSIFIER_VERSION}.weights.h5"
    assert cached.exists()
    assert generative.feature_classifier(verbose=False) is first  # in-process memo
    generative._MEMO.clear()
    second = generative.feature_classifier(verbose=False)  # loaded from the cache file
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    feats, probs = generative.frechet_features(x, second, with_probs=True)
    assert feats.shape == (5, 64) and probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
    q = generative.sample_quality(x, x, second)
    assert q["fd"] == pytest.approx(0.0, abs=1e-6) and 0 < q["confidence"] <= 1
    generative._MEMO.clear()
