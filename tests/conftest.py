"""Shared fixtures. The engine is chosen per process (CORNU_BACKEND); `.ci/run` runs the suite
once per engine, and the `backend` fixture hands tests the `K` module of that engine."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.layers import Lambda
from cornu.models import Model


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """`python -m pytest` reports as quietly as `python -m pytest -q` (dots, failures and the
    closing `N passed` line); `-q` changes nothing more, `-qq` and `-v` work as usual."""
    if config.option.verbose == 0:
        config.option.verbose = -1


@pytest.fixture
def backend():
    """The `K` module of the engine under test."""
    return K


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with fresh layer-name counters and learning phase, like a new script."""
    K.clear_session()
    np.random.seed(1337)
    yield
    K.clear_session()


@pytest.fixture
def received_mask():
    """`received_mask(inputs, tensor, arrays)`: the mask that a layer called on `tensor`
    (a sequence, `(batch, steps, features)`) receives when `Model(inputs, ...)` predicts on
    `arrays`, as a bool array of shape `(batch, steps)`, or None when it receives no mask.

    The layer returns the mask cast to floats as the model's output, so its values are read
    after `predict`, never inside it: on jax, `predict` is traced and a mask there has no
    values yet."""
    def run(inputs, tensor, arrays):
        got_mask = []

        def mask_as_output(x, mask=None):
            got_mask.append(mask is not None)
            return x[..., 0] if mask is None else K.cast(mask, K.floatx())

        outputs = Lambda(mask_as_output, output_shape=lambda shape: shape[:-1],
                         mask=lambda x, mask: None)(tensor)
        values = Model(inputs, outputs).predict(arrays)
        return values.astype(bool) if got_mask[-1] else None
    return run
