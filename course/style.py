"""Neural style transfer helpers (introduced in Project 3, "Neural style transfer").

Gatys et al. (2016) match the Gram matrices of a pretrained CNN's feature maps. The classic choice
is VGG19 with ImageNet weights (``keras.applications.VGG19``), which needs a download. Offline, the
course trains its own small VGG-style CNN on real data: RGB texture patches cut from the photos that
ship with scikit-image, labelled by the photo they come from. Telling brick from gravel from a
stained tissue sample from a cat's fur is exactly what texture- and colour-sensitive features are
for, and those are the features Gram matrices summarize.

- :func:`load_image`: a real photo as float32 RGB in [0, 1], resized;
- :func:`texture_patches`: the patch data set (training and validation patches from disjoint rows);
- :func:`build_texture_cnn` / :func:`texture_cnn`: the course's feature CNN (trained, or loaded from
  the cache under ``$KERAS_HOME/course/`` in full mode);
- :func:`vgg19_backbone`: VGG19 with ImageNet weights, or ``None`` when they cannot be fetched;
- :func:`feature_extractor`: a model mapping images in [0, 1] to (style features, content features),
  with the name of the network it uses.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import time
from pathlib import Path

import numpy as np

# Photos of the patch data set: colour photos and grey-scale textures that ship with scikit-image.
TEXTURE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry",
                  "retina", "brick", "grass", "gravel", "camera", "coins", "moon", "clock", "cell", "page")
VGG19_STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
VGG19_CONTENT_LAYERS = ["block5_conv2"]
CNN_STYLE_LAYERS = ["to_minus1_1", "block1_conv1", "block2_conv1", "block3_conv1"]
CNN_CONTENT_LAYERS = ["block3_conv2"]
VGG19_HOST = ("storage.googleapis.com", 443)


@functools.lru_cache(maxsize=64)
def _resized_photo(name: str, max_dim: int) -> np.ndarray:
    from skimage.transform import resize

    img = _photo(name)
    h, w = img.shape[:2]
    scale = max_dim / max(h, w)
    out = resize(img, (max(1, round(h * scale)), max(1, round(w * scale))), anti_aliasing=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=32)
def _photo(name: str) -> np.ndarray:
    from . import data

    return data.load_photos([name], verbose=False)[name].astype(np.float32) / 255.0


def _photo_shape(name: str) -> tuple:
    return _photo(name).shape[:2]


def load_image(name: str, max_dim: int = 256, verbose: bool = True) -> np.ndarray:
    """``skimage.data.<name>`` as float32 RGB in [0, 1], resized so its longer side is ``max_dim``.

    Uses :func:`course.data.load_photos` (grey-scale photos are repeated over three channels); the
    resized photos are cached in memory, so asking again is free.
    """
    out = _resized_photo(name, max_dim).copy()
    h, w = _photo_shape(name)
    if verbose:
        print(f"{name}: {h}x{w} photo from skimage.data, resized to {out.shape[0]}x{out.shape[1]}")
    return out


def texture_patches(per_photo: int = 400, size: int = 32, photos=TEXTURE_PHOTOS, max_dim: int = 256,
                    val_fraction: float = 0.2, seed: int = 0, verbose: bool = True):
    """Random ``size`` x ``size`` RGB patches of real photos, labelled by the photo they come from.

    Each photo is resized to ``max_dim`` (the scale style transfer works at); training patches come
    from its top ``1 - val_fraction`` of rows and validation patches from the rows below, so the two
    sets never share pixels. Returns ``(x_train, y_train), (x_val, y_val), names`` with float32
    images in [0, 1].
    """
    rng = np.random.default_rng(seed)
    xs = {"train": [], "val": []}
    ys = {"train": [], "val": []}
    n_val = max(1, int(round(per_photo * val_fraction)))
    for label, name in enumerate(photos):
        img = load_image(name, max_dim=max_dim, verbose=False)
        h, w = img.shape[:2]
        cut = min(int(round(h * (1 - val_fraction))), h - size)  # at least one patch height below
        for part, (top, bottom, n) in {"train": (0, cut, per_photo - n_val), "val": (cut, h, n_val)}.items():
            rows = rng.integers(top, bottom - size + 1, size=n)
            cols = rng.integers(0, w - size + 1, size=n)
            xs[part].append(np.stack([img[r:r + size, c:c + size] for r, c in zip(rows, cols)]))
            ys[part].append(np.full(n, label, dtype=np.int64))
    out = [(np.concatenate(xs[p]), np.concatenate(ys[p])) for p in ("train", "val")]
    if verbose:
        print(f"texture patches: {len(out[0][0])} training / {len(out[1][0])} validation {size}x{size} RGB "
              f"patches of {len(photos)} skimage.data photos (classes: {', '.join(photos)})")
    return out[0], out[1], list(photos)


def build_texture_cnn(num_classes: int, widths=(16, 32, 64), seed: int = 0):
    """A small VGG-style CNN whose convolution layers are named like VGG19's (``block1_conv1`` ...).

    Input: RGB images in [0, 1] of any size (fully convolutional up to the classifier head).
    Average pooling between blocks, as Gatys et al. recommend for synthesis.
    """
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(None, None, 3), name="image")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)
    for b, width in enumerate(widths, 1):
        for c in (1, 2):
            x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"block{b}_conv{c}")(x)
        x = keras.layers.AveragePooling2D(2, name=f"block{b}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="texture_cnn")


def _cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "course"


def texture_cnn(fast: bool = False, cache: bool | None = None, verbose: bool = True):
    """The course's feature CNN for style transfer, trained on :func:`texture_patches`.

    Full mode trains on 16 x 1,000 patches for 8 epochs (a few minutes on a CPU) and caches the
    weights under ``$KERAS_HOME/course/`` (the cache key covers every setting, so a change retrains);
    FAST mode trains a quick, weak version (1 epoch on 16 x 64 patches) and caches nothing unless ``cache=True``.
    Returns ``(model, info)``; ``info`` holds the history, validation accuracy, seconds and source.
    """
    import keras

    cfg = {"per_photo": 64 if fast else 1000, "epochs": 1 if fast else 8, "widths": [16, 32, 64],
           "size": 32, "photos": list(TEXTURE_PHOTOS), "lr": 2e-3, "batch": 64, "version": 1}
    cache = (not fast) if cache is None else cache
    key = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:10]
    path = _cache_dir() / f"project3_texture_cnn_{key}.weights.h5"
    meta_path = path.with_suffix("").with_suffix(".json")
    (x_tr, y_tr), (x_val, y_val), names = texture_patches(cfg["per_photo"], cfg["size"], verbose=verbose)
    model = build_texture_cnn(len(names), cfg["widths"])
    model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    if cache and path.exists() and meta_path.exists():
        model.load_weights(path)
        info = json.loads(meta_path.read_text())
        info["source"] = f"cached weights {path}"
    else:
        import tensorflow as tf

        train = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(len(x_tr), seed=0)
                 .batch(cfg["batch"]).map(lambda x, y: (tf.image.random_flip_left_right(x, seed=1), y))
                 .prefetch(tf.data.AUTOTUNE))
        t0 = time.perf_counter()
        hist = model.fit(train, validation_data=(x_val, y_val), epochs=cfg["epochs"], verbose=0)
        info = {"history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
                "seconds": round(time.perf_counter() - t0, 1)}
        info["val_acc"] = info["history"]["val_accuracy"][-1]
        info["source"] = f"trained now ({cfg['epochs']} epochs on {len(x_tr)} patches)"
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save_weights(path)
            meta_path.write_text(json.dumps(info))
            info["source"] += f", cached in {path}"
    info["classes"] = names
    info["chance"] = 1.0 / len(names)
    if verbose:
        print(f"texture CNN ({model.count_params():,} parameters): {info['source']}; validation accuracy "
              f"{info['val_acc']:.3f} on {len(names)} photos (chance {info['chance']:.3f})")
    return model, info


def vgg19_backbone(timeout: float = 5.0, verbose: bool = True):
    """``keras.applications.VGG19(include_top=False, weights="imagenet")`` or ``None``.

    Tries the Keras cache first (no network), else checks that the weights' host answers within
    ``timeout`` seconds and downloads with the same socket timeout. Never raises for a network problem.
    """
    import keras

    cached = (Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
              / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
    old = socket.getdefaulttimeout()
    try:
        if not cached.exists():
            socket.create_connection(VGG19_HOST, timeout=timeout).close()
            socket.setdefaulttimeout(timeout)
        model = keras.applications.VGG19(include_top=False, weights="imagenet")
    except Exception as exc:  # offline, DNS failure, timeout, partial download
        if verbose:
            print(f"VGG19 ImageNet weights unavailable ({type(exc).__name__}: {str(exc)[:120]})")
        return None
    finally:
        socket.setdefaulttimeout(old)
    model.trainable = False
    if verbose:
        print(f"VGG19: ImageNet weights from keras.applications ({model.count_params():,} parameters)")
    return model


def feature_extractor(prefer: str = "auto", fast: bool = False, verbose: bool = True):
    """A frozen model mapping images in [0, 1], shape (1, H, W, 3), to ``[style maps..., content maps...]``.

    ``prefer``: ``"vgg19"`` (ImageNet VGG19; falls back to the course CNN if its weights cannot be
    fetched), ``"course"`` (the course's texture CNN) or ``"auto"`` (VGG19 in full mode, the course
    CNN in FAST mode, where a 80 MB download does not fit). Returns ``(model, info)`` where ``info``
    names the network (``info["name"]``), its style and content layers, and how it was obtained.
    """
    import keras

    if prefer not in {"auto", "vgg19", "course"}:
        raise ValueError(f"prefer={prefer!r}: use 'auto', 'vgg19' or 'course'")
    want_vgg = prefer == "vgg19" or (prefer == "auto" and not fast)
    vgg = vgg19_backbone(verbose=verbose) if want_vgg else None
    if vgg is not None:
        style_layers, content_layers = VGG19_STYLE_LAYERS, VGG19_CONTENT_LAYERS
        inputs = keras.Input(shape=(None, None, 3))
        # VGG19 expects 0..255 BGR images minus the ImageNet mean ("caffe" preprocessing)
        x = keras.applications.vgg19.preprocess_input(inputs * 255.0)
        outs = keras.Model(vgg.input, [vgg.get_layer(n).output for n in style_layers + content_layers])(x)
        model = keras.Model(inputs, outs, name="vgg19_features")
        info = {"name": "VGG19 (ImageNet weights, keras.applications)", "source": "keras.applications",
                # style and content as in the TensorFlow style-transfer tutorial; the TV weight is our
                # conversion to the course's mean-squared TV loss (not tuned offline: no weights here)
                "weights": {"style": 1e-2, "content": 1e4, "tv": 1e7}}
    else:
        cnn, info = texture_cnn(fast=fast, verbose=verbose)
        style_layers, content_layers = CNN_STYLE_LAYERS, CNN_CONTENT_LAYERS
        model = keras.Model(cnn.input, [cnn.get_layer(n).output for n in style_layers + content_layers],
                            name="texture_cnn_features")
        info = dict(info, name="course texture CNN (trained on skimage.data texture patches)",
                    weights={"style": 1e6, "content": 1e2, "tv": 3e4})  # tuned on chelsea + immunohistochemistry
    model.trainable = False
    info.update(style_layers=list(style_layers), content_layers=list(content_layers))
    if verbose:
        print(f"feature extractor: {info['name']}; style layers {style_layers}, content layers {content_layers}")
    return model, info


def show_images(images, titles, size: float = 3.2, title: str | None = None):
    """Images (float RGB in [0, 1], optionally with a batch axis of 1) side by side with titles."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size * 1.05), squeeze=False)
    for ax, img, name in zip(axes[0], images, titles):
        img = np.asarray(img)
        ax.imshow(np.clip(img[0] if img.ndim == 4 else img, 0.0, 1.0))
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


__all__ = ["TEXTURE_PHOTOS", "load_image", "texture_patches", "build_texture_cnn", "texture_cnn",
           "vgg19_backbone", "feature_extractor", "show_images"]
