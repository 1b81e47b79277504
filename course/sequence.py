"""Sequence-model helpers for Weeks 5-6 and Project 2 (sequence models).

- Week 5, "Why gates: a long-range memory task": :func:`adding_problem` makes the data set on
  which a plain RNN fails and an LSTM/GRU succeeds; :func:`build_recurrent_model` and
  :func:`compare_recurrent` produce the RNN / LSTM / GRU comparison table (parameters, accuracy,
  seconds).
- Week 6, "Text generation": :data:`CHAR_VOCAB`, :func:`encode` / :func:`decode` (a fixed
  character vocabulary with an unknown-character id, so any text can be encoded),
  :func:`char_windows` (next-character training pairs as a ``tf.data`` pipeline) and
  :class:`CharSampler`, which steps a trained character model one character at a time inside a
  ``tf.function`` (no ``model.predict`` in a loop). :func:`adjust_logits` is the course's version
  of Week 6's exercise (temperature and top-k).
- Week 6, "Time series forecasting": :func:`split_by_time`, :func:`forecast_windows`,
  :func:`naive_forecast`, :func:`seasonal_naive_forecast`, :func:`mae` and :func:`plot_forecasts`.
- Project 2 uses :class:`CharSampler` with the student's own sampling function and
  :func:`encode` for the held-out text.
"""

from __future__ import annotations

import string
import time

import numpy as np

# ---------------------------------------------------------------------------------------------
# Week 6 / Project 2: characters

#: Id 0 is "unknown character"; then the printable ASCII characters (tab and newline included).
CHAR_VOCAB = ["\x00"] + sorted(set(string.printable) - set("\x0b\x0c\r"))
UNKNOWN_ID = 0
_CHAR_TO_ID = {c: i for i, c in enumerate(CHAR_VOCAB)}


def encode(text: str) -> np.ndarray:
    """Character ids (int32) of ``text`` in :data:`CHAR_VOCAB`; unknown characters map to 0."""
    return np.fromiter((_CHAR_TO_ID.get(c, UNKNOWN_ID) for c in text), dtype=np.int32, count=len(text))


def decode(ids) -> str:
    """The text of a sequence of ids (unknown characters come back as a middle dot)."""
    return "".join("·" if int(i) == UNKNOWN_ID else CHAR_VOCAB[int(i)] for i in np.asarray(ids).ravel())


def char_windows(ids, seq_len: int, batch_size: int, shuffle: bool = True, seed: int = 0):
    """``tf.data`` pairs (inputs, targets) for next-character prediction.

    The id sequence is cut into non-overlapping windows of ``seq_len + 1`` ids; each window gives
    inputs ``w[:-1]`` and targets ``w[1:]`` (the same text shifted by one character).
    """
    import tensorflow as tf

    ids = np.asarray(ids, dtype=np.int32)
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"{len(ids)} ids are too few for windows of {seq_len + 1}")
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1: n * seq_len + 1].reshape(n, seq_len)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def adjust_logits(logits, temperature, top_k):
    """Temperature and top-k applied to a batch of logits (the course's version of Week 6's exercise).

    ``logits / temperature``, then every logit below the k-th largest of its row set to -inf;
    ``top_k = 0`` keeps all. Works on tensors inside ``tf.function``.
    """
    import tensorflow as tf

    logits = tf.cast(logits, tf.float32)  # float64 logits too, inside tf.function
    scaled = logits / tf.cast(temperature, tf.float32)
    vocab = tf.shape(scaled)[-1]
    k = tf.cast(top_k, tf.int32)
    k = tf.where(k > 0, tf.minimum(k, vocab), vocab)
    kth = tf.math.top_k(scaled, k=k).values[..., -1:]
    return tf.where(scaled < kth, tf.constant(-np.inf, tf.float32), scaled)


def _default_sample(logits, temperature, top_k, seed):
    import tensorflow as tf

    return tf.random.stateless_categorical(adjust_logits(logits, temperature, top_k), 1, seed)[:, 0]


class CharSampler:
    """Generates text from a character model, one character at a time, inside one ``tf.function``.

    The model must be a stack ``Embedding -> recurrent layers (SimpleRNN/GRU/LSTM,
    return_sequences=True) -> ... -> Dense(vocab)`` (Dropout / LayerNormalization / Dense between
    them are fine). Instead of re-reading the whole context for every new character, the sampler
    runs each recurrent layer's *cell* for one step and carries its state, so 500 characters cost
    500 cell steps.

    ``sample(logits, temperature, top_k, seed) -> ids`` picks the next ids of a batch of logits;
    the default is :func:`adjust_logits` followed by ``tf.random.stateless_categorical``. Its
    arguments are tensors (``seed`` is a shape-(2,) int32 tensor that changes at every step).
    """

    STEP_LAYERS = ("Embedding", "Dense", "Dropout", "LayerNormalization", "Activation")

    def __init__(self, model, sample=None):
        import keras
        import tensorflow as tf

        self.model = model
        self.sample = sample or _default_sample
        self.layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        for layer in self.layers:
            kind = type(layer).__name__
            if not (isinstance(layer, keras.layers.RNN) or kind in self.STEP_LAYERS):
                raise ValueError(f"CharSampler cannot step a {kind} layer: use Embedding, "
                                 "SimpleRNN/GRU/LSTM, Dense, Dropout or LayerNormalization")
        self._run = tf.function(self._generate, reduce_retracing=True)

    def _initial_states(self, batch):
        import tensorflow as tf

        states = []
        for layer in self.layers:
            if hasattr(layer, "cell"):
                sizes = layer.cell.state_size
                sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
                states.append([tf.zeros((batch, s)) for s in sizes])
        return states

    def _step(self, ids, states):
        x, new_states, r = ids, [], 0
        for layer in self.layers:
            if hasattr(layer, "cell"):
                x, s = layer.cell(x, states[r], training=False)
                new_states.append(list(s) if isinstance(s, (list, tuple)) else [s])
                r += 1
            elif type(layer).__name__ != "Dropout":
                x = layer(x)
        return x, new_states

    def _generate(self, prompt_ids, n_chars, temperature, top_k, seed):
        import tensorflow as tf

        batch = tf.shape(prompt_ids)[0]
        states = self._initial_states(batch)
        logits = tf.zeros((batch, len(CHAR_VOCAB)))
        for t in tf.range(tf.shape(prompt_ids)[1]):  # read the prompt
            logits, states = self._step(prompt_ids[:, t], states)
        out = tf.TensorArray(tf.int32, size=n_chars)
        for i in tf.range(n_chars):
            step_seed = tf.stack([seed, i])
            nxt = tf.cast(self.sample(logits, temperature, top_k, step_seed), tf.int32)
            out = out.write(i, nxt)
            logits, states = self._step(nxt, states)
        return tf.transpose(out.stack())

    def generate_ids(self, prompt_ids, n_chars: int, temperature: float = 1.0, top_k: int = 0,
                     seed: int = 0) -> np.ndarray:
        """``n_chars`` new ids for each row of ``prompt_ids`` (shape (batch, prompt_len), prompt_len >= 1)."""
        import tensorflow as tf

        prompt = tf.constant(np.atleast_2d(np.asarray(prompt_ids, dtype=np.int32)))
        out = self._run(prompt, tf.constant(n_chars, tf.int32), tf.constant(temperature, tf.float32),
                        tf.constant(top_k, tf.int32), tf.constant(seed, tf.int32))
        return out.numpy()

    def generate(self, prompt: str, n_chars: int, temperature: float = 1.0, top_k: int = 0,
                 seed: int = 0) -> str:
        """The prompt followed by ``n_chars`` sampled characters."""
        return prompt + decode(self.generate_ids(encode(prompt)[None, :], n_chars, temperature, top_k, seed)[0])


# ---------------------------------------------------------------------------------------------
# Week 5: the long-range memory task and the RNN / LSTM / GRU comparison


def adding_problem(n: int, length: int, seed: int = 0):
    """The adding problem (Hochreiter & Schmidhuber, 1997): ``(x, y)`` with x of shape (n, length, 2).

    Channel 0 holds random numbers in [0, 1); channel 1 marks exactly two positions, one in each
    half of the sequence. The target is the sum of the two marked numbers. Predicting the mean
    (1.0) gives a mean squared error of about 1/6; beating it needs memory across the sequence.
    """
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    marks = np.zeros((n, length))
    rows = np.arange(n)
    marks[rows, rng.integers(0, length // 2, size=n)] = 1.0
    marks[rows, rng.integers(length // 2, length, size=n)] = 1.0
    x = np.stack([values, marks], axis=-1).astype(np.float32)
    return x, (values * marks).sum(axis=1).astype(np.float32)


def build_recurrent_model(kind: str, units: int, input_shape, outputs: int = 1):
    """``Input -> SimpleRNN|LSTM|GRU(units) -> Dense(outputs)``, the model of the comparison table."""
    import keras

    layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind.lower()]
    return keras.Sequential([keras.Input(shape=input_shape), layer(units, name=kind.lower()),
                             keras.layers.Dense(outputs, name="head")], name=f"{kind.lower()}_model")


def solved_fraction(pred, y, tol: float = 0.04) -> float:
    """Share of adding-problem predictions within ``tol`` of the true sum (a task 'accuracy')."""
    return float(np.mean(np.abs(np.ravel(pred) - np.ravel(y)) < tol))


def compare_recurrent(kinds, train, test, units: int = 32, epochs: int = 5, batch_size: int = 64,
                      learning_rate: float = 3e-3, seed: int = 0, verbose: bool = True):
    """Train one model per kind on the adding problem; return rows {kind, params, mse, accuracy, seconds, history}."""
    import keras

    (x_tr, y_tr), (x_te, y_te) = train, test
    rows = []
    for kind in kinds:
        keras.utils.set_random_seed(seed)
        model = build_recurrent_model(kind, units, x_tr.shape[1:])
        model.compile(keras.optimizers.Adam(learning_rate, global_clipnorm=1.0), loss="mse")
        start = time.perf_counter()
        hist = model.fit(x_tr, y_tr, epochs=epochs, batch_size=batch_size, verbose=0)
        seconds = time.perf_counter() - start
        pred = model(x_te, training=False).numpy()
        row = {"kind": kind, "params": model.count_params(), "mse": float(np.mean((pred.ravel() - y_te) ** 2)),
               "accuracy": solved_fraction(pred, y_te), "seconds": seconds, "history": hist.history["loss"]}
        rows.append(row)
        if verbose:
            print(f"{kind:>5}: {row['params']:5d} params, test MSE {row['mse']:.4f}, "
                  f"solved {row['accuracy']:.1%}, {seconds:.1f} s")
    return rows


# ---------------------------------------------------------------------------------------------
# Week 6: time series


def split_by_time(values, times, val_start, test_start):
    """Indices that cut a series by time: ``(i_val, i_test)``; train = [:i_val], val = [i_val:i_test], test = [i_test:]."""
    times = np.asarray(times)
    return int(np.searchsorted(times, val_start)), int(np.searchsorted(times, test_start))


def forecast_windows(series, input_width: int, horizon: int, start: int, stop: int):
    """All (inputs, targets) pairs whose *targets* lie in ``series[start:stop]`` (NumPy, for evaluation).

    inputs: (n, input_width, 1), the ``input_width`` values before the first target (they may
    come from before ``start``: the past is known); targets: (n, horizon).
    """
    series = np.asarray(series, dtype=np.float32)
    firsts = [t for t in range(max(start, input_width), stop - horizon + 1)]
    x = np.stack([series[t - input_width:t] for t in firsts])[..., None]
    y = np.stack([series[t:t + horizon] for t in firsts])
    return x, y


def naive_forecast(x, horizon: int):
    """Repeat the last observed value ``horizon`` times: (n, input_width, 1) -> (n, horizon)."""
    x = np.asarray(x)
    return np.repeat(x[:, -1, 0][:, None], horizon, axis=1)


def seasonal_naive_forecast(x, horizon: int, season: int):
    """The course's seasonal-naive forecast (Week 6 exercise): each target = the value one season earlier.

    For step h (1-based) the forecast is the last observed value at a time congruent to h modulo
    the season: ``x[-season + (h - 1) % season]``.
    """
    x = np.asarray(x)[..., 0]
    cols = [x.shape[1] - season + (h - 1) % season for h in range(1, horizon + 1)]
    return x[:, cols]


def mae(pred, target) -> float:
    """Mean absolute error over all forecasts and steps."""
    return float(np.mean(np.abs(np.asarray(pred, dtype=float) - np.asarray(target, dtype=float))))


def plot_forecasts(times, series, forecasts: dict, origins, horizon: int, title: str | None = None, ax=None):
    """The series, and for each origin index the multi-step forecast of each model (dashed)."""
    from .plots import _fig_ax

    fig, ax = _fig_ax(ax, (10, 3.6))
    ax.plot(times, series, color="0.3", lw=1.2, label="observed")
    for k, (name, pred) in enumerate(forecasts.items()):
        color = f"C{k + 1}"
        for j, t0 in enumerate(origins):
            ax.plot(times[t0:t0 + horizon], pred[j], "--", color=color, lw=1.6, label=name if j == 0 else None)
    ax.set_xlabel("time")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
