"""Unit tests of course.vision (Weeks 3-4 helpers) and course.data.load_photos."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course import data, vision  # noqa: E402


def test_classic_kernels_are_3x3_and_sobel_detects_vertical_edges():
    kernels = vision.classic_kernels()
    assert all(k.shape == (3, 3) and k.dtype == np.float32 for k in kernels.values())
    step = np.zeros((5, 5), np.float32)
    step[:, 3:] = 1.0  # dark left, bright right: a vertical edge
    sobel_x, sobel_y = kernels["vertical edges (Sobel x)"], kernels["horizontal edges (Sobel y)"]
    assert np.sum(step[1:4, 1:4] * sobel_x) > 0 and np.sum(step[1:4, 1:4] * sobel_y) == 0
    assert np.isclose(kernels["box blur"].sum(), 1.0)


def test_count_flops_and_model_table_match_hand_counts():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(5)])
    conv = 2 * 3 * 3 * 3 * 4 * 8 * 8
    dense = 2 * (4 * 4 * 4) * 5
    assert vision.count_flops(model) == conv + dense
    table = vision.model_table({"tiny": model}, {"tiny": {"test acc": 0.5}})
    assert "tiny" in table and f"{model.count_params():,}" in table and "0.5000" in table


def test_count_flops_sees_inside_nested_models_and_strides():
    import keras

    inner = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, strides=2, padding="same")])
    outer = keras.Sequential([keras.Input((8, 8, 1)), inner, keras.layers.Flatten(), keras.layers.Dense(3)])
    assert vision.count_flops(outer) == 2 * 9 * 1 * 2 * 4 * 4 + 2 * 32 * 3


def test_paste_on_canvas_boxes_are_tight_and_inside():
    items = np.zeros((3, 28, 28), np.uint8)
    items[:, 5:10, 7:20] = 200  # a 5 x 13 item inside each 28x28 image
    canvases, boxes = vision.paste_on_canvas(items, canvas_size=56, seed=1)
    assert canvases.shape == (3, 56, 56, 1) and canvases.dtype == np.float32 and canvases.max() <= 1.0
    assert np.all((boxes >= 0) & (boxes <= 1))
    h, w = (boxes[:, 2] - boxes[:, 0]) * 56, (boxes[:, 3] - boxes[:, 1]) * 56
    assert np.allclose(h, 5) and np.allclose(w, 13)
    for c, b in zip(canvases, boxes):  # the box holds exactly the item's pixels
        y0, x0, y1, x1 = np.round(b * 56).astype(int)
        assert c[y0:y1, x0:x1].sum() == pytest.approx(c.sum())
        assert np.all(c[y0:y1, x0:x1] > 0)
    with pytest.raises(ValueError):
        vision.paste_on_canvas(items, canvas_size=20)


def test_tight_box_of_an_empty_image():
    assert vision.tight_box(np.zeros((4, 4))) == (0, 0, 0, 0)


def test_predict_logits_chunks_like_a_direct_call():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(7, 3)).astype("float32")
    assert np.allclose(vision.predict_logits(model, x, batch_size=3), keras.ops.convert_to_numpy(model(x)), atol=1e-6)


def test_predict_proba_tta_averages_the_image_and_its_mirror():
    import keras

    model = keras.Sequential([keras.Input((2, 3, 1)), keras.layers.Flatten(), keras.layers.Dense(4)])
    x = np.random.default_rng(1).normal(size=(5, 2, 3, 1)).astype("float32")

    from course.nn import softmax

    plain = softmax(vision.predict_logits(model, x))
    mirrored = softmax(vision.predict_logits(model, x[:, :, ::-1]))
    tta = vision.predict_proba_tta(model, x, batch_size=2)
    assert np.allclose(tta, (plain + mirrored) / 2, atol=1e-6)
    assert np.allclose(tta.sum(axis=1), 1.0, atol=1e-6)
    assert not np.allclose(tta, plain, atol=1e-3)  # the mirror really is a second, different view
    symmetric = np.concatenate([x[:, :, :1], x[:, :, 1:2], x[:, :, :1]], axis=2)  # columns 0 and 2 equal
    assert np.allclose(vision.predict_proba_tta(model, symmetric), softmax(vision.predict_logits(model, symmetric)),
                       atol=1e-6)


def test_figures_draw_without_error():
    rng = np.random.default_rng(0)
    figs = [
        vision.show_kernels(rng.normal(size=(3, 3, 1, 5))),
        vision.show_kernels(rng.normal(size=(3, 3, 3, 2))),
        vision.show_feature_maps(rng.random((1, 6, 6, 4)), ncols=2),
        vision.overlay_heatmap(rng.random((2, 12, 12)), rng.random((2, 3, 3)), titles=["a", "b"]),
        vision.draw_boxes(rng.random((2, 10, 10)), np.array([[0.1, 0.1, 0.5, 0.5]] * 2),
                          np.array([[0.2, 0.2, 0.6, 0.6]] * 2), labels=["x", "y"]),
        vision.filter_response_grid(rng.random((8, 8)), {"edges": rng.normal(size=(8, 8)), "blur": rng.random((8, 8))}),
    ]
    assert all(f is not None and f.axes for f in figs)


def test_load_imagenet_backbone_returns_none_offline(monkeypatch):
    import socket

    def offline(*args, **kwargs):
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket, "create_connection", offline)
    assert vision.load_imagenet_backbone("MobileNetV2", timeout=0.1, verbose=False) is None


def test_load_photos_returns_named_rgb_uint8():
    photos = data.load_photos(["camera", "chelsea"], verbose=False)
    assert list(photos) == ["camera", "chelsea"]
    assert all(p.ndim == 3 and p.shape[-1] == 3 and p.dtype == np.uint8 for p in photos.values())
    assert np.array_equal(photos["camera"][..., 0], photos["camera"][..., 2])  # grey repeated over 3 channels
    with pytest.raises(data.DataUnavailableError):
        data.load_photos(["no_such_photo"], verbose=False)
