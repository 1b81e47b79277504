"""Unit tests for course.style (Project 3): real photos, texture patches, the feature CNN's layout."""

from __future__ import annotations

import numpy as np
import pytest

from course import style


def test_load_image_is_float_rgb_in_unit_range_resized():
    img = style.load_image("chelsea", max_dim=64, verbose=False)
    assert img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3
    assert max(img.shape[:2]) == 64 and 0.0 <= img.min() and img.max() <= 1.0
    assert img.std() > 0.05  # a real photo, not a constant


def test_texture_patches_labels_sizes_and_disjoint_rows():
    photos = ("brick", "coffee", "page")
    (x_tr, y_tr), (x_val, y_val), names = style.texture_patches(per_photo=10, size=16, photos=photos,
                                                                max_dim=96, verbose=False)
    assert names == list(photos)
    assert x_tr.shape == (3 * 8, 16, 16, 3) and x_val.shape == (3 * 2, 16, 16, 3)
    assert sorted(set(y_tr.tolist())) == [0, 1, 2] and np.bincount(y_val).tolist() == [2, 2, 2]
    assert x_tr.dtype == np.float32 and 0.0 <= x_tr.min() and x_tr.max() <= 1.0


def test_texture_cnn_has_vgg_style_layer_names_and_any_input_size():
    keras = pytest.importorskip("keras")
    model = style.build_texture_cnn(num_classes=5)
    names = {layer.name for layer in model.layers}
    assert set(style.CNN_STYLE_LAYERS + style.CNN_CONTENT_LAYERS) <= names
    out = keras.ops.convert_to_numpy(model(np.zeros((2, 40, 56, 3), dtype="float32")))
    assert out.shape == (2, 5)


def test_feature_extractor_rejects_unknown_choice():
    with pytest.raises(ValueError):
        style.feature_extractor("resnet")
