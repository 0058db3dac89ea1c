"""`fit` reads values back from the device a bounded number of times per epoch, never once
per batch: on a GPU each read waits for every queued kernel, so a read per batch would keep
the host from running ahead of the device.

`_HostReads` counts the reads of engine values on the host while it is active:

- every call of `cornu.backend.kernels.to_numpy` (how cornu copies a tensor to NumPy) counts
  once, whatever the engine does inside it, and so does every `jax.device_get` (which copies
  several arrays, waiting for the device once) and every read of step outputs by the JAX
  engine's `steps` (`_fetched`: NumPy reads a lone array through its buffer, which no
  patched method sees);
- any other direct read of a tensor's value counts too: on PyTorch, `Tensor.item`,
  `tolist`, `numpy`, `__float__`, `__int__`, `__bool__`, `__index__` and `__array__`, seen by
  a `TorchFunctionMode`; on JAX the same methods of `jax.Array`, replaced for the test.

`.cpu()` alone is not counted: its result is read with one of the above. The counts do not
depend on timing: the progress bar's refresh interval is set to 0 (a redraw after every batch)
or to a day (no redraw before the epoch ends), and the redraws are counted.

The copies the other way, host data converted to engine tensors, are counted at the
engine's one conversion function (`_numpy_to_tensor` of its `core`): a step must not make
any.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels
from cornu.backend.engine_choice import engine_module
from cornu.callbacks import loggers
from cornu._common.generic_utils import Progbar
from cornu.layers import Activation, BatchNormalization, Dense, Dropout, Lambda
from cornu.models import Sequential

_READ_METHODS = ('item', 'tolist', 'numpy', '__float__', '__int__', '__bool__', '__index__',
                 '__array__')


class _HostReads(object):
    """Counts host reads of engine values (see the module docstring); a context manager."""

    def __init__(self):
        self.count = 0
        self._inside = 0  # reads made by a counted read are part of it
        # Its own patches, undone on exit without touching the test's.
        self._monkeypatch = pytest.MonkeyPatch()
        self._torch_mode = None

    def _counted(self, read):
        def counting(*args, **kwargs):
            if self._inside == 0:
                self.count += 1
            self._inside += 1
            try:
                return read(*args, **kwargs)
            finally:
                self._inside -= 1
        return counting

    def __enter__(self):
        self._monkeypatch.setattr(kernels, 'to_numpy', self._counted(kernels.to_numpy))
        if K.backend() == 'torch':
            self._torch_mode = _torch_read_counter(self)
            self._torch_mode.__enter__()
        else:
            import jax
            import jax.numpy as jnp
            # One read of several arrays (one wait for the device), as `to_numpy` is.
            self._monkeypatch.setattr(jax, 'device_get', self._counted(jax.device_get))
            # The steps' reads of outputs: NumPy reads one array through its buffer, which
            # no Python method below sees.
            steps = engine_module('steps')
            self._monkeypatch.setattr(steps, '_fetched', self._counted(steps._fetched))
            array_type = type(jnp.zeros(()))
            for name in _READ_METHODS:
                if hasattr(array_type, name):
                    self._monkeypatch.setattr(array_type, name,
                                              self._counted(getattr(array_type, name)))
        return self

    def __exit__(self, *exc):
        if self._torch_mode is not None:
            self._torch_mode.__exit__(*exc)
        self._monkeypatch.undo()
        return False


def _torch_read_counter(reads):
    import torch
    from torch.overrides import TorchFunctionMode

    methods = frozenset(getattr(torch.Tensor, name) for name in _READ_METHODS)

    class TorchReads(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            # The mode is off while `func` runs: reads made inside it are not seen again.
            if func in methods and reads._inside == 0:
                reads.count += 1
            return func(*args, **(kwargs or {}))

    return TorchReads()


def _counting_progbar(interval, draws):
    """A `Progbar` class that redraws as on a terminal, every `interval` seconds, and
    appends to `draws` at each update."""
    class TerminalProgbar(Progbar):
        def __init__(self, *args, **kwargs):
            kwargs['interval'] = interval
            super(TerminalProgbar, self).__init__(*args, **kwargs)
            self._dynamic_display = True

        def update(self, current, values=None, force=False):
            draws.append(current)
            return super(TerminalProgbar, self).update(current, values, force)
    return TerminalProgbar


def _model():
    model = Sequential([Dense(8, activation='relu', input_dim=4), BatchNormalization(),
                        Dropout(0.2), Dense(3, activation='softmax')])
    model.compile('adam', 'categorical_crossentropy', metrics=['accuracy', 'mae'])
    return model


def _data(count):
    x = np.random.rand(count, 4).astype('float32')
    y = np.eye(3, dtype='float32')[np.random.randint(0, 3, count)]
    return x, y


def _reads_of_fit(batches, epochs=3, verbose=0, **kwargs):
    model = _model()
    x, y = _data(8 * batches)
    validation = _data(16)
    # The first fit compiles the steps (JAX traces them): not what is measured.
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=validation)
    with _HostReads() as reads:
        history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=verbose,
                            validation_data=validation, **kwargs)
    assert len(history.history['loss']) == epochs
    assert all(np.isfinite(history.history['val_acc']))
    return reads.count


@pytest.mark.parametrize('verbose', [0, 2])
def test_fit_reads_values_once_per_epoch_however_many_batches(verbose, capsys):
    few = _reads_of_fit(batches=3, verbose=verbose)
    many = _reads_of_fit(batches=24, verbose=verbose)
    assert many == few
    # Per epoch: the training averages (loss and both metrics, read together), the
    # validation averages and, printing, the progress bar's final line.
    assert few <= (2 if verbose == 0 else 3) * 3


def test_progress_bar_reads_once_per_refresh(monkeypatch, capsys):
    draws = []
    monkeypatch.setattr(loggers, 'Progbar', _counting_progbar(0., draws))
    epochs, batches = 2, 12
    reads = _reads_of_fit(batches=batches, epochs=epochs, verbose=1)
    assert len(draws) == epochs * batches  # a redraw after every batch
    # One read per redraw (the final one included), plus the epoch's training and
    # validation averages.
    assert reads <= len(draws) + 2 * epochs


def test_progress_bar_between_refreshes_reads_nothing(monkeypatch, capsys):
    draws = []
    monkeypatch.setattr(loggers, 'Progbar', _counting_progbar(24 * 3600., draws))
    few = _reads_of_fit(batches=3, epochs=2, verbose=1)
    many = _reads_of_fit(batches=24, epochs=2, verbose=1)
    assert many == few
    # Per epoch: the first redraw, the final one, and the training and validation averages.
    assert few <= 4 * 2


def test_evaluate_reads_once():
    model = _model()
    x, y = _data(64)
    model.evaluate(x, y, batch_size=8, verbose=0)
    with _HostReads() as reads:
        loss_and_metrics = model.evaluate(x, y, batch_size=8, verbose=0)
    assert len(loss_and_metrics) == 3
    assert reads.count == 1


def test_the_counter_sees_a_read_per_batch():
    """The check can fail: a callback reading the loss after every batch is counted."""
    from cornu.callbacks import LambdaCallback
    model = _model()
    x, y = _data(80)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    losses = []
    read_each_batch = LambdaCallback(on_batch_end=lambda batch, logs: losses.append(
        logs['loss']))
    with _HostReads() as reads:
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[read_each_batch])
    assert len(losses) == 10
    assert reads.count >= 10


def test_the_counter_sees_direct_reads_of_values():
    value = K.sum(K.constant(np.ones(3)))
    with _HostReads() as reads:
        float(value)
        kernels.to_numpy(value)
    assert reads.count == 2


def _host_copies_of_fit(batches, model=None):
    """How many times a 2-epoch `fit` of `batches` batches converts host data (NumPy arrays,
    Python numbers) to engine tensors, counted at the engine's one conversion function."""
    core = engine_module('core')
    model = model or _model()
    x, y = _data(8 * batches)
    validation = _data(16)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=validation)
    copies = []
    convert = core._numpy_to_tensor

    def counting(*args, **kwargs):
        copies.append(1)
        return convert(*args, **kwargs)
    with pytest.MonkeyPatch.context() as patches:
        patches.setattr(core, '_numpy_to_tensor', counting)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=validation)
    return len(copies)


def test_fit_copies_host_data_per_fit_and_epoch_not_per_batch():
    """Host data goes to the device when `fit` starts (the arrays) and at the end of an
    epoch (the batch sizes weighting the averages); a step that converted a NumPy array or a
    Python number would copy to the device, and on a GPU wait for the copy, every batch."""
    few = _host_copies_of_fit(batches=3)
    assert _host_copies_of_fit(batches=24) == few
    assert few <= 4 + 2 * 3  # the arrays of fit and validation; per epoch, each average


def test_the_copy_counter_sees_a_conversion_in_a_step():
    """The check can fail: a layer converting a Python number at each call copies it every
    batch on PyTorch. (On JAX the layer runs once, when the step is traced, and the number
    is a constant of the compiled step.)"""
    model = Sequential([Dense(3, input_dim=4),
                        Lambda(lambda t: t * K.constant(2.), output_shape=(3,)),
                        Activation('softmax')])
    model.compile('sgd', 'categorical_crossentropy')
    few = _host_copies_of_fit(3, model)
    many = _host_copies_of_fit(24, model)
    if K.backend() == 'torch':
        assert many - few == 2 * (24 - 3)
    else:
        assert many == few


def _reads_of_generators(batches):
    model = _model()
    x, y = _data(8 * batches)

    def inputs():
        for start in range(0, 8 * batches, 8):
            yield x[start:start + 8]

    def pairs():
        for start in range(0, 8 * batches, 8):
            yield x[start:start + 8], y[start:start + 8]
    model.predict_generator(inputs(), steps=batches)
    with _HostReads() as predicting:
        predicted = model.predict_generator(inputs(), steps=batches)
    with _HostReads() as evaluating:
        model.evaluate_generator(pairs(), steps=batches)
    np.testing.assert_allclose(predicted, model.predict(x, batch_size=8), rtol=1e-5,
                               atol=1e-6)
    return predicting.count, evaluating.count


def test_generators_read_values_in_blocks_of_batches():
    """`predict_generator` copies its outputs to the host every 32 batches (and at the end);
    `evaluate_generator` reads its sums once."""
    assert _reads_of_generators(3) == _reads_of_generators(24) == (1, 1)
    assert _reads_of_generators(70) == (3, 1)
