"""Stochastic gradient descent, with momentum and Nesterov momentum."""
import numpy as np

from .. import backend as K
from ..backend import kernels
from .base import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent optimizer.

    Includes support for momentum, learning rate decay, and Nesterov momentum.

    # Arguments
        lr: float >= 0. Learning rate.
        momentum: float >= 0. Parameter that accelerates SGD in the relevant direction and
            dampens oscillations.
        decay: float >= 0. Learning rate decay over each update.
        nesterov: boolean. Whether to apply Nesterov momentum.
    """

    def __init__(self, lr=0.01, momentum=0., decay=0., nesterov=False, **kwargs):
        super(SGD, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.lr = self._hyperparameter(lr, 'lr')
        self.momentum = self._hyperparameter(momentum, 'momentum')
        self.decay = self._hyperparameter(decay, 'decay')
        self.initial_decay = decay
        self.nesterov = nesterov

    def _create_state(self, params):
        moments = self._zeros_like_params(params)
        self._slots = [moments]
        self.weights = [self.iterations] + moments

    def _apply_updates(self, params, grads, slots, t):
        kernels.sgd_update(params, grads, slots[0], self._decayed_lr(t),
                           kernels.scalar_value(self.momentum), self.nesterov)

    def _accept_other_layouts(self, weights):
        # Keras 2.3 stores no moments without momentum.
        if len(weights) == 1 and len(self.weights) > 1:
            weights = weights + [np.zeros(K.int_shape(m)) for m in self.weights[1:]]
        return weights, []

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'momentum': float(K.get_value(self.momentum)),
                  'decay': float(K.get_value(self.decay)),
                  'nesterov': self.nesterov}
        base_config = super(SGD, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
