"""Figures the lessons use again and again (introduced in Week 1).

All functions draw with matplotlib, return the ``Figure`` and never call ``plt.show()`` in a way
that blocks, so they work in JupyterLab, Colab and headless CI (papermill).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _fig_ax(ax, figsize):
    """The figure and axes to draw on: a new figure unless the caller passed ``ax``."""
    if ax is None:
        return _plt().subplots(figsize=figsize)
    return ax.figure, ax


def _history_dict(history) -> dict:
    return dict(getattr(history, "history", history))


def plot_history(history, metrics: Sequence[str] | None = None, title: str | None = None):
    """Training curves from a Keras ``History`` or a ``{name: [values per epoch]}`` dict.

    Each metric gets a panel; ``val_<metric>`` is drawn in the same panel, dashed.
    """
    plt = _plt()
    h = _history_dict(history)
    if metrics is None:
        metrics = [k for k in h if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.3), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        ax.plot(np.arange(1, len(h[m]) + 1), h[m], label=f"train {m}")
        if f"val_{m}" in h:
            ax.plot(np.arange(1, len(h[f"val_{m}"]) + 1), h[f"val_{m}"], "--", label=f"val {m}")
        ax.set_xlabel("epoch")
        ax.set_title(m)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(curves: Mapping[str, Sequence[float]], xlabel: str = "step", ylabel: str = "loss",
                title: str | None = None, logy: bool = False, ax=None):
    """Several named curves on one axis (compare optimizers, learning rates, initializations)."""
    fig, ax = _fig_ax(ax, (6, 3.6))
    for name, ys in curves.items():
        ax.plot(np.arange(len(ys)), ys, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def image_grid(images, labels=None, class_names: Sequence[str] | None = None, ncols: int = 8,
               predictions=None, cmap: str = "gray", size: float = 1.4, title: str | None = None):
    """A grid of images with their labels; with ``predictions`` wrong ones are titled in red."""
    plt = _plt()
    images = np.asarray(images)
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        ax.imshow(img.squeeze(), cmap=cmap if img.ndim == 2 or img.shape[-1] == 1 else None)
        if labels is not None:
            name = class_names[labels[i]] if class_names is not None else str(labels[i])
            color = "black"
            if predictions is not None:
                pred = class_names[predictions[i]] if class_names is not None else str(predictions[i])
                color = "green" if predictions[i] == labels[i] else "red"
                name = f"{pred}\n(true {name})" if predictions[i] != labels[i] else name
            ax.set_title(name, fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X, y, resolution: int = 200,
                      padding: float = 0.5, title: str | None = None, ax=None):
    """Colour the plane by ``predict`` (class ids or probabilities of class 1) and overlay ``X``, ``y``."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    fig, ax = _fig_ax(ax, (4.2, 4))
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x1 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    z = np.asarray(predict(np.c_[g0.ravel(), g1.ravel()]))
    if z.ndim > 1 and z.shape[-1] > 1:
        z = z.argmax(-1)
    z = z.reshape(g0.shape)
    ax.contourf(g0, g1, z, levels=20 if z.dtype.kind == "f" else None, cmap="RdBu_r", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=30)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_functions(fns: Mapping[str, Callable[[np.ndarray], np.ndarray]], x=None, title: str | None = None,
                   ax=None):
    """Plot named elementwise functions (activations and their derivatives) on one axis."""
    x = np.linspace(-6, 6, 400) if x is None else np.asarray(x)
    fig, ax = _fig_ax(ax, (5, 3.4))
    for name, f in fns.items():
        ax.plot(x, f(x), label=name)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, class_names: Sequence[str], normalize: bool = True, title=None):
    """A confusion-matrix heat map (rows: true class, columns: predicted)."""
    plt = _plt()
    k = len(class_names)
    cm = np.zeros((k, k), dtype=float)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    if normalize:
        cm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(0.55 * k + 2, 0.55 * k + 1.5))
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), class_names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{cm[i, j]:.2f}" if normalize else int(cm[i, j]), ha="center", va="center",
                    fontsize=6, color="white" if cm[i, j] > cm.max() / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def computational_graph(nodes: Mapping[str, tuple], edges: Sequence[tuple], title: str | None = None,
                        ax=None, figsize: tuple = (9, 3.2)):
    """Draw a small computational graph as boxes and arrows (introduced in Week 2, backpropagation).

    ``nodes`` maps a name to ``(x, y, text)``: where the box's centre goes (data coordinates) and the
    text written in it, several lines allowed (e.g. the operation, its forward value and the gradient
    the backward pass brings to it). ``edges`` lists ``(source, target)`` names; each becomes an arrow
    in the direction of the forward pass. In the spirit of micrograd's ``draw_dot``, without Graphviz.
    """
    fig, ax = _fig_ax(ax, figsize)
    for src, dst in edges:
        (x0, y0, _), (x1, y1, _) = nodes[src], nodes[dst]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color="0.4", lw=1.2, shrinkA=30, shrinkB=30))
    for x, y, text in nodes.values():
        ax.text(x, y, text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.45", fc="#eef4fb", ec="#4a78a8"))
    xs = [v[0] for v in nodes.values()]
    ys = [v[1] for v in nodes.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
