"""Computer-vision helpers for the convolutional-network lessons.

Introduced in Week 3 ("Convolutional neural networks": convolution, pooling, CNN architectures) and
Week 4 ("Transfer learning and computer-vision applications"); the projects reuse them.

- :func:`classic_kernels` — hand-made 3x3 filters (edges, blur, sharpen) to see what a filter detects
  (Week 3, section 1).
- :func:`count_flops`, :func:`model_table` — parameters and floating-point operations of Keras CNNs
  (Week 3, "CNN architectures").
- :func:`show_kernels`, :func:`show_feature_maps` — filters and activations as image grids (Weeks 3, 4).
- :func:`overlay_heatmap` — a saliency or Grad-CAM map over its images (Week 4).
- :func:`paste_on_canvas`, :func:`draw_boxes` — a localization task built from real Fashion-MNIST
  items pasted on a larger canvas, and its bounding boxes (Week 4).
- :func:`load_imagenet_backbone` — ``keras.applications`` ImageNet weights when the download works
  within a short timeout, else ``None`` with the reason printed (Week 4, transfer learning).

Boxes are ``[ymin, xmin, ymax, xmax]`` in image-relative coordinates (0..1), TensorFlow's convention.
"""

from __future__ import annotations

import socket
from typing import Mapping, Sequence

import numpy as np

from .nn import softmax
from .plots import _plt

# ---------------------------------------------------------------------------------------------
# filters


def classic_kernels() -> dict[str, np.ndarray]:
    """Named 3x3 float32 filters: Sobel edges, a Laplacian, a box blur and a sharpening filter."""
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    return {
        "vertical edges (Sobel x)": sobel_x,
        "horizontal edges (Sobel y)": sobel_x.T.copy(),
        "Laplacian (blobs, corners)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
        "box blur": np.full((3, 3), 1 / 9, dtype=np.float32),
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    }


# ---------------------------------------------------------------------------------------------
# parameters and FLOPs


def _out_hw(layer):
    shape = layer.output.shape
    return int(shape[1]), int(shape[2])


def _layer_flops(layer) -> int:
    """2 x multiply-adds of one image through ``layer`` (convolutions and dense layers only)."""
    import keras

    L = keras.layers
    try:
        if isinstance(layer, L.DepthwiseConv2D):
            kh, kw = layer.kernel_size
            oh, ow = _out_hw(layer)
            return 2 * kh * kw * int(layer.input.shape[-1]) * layer.depth_multiplier * oh * ow
        if isinstance(layer, L.SeparableConv2D):
            kh, kw = layer.kernel_size
            oh, ow = _out_hw(layer)
            c_in = int(layer.input.shape[-1])
            return 2 * oh * ow * (kh * kw * c_in * layer.depth_multiplier + c_in * layer.depth_multiplier * layer.filters)
        if isinstance(layer, L.Conv2D):
            kh, kw = layer.kernel_size
            oh, ow = _out_hw(layer)
            c_in = int(layer.input.shape[-1]) // layer.groups
            return 2 * kh * kw * c_in * layer.filters * oh * ow
        if isinstance(layer, L.Dense):
            positions = int(np.prod([d for d in layer.input.shape[1:-1]] or [1]))
            return 2 * int(layer.input.shape[-1]) * layer.units * positions
    except (AttributeError, ValueError, TypeError):  # a layer without a single well-defined node
        return 0
    return 0


def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:  # a nested model (a backbone inside a model)
            yield from _all_layers(layer)
        else:
            yield layer


def count_flops(model) -> int:
    """Floating-point operations of one forward pass of one image: 2 x the multiply-adds of every
    convolution and dense layer (what papers report as "FLOPs"; BN, activations and pooling are
    cheap and left out). The model must be built with a fixed input size."""
    return int(sum(_layer_flops(layer) for layer in _all_layers(model)))


def model_table(models: Mapping[str, object], extra: Mapping[str, Mapping[str, object]] | None = None) -> str:
    """A text table of Keras models: parameters, FLOPs per image, depth (weight layers) and any
    ``extra`` columns ``{model name: {column: value}}`` (e.g. test accuracy, seconds)."""
    import keras

    extra = extra or {}
    columns = []
    for cols in extra.values():
        columns += [c for c in cols if c not in columns]
    header = f"{'model':<22}{'params':>12}{'MFLOPs/image':>14}{'weight layers':>15}" + "".join(f"{c:>14}" for c in columns)
    lines = [header, "-" * len(header)]
    for name, model in models.items():
        depth = sum(isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) for layer in _all_layers(model))
        row = f"{name:<22}{model.count_params():>12,}{count_flops(model) / 1e6:>14.2f}{depth:>15}"
        for c in columns:
            v = extra.get(name, {}).get(c, "")
            row += f"{v:>14.4f}" if isinstance(v, float) else f"{v!s:>14}"
        lines.append(row)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# figures


def _grid(n, ncols, size):
    plt = _plt()
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.flat


def show_kernels(kernels, ncols: int = 8, size: float = 1.0, title: str | None = None, max_kernels: int = 32):
    """Convolution kernels ``(kh, kw, c_in, c_out)`` as small images, one per output channel
    (RGB when ``c_in == 3``, else the mean over input channels), blue negative, red positive."""
    k = np.asarray(kernels, dtype=float)
    n = min(k.shape[-1], max_kernels)
    fig, axes = _grid(n, ncols, size)
    for i, ax in zip(range(n), axes):
        w = k[..., i]
        if w.shape[-1] == 3:
            ax.imshow((w - w.min()) / (np.ptp(w) + 1e-12), interpolation="nearest")
        else:
            w = w.mean(-1)
            lim = np.abs(w).max() + 1e-12
            ax.imshow(w, cmap="bwr", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(str(i), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(maps, ncols: int = 8, size: float = 1.2, title: str | None = None, max_maps: int = 16,
                      titles: Sequence[str] | None = None, cmap: str = "viridis"):
    """Feature maps ``(h, w, channels)`` (one image's activations) as a grid of images."""
    m = np.asarray(maps, dtype=float)
    if m.ndim == 4:
        m = m[0]
    n = min(m.shape[-1], max_maps)
    fig, axes = _grid(n, ncols, size)
    for i, ax in zip(range(n), axes):
        ax.imshow(m[..., i], cmap=cmap)
        ax.set_title(titles[i] if titles else f"channel {i}", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def overlay_heatmap(images, heatmaps, titles: Sequence[str] | None = None, alpha: float = 0.5,
                    size: float = 2.0, cmap: str = "jet", title: str | None = None):
    """Each image with its heat map (saliency, Grad-CAM) stretched over it; a heat map may be
    coarser than its image (a 7x7 Grad-CAM over a 28x28 image): it is drawn with bilinear
    interpolation across the whole image."""
    images, heatmaps = np.asarray(images), np.asarray(heatmaps, dtype=float)
    n = len(images)
    fig, axes = _grid(2 * n, 2 * min(n, 4), size)
    axes = list(axes)
    for i in range(n):
        img = images[i].squeeze()
        h, w = img.shape[:2]
        a, b = axes[2 * i], axes[2 * i + 1]
        a.imshow(img, cmap="gray" if img.ndim == 2 else None)
        a.set_title(titles[i] if titles else "image", fontsize=8)
        b.imshow(img, cmap="gray" if img.ndim == 2 else None)
        b.imshow(heatmaps[i], cmap=cmap, alpha=alpha, extent=(-0.5, w - 0.5, h - 0.5, -0.5),
                 interpolation="bilinear")
        b.set_title("heat map", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def draw_boxes(images, boxes_true, boxes_pred=None, labels: Sequence[str] | None = None, ncols: int = 6,
               size: float = 1.8, title: str | None = None):
    """Images with their true boxes (green) and predicted boxes (red, dashed); boxes are
    ``[ymin, xmin, ymax, xmax]`` relative to the image size."""
    from matplotlib.patches import Rectangle

    images = np.asarray(images)
    fig, axes = _grid(len(images), ncols, size)
    for i, ax in zip(range(len(images)), axes):
        img = images[i].squeeze()
        h, w = img.shape[:2]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        sets = [(boxes_true, "lime", "-")] + ([(boxes_pred, "red", "--")] if boxes_pred is not None else [])
        for boxes, color, style in sets:
            y0, x0, y1, x1 = np.asarray(boxes[i], dtype=float) * [h, w, h, w]
            ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec=color, ls=style, lw=1.5))
        if labels is not None:
            ax.set_title(labels[i], fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def filter_response_grid(image, responses: Mapping[str, np.ndarray], size: float = 2.2, title: str | None = None,
                         ax=None):
    """An image next to its responses to several filters (``{filter name: 2-D response}``)."""
    plt = _plt()
    n = len(responses) + 1
    fig, axes = plt.subplots(1, n, figsize=(size * n, size * 1.1))
    axes[0].imshow(np.asarray(image).squeeze(), cmap="gray")
    axes[0].set_title("input", fontsize=8)
    for a, (name, r) in zip(axes[1:], responses.items()):
        r = np.asarray(r, dtype=float).squeeze()
        lim = np.abs(r).max() + 1e-12
        a.imshow(r, cmap="gray" if r.min() >= 0 else "bwr", vmin=None if r.min() >= 0 else -lim,
                 vmax=None if r.min() >= 0 else lim)
        a.set_title(name, fontsize=8)
    for a in axes:
        a.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# localization data


def tight_box(image, threshold: float = 0.0):
    """``(ymin, xmin, ymax, xmax)`` in pixels (max exclusive) of the pixels above ``threshold``."""
    mask = np.asarray(image).squeeze() > threshold
    if not mask.any():
        return 0, 0, 0, 0
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def paste_on_canvas(images, canvas_size: int = 64, seed: int = 0, threshold: int = 10):
    """Paste each (h, w) image at a random place on an empty ``canvas_size`` square.

    Returns ``(canvases, boxes)``: float32 canvases ``(n, S, S, 1)`` in [0, 1] and float32 boxes
    ``(n, 4)`` = the tight box of the item's pixels above ``threshold`` (of 255), relative to the
    canvas. The items are real (e.g. Fashion-MNIST); only their position is random (seeded)."""
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    if canvas_size < max(h, w):
        raise ValueError(f"canvas_size={canvas_size} is smaller than the images ({h}x{w})")
    rng = np.random.default_rng(seed)
    canvases = np.zeros((n, canvas_size, canvas_size, 1), dtype=np.float32)
    boxes = np.zeros((n, 4), dtype=np.float32)
    top = rng.integers(0, canvas_size - h + 1, size=n)
    left = rng.integers(0, canvas_size - w + 1, size=n)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    for i in range(n):
        canvases[i, top[i]:top[i] + h, left[i]:left[i] + w, 0] = images[i].reshape(h, w) / scale
        y0, x0, y1, x1 = tight_box(images[i], threshold / 255.0 * scale)
        boxes[i] = [(top[i] + y0) / canvas_size, (left[i] + x0) / canvas_size,
                    (top[i] + y1) / canvas_size, (left[i] + x1) / canvas_size]
    return canvases, boxes


# ---------------------------------------------------------------------------------------------
# pretrained ImageNet backbones (online only)


def load_imagenet_backbone(name: str = "MobileNetV2", input_shape=(96, 96, 3), timeout: float = 5.0,
                           verbose: bool = True):
    """``keras.applications.<name>(weights="imagenet", include_top=False, pooling="avg")`` or ``None``

    The model maps images to one feature vector each (global average pooling).

    Checks first that the weights' host answers within ``timeout`` seconds (so an offline machine
    gives up at once), then downloads with the same socket timeout (cached under ``$KERAS_HOME``).
    Prints what happened; returns ``None`` instead of raising when the weights are unreachable.
    """
    import keras

    cls = getattr(keras.applications, name)
    old = socket.getdefaulttimeout()
    try:
        socket.create_connection(("storage.googleapis.com", 443), timeout=timeout).close()
        socket.setdefaulttimeout(timeout)
        model = cls(include_top=False, weights="imagenet", input_shape=tuple(input_shape), pooling="avg")
    except Exception as exc:  # offline, DNS failure, timeout, partial download
        if verbose:
            print(f"ImageNet weights for {name} unavailable ({type(exc).__name__}: {exc}); "
                  "using the backbone pretrained in this course instead")
        return None
    finally:
        socket.setdefaulttimeout(old)
    if verbose:
        print(f"{name}: ImageNet weights from keras.applications, {model.count_params():,} parameters")
    return model


__all__ = ["classic_kernels", "count_flops", "model_table", "show_kernels", "show_feature_maps",
           "overlay_heatmap", "draw_boxes", "filter_response_grid", "tight_box", "paste_on_canvas",
           "load_imagenet_backbone", "predict_logits"]


def predict_logits(model, x, batch_size: int = 1000) -> np.ndarray:
    """``model(x, training=False)`` on chunks of ``x``, concatenated as a NumPy array.

    For a one-off evaluation this is cheaper than ``model.predict`` (nothing to trace) and, unlike
    calling the model on the whole array, keeps memory bounded (Weeks 3-4)."""
    import keras

    outs = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    return np.concatenate(outs, axis=0)


def predict_proba_tta(model, x, batch_size: int = 1000) -> np.ndarray:
    """Test-time augmentation with the left-right mirror: the mean of the softmax probabilities
    the model gives each image and its mirror image (NHWC, width is axis 2). Only sound for a model
    trained on mirrored images too, where the mirror is just another view of the same class."""
    x = np.asarray(x)
    return (softmax(predict_logits(model, x, batch_size)) + softmax(predict_logits(model, x[:, :, ::-1], batch_size))) / 2
