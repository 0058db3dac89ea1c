"""Shared fixtures. The engine is chosen per process (CORNU_BACKEND); `.ci/run` runs the suite
once per engine, and the `backend` fixture hands tests the `K` module of that engine."""
import numpy as np
import pytest

from cornu import backend as K


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
