"""Steps compute with denormal floats flushed to zero on both engines, as Keras 2's
TensorFlow computed (XLA does so on JAX; the torch engine sets the thread's mode around each
step), and give the calling thread its own mode back afterwards."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.initializers import Constant
from cornu.layers import Dense
from cornu.models import Sequential

_TINY_PRODUCT = 1e-39  # below float32's smallest normal number, 1.18e-38


def _computes_denormals():
    """Whether this thread, in NumPy, keeps a denormal product rather than flushing it."""
    return np.float32(_TINY_PRODUCT) * np.float32(1.5) != 0


def _model():
    """x -> 1e-30 x: an input of 1e-9 makes a denormal output."""
    model = Sequential([Dense(1, use_bias=False, kernel_initializer=Constant(1e-30),
                              input_dim=1)])
    model.compile('sgd', 'mean_absolute_error')
    return model


def test_predict_evaluate_and_train_flush_denormals_and_restore_the_threads_mode():
    assert _computes_denormals()
    model = _model()
    x, y = np.array([[1e-9]], 'float32'), np.zeros((1, 1), 'float32')
    assert np.float32(1e-30) * np.float32(1e-9) != 0  # (the product is denormal in NumPy)
    assert model.predict(x)[0, 0] == 0
    assert _computes_denormals()
    assert model.evaluate(x, y, verbose=0) == 0
    assert model.train_on_batch(x, y) == 0
    assert _computes_denormals()


@pytest.mark.skipif(K.backend() != 'torch', reason='the torch engine sets the mode itself')
def test_a_thread_that_flushes_already_still_flushes_after_a_step():
    import torch
    model = _model()
    if not torch.set_flush_denormal(True):
        pytest.skip('this CPU cannot flush denormals')
    try:
        model.predict(np.array([[1e-9]], 'float32'))
        assert not _computes_denormals()
    finally:
        torch.set_flush_denormal(False)
    assert _computes_denormals()
