"""Predictions on the torch engine run under `torch.inference_mode` (entered through its C++
guard, `kernels.inference_mode`): layers compute without autograd, and the mode is left when
the prediction ends, normally or with an error."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels
from cornu.layers import Dense, Lambda
from cornu.models import Sequential

pytestmark = pytest.mark.skipif(K.backend() != 'torch', reason="torch's inference mode")

if K.backend() == 'torch':
    import torch


def test_the_guard_enters_and_leaves_inference_mode():
    weight = torch.ones(3, requires_grad=True)
    assert not torch.is_inference_mode_enabled()
    with kernels.inference_mode():
        assert torch.is_inference_mode_enabled()
        product = weight * 2
    assert not torch.is_inference_mode_enabled()
    assert not product.requires_grad and product.is_inference()
    with pytest.raises(ValueError, match='inside'):
        with kernels.inference_mode():
            raise ValueError('raised inside')
    assert not torch.is_inference_mode_enabled()
    with torch.no_grad():
        with kernels.inference_mode():
            pass
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()


@pytest.mark.parametrize('how', ['predict', 'predict_on_batch', 'predict_many_batches'])
def test_layers_predict_in_inference_mode_and_the_mode_ends_with_the_call(how):
    seen = []

    def recording(x):
        seen.append(torch.is_inference_mode_enabled())
        return x
    model = Sequential([Dense(3, input_shape=(2,)), Lambda(recording)])
    x = np.ones((5, 2), 'float32')
    seen.clear()
    if how == 'predict':
        model.predict(x)
    elif how == 'predict_on_batch':
        model.predict_on_batch(x)
    else:
        model.predict(x, batch_size=2)
    assert seen and all(seen)
    assert not torch.is_inference_mode_enabled()
    model.compile('sgd', 'mse')
    seen.clear()
    model.train_on_batch(x, np.zeros((5, 3), 'float32'))
    assert seen and not any(seen)


def test_a_failed_prediction_leaves_inference_mode():
    def failing(x):
        raise RuntimeError('failed inside the model')
    model = Sequential([Dense(3, input_shape=(2,)), Lambda(failing, output_shape=(3,))])
    with pytest.raises(RuntimeError, match='failed inside the model'):
        model.predict(np.ones((1, 2), 'float32'))
    assert not torch.is_inference_mode_enabled()
    assert torch.is_grad_enabled()
