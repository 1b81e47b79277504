"""Unit tests of the course/ helpers the notebooks import."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import course
from course import checks, data, nn, runtime


# --------------------------------------------------------------------------------------- runtime
@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("YES", True), ("0", False),
                                          ("false", False), ("", False)])
def test_fast_mode_reads_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("COURSE_FAST", raw)
    assert runtime.fast_mode() is expected


def test_fast_mode_default_and_bad_value(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert runtime.fast_mode() is False and runtime.fast_mode(default=True) is True
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        runtime.fast_mode()


def test_fast_mode_under_nbgrader_validate(monkeypatch):
    """nbgrader validate (and the Validate button) run FAST; autograde and ordinary runs do not."""
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert runtime.fast_mode() is True
    monkeypatch.setenv("COURSE_FAST", "0")  # an explicit choice wins
    assert runtime.fast_mode() is False
    monkeypatch.delenv("COURSE_FAST")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.fast_mode() is False


@pytest.mark.slow  # starts a kernel or a Python with TensorFlow
def test_nbgrader_validate_kernel_runs_fast(tmp_path):
    """The real thing: the kernel `nbgrader validate` starts sees FAST mode (COURSE_FAST unset)."""
    import os
    import subprocess
    import sys

    from autograder import notebooks as N

    N.write(N.new_notebook([N.tests("import course.runtime\nassert course.runtime.fast_mode(), 'not FAST'",
                                    "week01-probe", 1)]), tmp_path / "probe.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_FAST", "NBGRADER_EXECUTION")}

    def validate(**extra):
        return subprocess.run([sys.executable, "-m", "nbgrader", "validate", "probe.ipynb"], cwd=tmp_path,
                              env={**env, **extra}, capture_output=True, text=True, timeout=300).stdout

    out = validate()
    assert "Success! Your notebook passes all the tests." in out, out
    assert "AssertionError: not FAST" in validate(COURSE_FAST="0")  # the probe can fail: it is a real check


TF_NOISE = ("cuInit", "oneDNN", "cudart_stub", "cpu_feature_guard", "absl::InitializeLog", "To enable the following")


def _python(code):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as in a student's shell
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # starts a kernel or a Python with TensorFlow
def test_setup_prints_one_device_line_and_no_tensorflow_noise():
    proc = _python("import course.runtime; course.runtime.setup()")
    assert proc.returncode == 0, proc.stderr[-2000:]
    [line] = proc.stdout.splitlines()
    assert line.startswith("TensorFlow 2.21") and ("CPU only" in line or "GPU" in line)
    assert not [n for n in TF_NOISE if n in proc.stderr], proc.stderr


@pytest.mark.slow  # starts a kernel or a Python with TensorFlow
def test_import_course_first_keeps_keras_import_quiet_and_real_errors_show():
    proc = _python(
        "import os, sys\nimport course\nimport keras\n"
        "from course._quiet import native_stderr_filtered\n"
        "with native_stderr_filtered():\n"
        "    os.write(2, b'I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on. You may see\\n')\n"
        "    os.write(2, b'E0000 00:00:1.0 1 something.cc:1] a real error\\n')\n"
        "    print('python-level warning', file=sys.stderr)\n"
        "print('done', flush=True)")
    assert proc.returncode == 0 and proc.stdout == "done\n", proc.stderr[-2000:]
    assert not [n for n in TF_NOISE if n in proc.stderr], proc.stderr
    assert "E0000 00:00:1.0 1 something.cc:1] a real error\n" in proc.stderr
    assert "python-level warning" in proc.stderr


def test_setup_reports_and_seeds(capsys):
    info = runtime.setup(seed=3)
    line = capsys.readouterr().out
    assert "TensorFlow 2.21" in line and "Keras 3.15" in line and "FAST=True" in line
    if "CPU only" in info["device"]:
        assert info["precision"] == "float32"  # never mixed precision on a CPU
    import keras

    a = keras.random.uniform((3,), seed=None)
    runtime.set_seed(3)
    b = keras.random.uniform((3,), seed=None)
    runtime.set_seed(3)
    c = keras.random.uniform((3,), seed=None)
    assert np.allclose(b, c) and a.shape == (3,)


def test_mixed_precision_choice():
    assert runtime._pick_precision([], "auto") == "float32"
    assert runtime._pick_precision([], True) == "mixed_float16"
    assert runtime._pick_precision([], False) == "float32"
    with pytest.raises(ValueError):
        runtime._pick_precision([], "sometimes")


def test_strategy_single_device(monkeypatch):
    import tensorflow as tf

    monkeypatch.delenv("TF_CONFIG", raising=False)
    s = runtime.strategy()
    assert isinstance(s, tf.distribute.Strategy) and s.num_replicas_in_sync == 1


# --------------------------------------------------------------------------------------- data
def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_roundtrip_and_bad_magic(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", arr)
    assert np.array_equal(data.read_idx(tmp_path / "a.gz"), arr)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")


def test_fashion_mnist_is_real_and_labelled():
    ds = data.load_fashion_mnist(n_train=1000, n_test=500)
    assert ds.x_train.shape == (1000, 28, 28) and ds.x_test.shape == (500, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.class_names[9] == "Ankle boot"
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert "local IDX files" in ds.source or "keras.datasets" in ds.source
    # real images: class-mean images differ (trousers are not bags); random data would not
    means = np.stack([ds.x_train[ds.y_train == k].mean(0) for k in (1, 8)])
    assert np.abs(means[0] - means[1]).mean() > 20


def test_fashion_mnist_full_split_sizes():
    ds = data.load_fashion_mnist(verbose=False)
    assert len(ds.x_train) == 60000 and len(ds.x_test) == 10000


def test_fashion_mnist_without_any_source_raises(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "missing")
    monkeypatch.delenv("COURSE_FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(data, "_fashion_from_keras", lambda: None)
    with pytest.raises(data.DataUnavailableError, match="apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist()


def test_fashion_mnist_from_a_named_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "missing")
    monkeypatch.setenv("COURSE_FASHION_MNIST_DIR", str(tmp_path))
    for name, n in [("train-images-idx3-ubyte", 60000), ("t10k-images-idx3-ubyte", 10000)]:
        _write_idx(tmp_path / f"{name}.gz", np.zeros((n, 28, 28), np.uint8))
    for name, n in [("train-labels-idx1-ubyte", 60000), ("t10k-labels-idx1-ubyte", 10000)]:
        _write_idx(tmp_path / f"{name}.gz", np.arange(n) % 10)
    ds = data.load_fashion_mnist(source="local", n_train=10, n_test=10, verbose=False)
    assert str(tmp_path) in ds.source and ds.x_train.shape == (10, 28, 28)
    (x_train, y_train), (x_test, y_test) = ds
    assert x_train is ds.x_train and y_test is ds.y_test


def test_bad_source_name():
    with pytest.raises(ValueError, match="source="):
        data.load_fashion_mnist(source="web")


def test_digits_and_mnist1d():
    d = data.load_digits(verbose=False)
    assert d.x_train.shape[1:] == (8, 8) and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    assert len(d.x_train) + len(d.x_test) == 1797
    m = data.load_mnist1d(num_samples=1000, verbose=False)
    assert m.x_train.shape == (800, 40) and m.x_test.shape == (200, 40)
    assert set(np.unique(m.y_train)) == set(range(10))


# --------------------------------------------------------------------------------------- checks
def test_batches_cover_every_example_once_per_epoch_reshuffled_without_autotune():
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25)
    ds = data.batches(x, y, batch_size=8, seed=3)
    epochs = [[(bx.numpy(), by.numpy()) for bx, by in ds] for _ in range(2)]
    for batches in epochs:
        assert [len(by) for _, by in batches] == [8, 8, 8, 1]  # the last batch is kept, as fit(x, y) does
        bx, by = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
        assert sorted(by) == list(range(25))
        np.testing.assert_array_equal(bx, x[by])  # images stay with their labels
    assert list(np.concatenate([b[1] for b in epochs[0]])) != list(np.concatenate([b[1] for b in epochs[1]]))
    assert ds.options().autotune.enabled is False
    in_order = np.concatenate([by.numpy() for _, by in data.batches(x, y, batch_size=8, shuffle=False)])
    assert list(in_order) == list(range(25))
    with pytest.raises(ValueError, match="25 examples but y has 24"):
        data.batches(x, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        data.batches(x, y, batch_size=0)


def test_allclose_passes_and_fails_with_a_message():
    checks.allclose(np.array([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(AssertionError, match=r"\[f\] 1 of 2 values differ"):
        checks.allclose(np.array([1.0, 2.5]), [1.0, 2.0], name="f")
    with pytest.raises(AssertionError, match="expected shape"):
        checks.allclose(np.ones(3), np.ones(2))
    with pytest.raises(AssertionError, match="forget to `return`"):
        checks.allclose(None, [1.0])
    with pytest.raises(AssertionError, match="NaN or inf"):
        checks.allclose([np.nan], [1.0])


def test_equal_shape_dtype_and_is_true():
    checks.equal(3, 3)
    checks.equal(np.array([1, 2]), np.array([1, 2]))
    with pytest.raises(AssertionError):
        checks.equal(3, 4)
    with pytest.raises(AssertionError, match="expected a int"):
        checks.equal("3", 3)
    checks.check_shape(np.zeros((2, 3)), (2, 3))
    with pytest.raises(AssertionError):
        checks.check_shape(np.zeros((3, 2)), (2, 3))
    checks.check_dtype_kind(np.zeros(2), "f")
    with pytest.raises(AssertionError, match="floating-point"):
        checks.check_dtype_kind(np.zeros(2, int), "f")
    with pytest.raises(AssertionError, match="went wrong"):
        checks.is_true(False, "x", "went wrong")


def test_numerical_gradient_and_gradient_matches():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    num = checks.numerical_gradient(lambda v: float(np.sum(v ** 3)), x.copy())
    checks.gradient_matches(3 * x ** 2, num)
    with pytest.raises(AssertionError, match="relative error"):
        checks.gradient_matches(2 * x ** 2, num)


# --------------------------------------------------------------------------------------- nn
def test_nn_matches_tensorflow():
    import tensorflow as tf

    z = np.linspace(-50, 50, 101)
    assert np.allclose(nn.sigmoid(z), tf.math.sigmoid(z).numpy())
    assert np.allclose(nn.softmax(np.stack([z, -z])), tf.nn.softmax(np.stack([z, -z])).numpy())
    assert np.allclose(nn.leaky_relu(z, 0.2), tf.nn.leaky_relu(z, 0.2).numpy())
    zt = tf.constant(z)
    for name in ["sigmoid", "tanh", "relu"]:
        with tf.GradientTape() as tape:
            tape.watch(zt)
            y = {"sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh, "relu": tf.nn.relu}[name](zt)
        assert np.allclose(nn.ACTIVATION_GRADS[name](z), tape.gradient(y, zt).numpy()), name
    assert np.all(np.isfinite(nn.sigmoid(np.array([-1000.0, 1000.0]))))
    assert nn.one_hot([2, 0], 3).tolist() == [[0, 0, 1], [1, 0, 0]]


# --------------------------------------------------------------------------------------- plots
def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figs = [
        course.plots.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}),
        course.plots.plot_curves({"a": [3, 2, 1]}, logy=True),
        course.plots.image_grid(np.zeros((5, 8, 8)), [0, 1, 2, 3, 4], predictions=[0, 1, 2, 3, 0]),
        course.plots.decision_boundary(lambda g: (g[:, 0] > 0).astype(int), np.random.randn(20, 2),
                                       np.arange(20) % 2),
        course.plots.plot_functions({"relu": nn.relu}),
        course.plots.confusion_matrix([0, 1, 1], [0, 1, 0], ["a", "b"]),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    cm_text = [t.get_text() for t in figs[-1].axes[0].texts]
    assert cm_text == ["1.00", "0.00", "0.50", "0.50"]


def test_computational_graph_draws_every_node_and_edge():
    fig = course.plots.computational_graph({"x": (0, 0, "x = 2"), "y": (1, 0, "y = x**2\ngrad 1")},
                                           [("x", "y")], title="g")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["", "x = 2", "y = x**2\ngrad 1"]  # "" is the arrow
    with pytest.raises(KeyError):
        course.plots.computational_graph({"x": (0, 0, "x")}, [("x", "missing")])


@pytest.mark.slow  # starts a kernel or a Python with TensorFlow
def test_failing_check_in_a_kernel_shows_its_message_first():
    """What JupyterLab and nbgrader's feedback show: the message, no frame of course/checks.py."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nimport course.checks"),
        nbformat.v4.new_code_cell('course.checks.allclose(np.array([1.0]), [2.0], name="x",\n'
                                  '                       hint="check the sign")'),
        nbformat.v4.new_code_cell("assert 1 == 2, 'a plain assert keeps its usual traceback'"),
    ])
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True).execute()
    assert not nb.cells[0].outputs
    (error,) = nb.cells[1].outputs
    assert error.output_type == "error" and error.ename == "CheckFailed"
    text = "\n".join(error.traceback)
    lines = text.splitlines()
    assert lines[0] == "[x] 1 of 1 values differ (rtol=1e-05, atol=1e-08); first at index (0,): expected 2, got 1"
    assert lines[1] == "  Hint: check the sign"
    assert lines[2:] == ["(the failing check is called in Cell In[2], line 1)"]
    assert "checks.py" not in text and "_fail" not in text
    (plain,) = nb.cells[2].outputs  # other exceptions are untouched: IPython's full traceback
    assert "Traceback" in "\n".join(plain.traceback) and plain.ename == "AssertionError"
