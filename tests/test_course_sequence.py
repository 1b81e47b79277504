"""Unit tests of course.sequence (Weeks 5-6, Project 2) and the sequence loaders of course.data."""

from __future__ import annotations

import numpy as np
import pytest

from course import data, sequence


def test_encode_decode_roundtrip_and_unknown_characters():
    text = "def f(x):\n\treturn x  # ok"
    assert sequence.decode(sequence.encode(text)) == text
    ids = sequence.encode("a€b")
    assert ids.dtype == np.int32 and ids[1] == sequence.UNKNOWN_ID and sequence.decode(ids) == "a·b"
    assert len(sequence.CHAR_VOCAB) == len(set(sequence.CHAR_VOCAB)) == 98


def test_char_windows_are_shifted_by_one():
    ids = np.arange(25, dtype=np.int32)
    x, y = next(iter(sequence.char_windows(ids, 6, batch_size=10, shuffle=False)))
    assert x.shape == (4, 6) and y.shape == (4, 6)
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    np.testing.assert_array_equal(y.numpy()[-1], np.arange(19, 25))


def test_adjust_logits_temperature_and_top_k():
    logits = np.array([[1.0, 3.0, 2.0, 0.0]], np.float32)
    np.testing.assert_allclose(sequence.adjust_logits(logits, 2.0, 0).numpy(), logits / 2)
    out = sequence.adjust_logits(logits, 1.0, 2).numpy()
    assert np.isinf(out[0, [0, 3]]).all() and out[0, 1] == 3.0 and out[0, 2] == 2.0


def test_char_sampler_follows_a_deterministic_bigram_model():
    import keras

    v = len(sequence.CHAR_VOCAB)
    table = np.full((v, v), -30.0, np.float32)
    nxt = (np.arange(v) + 1) % v
    table[np.arange(v), nxt] = 30.0  # always "the next id"
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(v, 8),
                              keras.layers.GRU(4, return_sequences=True), keras.layers.Dense(v)])
    assert sequence.CharSampler(model).generate_ids([[5, 6]], 7, seed=1).shape == (1, 7)
    # a stack without a recurrent layer steps too: Embedding whose rows are the logits
    bigram = keras.Sequential([keras.Input((None,), dtype="int32"),
                               keras.layers.Embedding(v, v, embeddings_initializer=keras.initializers.Constant(table))])
    out = sequence.CharSampler(bigram).generate_ids([[10]], 5, temperature=1.0, seed=3)
    np.testing.assert_array_equal(out[0], [11, 12, 13, 14, 15])


def test_char_sampler_rejects_layers_it_cannot_step():
    import keras

    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(99, 4),
                              keras.layers.Conv1D(4, 3), keras.layers.Dense(99)])
    with pytest.raises(ValueError, match="Conv1D"):
        sequence.CharSampler(model)


def test_adding_problem_targets_and_marks():
    x, y = sequence.adding_problem(50, 20, seed=0)
    assert x.shape == (50, 20, 2) and y.shape == (50,)
    assert (x[:, :, 1].sum(axis=1) == 2).all()
    assert (x[:, :10, 1].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1), rtol=1e-6)


def test_recurrent_models_parameter_counts():
    counts = {k: sequence.build_recurrent_model(k, 8, (None, 2)).count_params() for k in ("rnn", "lstm", "gru")}
    assert counts == {"rnn": 2 * 8 + 8 * 8 + 8 + 9, "lstm": 4 * (2 * 8 + 64 + 8) + 9, "gru": 3 * (2 * 8 + 64 + 16) + 9}


def test_forecast_windows_and_baselines():
    series = np.arange(30, dtype=np.float32)
    x, y = sequence.forecast_windows(series, 5, 3, start=20, stop=30)
    assert x.shape == (8, 5, 1) and y.shape == (8, 3)
    np.testing.assert_array_equal(x[0, :, 0], np.arange(15, 20))
    np.testing.assert_array_equal(y[-1], [27, 28, 29])
    np.testing.assert_array_equal(sequence.naive_forecast(x, 3)[0], [19, 19, 19])
    np.testing.assert_array_equal(sequence.seasonal_naive_forecast(x, 3, 2)[0], [18, 19, 18])
    assert sequence.mae(np.ones(4), np.zeros(4)) == 1.0
    assert sequence.split_by_time(series, np.arange(1900, 1930), 1910, 1920) == (10, 20)


def test_text_corpus_is_split_by_document():
    corpus = data.load_text_corpus("pydoc", verbose=False)
    assert len(corpus.train) > 300_000 and len(corpus.validation) > 10_000 and len(corpus.test) > 10_000
    assert corpus.test[:200] not in corpus.train and corpus.validation[:200] not in corpus.train
    assert "pydoc_data" in corpus.source


def test_sunspots_ship_with_statsmodels():
    years, values = data.load_sunspots(verbose=False)
    assert len(years) == len(values) == 309 and years[0] == 1700 and years[-1] == 2008
    assert values.dtype == np.float32 and values.min() >= 0


def test_sentiment_falls_back_to_shipped_reviews_offline(monkeypatch):
    monkeypatch.setattr(data, "_imdb_texts", lambda: None)
    try:
        ds = data.load_sentiment(n_train=200, n_test=100, verbose=False)
    except data.DataUnavailableError as exc:
        pytest.skip(f"no shipped sentiment data on this machine: {exc}")
    assert len(ds.x_train) == 200 and len(ds.x_test) == 100 and isinstance(ds.x_train[0], str)
    assert set(np.unique(ds.y_train)) <= {0, 1} and ds.class_names == ["negative", "positive"]
    with pytest.raises(data.DataUnavailableError):
        data.load_sentiment(source="online", verbose=False)
