"""Keras 2.2.4's checks of a functional model's inputs and outputs."""
import numpy as np
import pytest

from cornu.layers import Dense, Input
from cornu.models import Model


def _two_branch_model():
    a, b = Input(shape=(4,)), Input(shape=(4,))
    shared = Dense(3)
    return Model([a, b], [shared(a), shared(b)])


def test_an_input_made_by_another_layer_leaves_the_graph_disconnected():
    model = _two_branch_model()
    j = Dense(4)(Input(shape=(4,)))
    k = Input(shape=(4,))
    m, n = model([j, k])
    with pytest.warns(UserWarning, match='non-Input layer'):
        with pytest.raises(ValueError, match='Graph disconnected'):
            Model([j, k], [m, n])


def test_an_unused_input_left_out_disconnects_the_graph():
    model = _two_branch_model()
    j, k = Input(shape=(4,)), Input(shape=(4,))
    m, n = model([j, k])
    with pytest.raises(ValueError, match='Graph disconnected'):
        Model([j], [m, n])
    # Listed, the same inputs make a working model.
    both = Model([j, k], [m, n])
    x = np.ones((2, 4))
    np.testing.assert_allclose(both.predict([x, x])[0], both.predict([x, x])[1], rtol=1e-6)


@pytest.mark.parametrize('error', [TypeError, ValueError])
def test_a_non_tensor_output_or_input_is_both_a_type_and_a_value_error(error):
    model = _two_branch_model()
    j, k = Input(shape=(4,)), Input(shape=(4,))
    m, n = model([j, k])
    with pytest.raises(error, match='Output tensors'):
        Model([j, k], [m, n, 0])
    with pytest.raises(error, match='Input tensors'):
        Model([j, np.zeros((2, 4))], [m])
