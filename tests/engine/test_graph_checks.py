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


def test_an_input_on_a_variable_is_not_fed_and_reads_its_value():
    from cornu import backend as K
    from cornu.models import Sequential, clone_model
    rng = np.random.RandomState(0)
    x, y = rng.rand(10, 4).astype('float32'), rng.rand(10, 3).astype('float32')
    original = Sequential([Dense(3, input_shape=(4,))])
    model = clone_model(original, input_tensors=K.variable(x))
    assert model._feed_input_names == []
    model.compile('sgd', 'mse')
    kernel, bias = model.get_weights()
    loss = model.test_on_batch(None, y)
    np.testing.assert_allclose(loss, np.mean((x @ kernel + bias - y) ** 2), rtol=1e-5)
    model.train_on_batch(None, y)
    assert not np.allclose(model.get_weights()[0], kernel)

    # A functional model with one input on a variable and one fed.
    from cornu.layers import add
    a, b = Input(shape=(4,)), Input(shape=(4,))
    dense = Dense(3)
    functional = Model([a, b], add([dense(a), dense(b)]))
    clone = clone_model(functional, input_tensors=[K.variable(x), b])
    clone.compile('sgd', 'mse')
    kernel, bias = clone.get_weights()
    other = rng.rand(10, 4).astype('float32')
    expected = np.mean((x @ kernel + other @ kernel + 2 * bias - y) ** 2)
    np.testing.assert_allclose(clone.test_on_batch(other, y), expected, rtol=1e-5)


def test_backend_module_names_its_engine_as_keras2_did():
    from cornu import backend as K
    assert K._BACKEND == K.backend()
