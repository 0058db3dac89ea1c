"""Adam and its variants: Adam (with AMSGrad), Adamax, Nadam."""
import numpy as np

from .. import backend as K
from ..backend import kernels
from .base import Optimizer


class Adam(Optimizer):
    """Adam optimizer.

    Default parameters follow those provided in the original paper.

    # Arguments
        lr: float >= 0. Learning rate.
        beta_1: float, 0 < beta < 1. Generally close to 1.
        beta_2: float, 0 < beta < 1. Generally close to 1.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        amsgrad: boolean. Whether to apply the AMSGrad variant of this algorithm from the
            paper "On the Convergence of Adam and Beyond".

    # References
        - [Adam - A Method for Stochastic Optimization](http://arxiv.org/abs/1412.6980v8)
        - [On the Convergence of Adam and Beyond](https://openreview.net/forum?id=ryQu7f-RZ)
    """

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.,
                 amsgrad=False, **kwargs):
        super(Adam, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.lr = self._hyperparameter(lr, 'lr')
        self.beta_1 = self._hyperparameter(beta_1, 'beta_1')
        self.beta_2 = self._hyperparameter(beta_2, 'beta_2')
        self.decay = self._hyperparameter(decay, 'decay')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay
        self.amsgrad = amsgrad

    def _create_state(self, params):
        ms = self._zeros_like_params(params)
        vs = self._zeros_like_params(params)
        if self.amsgrad:
            vhats = self._zeros_like_params(params)
        else:
            # Keras 2.2.4 keeps one unused one-element variable per parameter.
            vhats = [self._zeros((1,)) for _ in params]
        self._slots = [ms, vs, vhats]
        self.weights = [self.iterations] + ms + vs + vhats

    def _apply_updates(self, params, grads, slots, t):
        t = t + 1.
        beta_1 = kernels.scalar_value(self.beta_1)
        beta_2 = kernels.scalar_value(self.beta_2)
        # `** 0.5`, not np.sqrt: on jax, t and the betas are traced scalars in a jitted step.
        lr_t = self._decayed_lr(t - 1) * ((1. - beta_2 ** t) ** 0.5 / (1. - beta_1 ** t))
        kernels.adam_update(params, grads, slots[0], slots[1], slots[2], lr_t, beta_1, beta_2,
                            self.epsilon, self.amsgrad)

    def _accept_other_layouts(self, weights):
        # Keras 2.3 leaves out the vhats without amsgrad.
        n = len(self._slots[0]) if self._slots else 0
        if not self.amsgrad and n and len(weights) == 2 * n + 1:
            weights = weights + [np.zeros((1,)) for _ in range(n)]
        return weights, []

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'beta_1': float(K.get_value(self.beta_1)),
                  'beta_2': float(K.get_value(self.beta_2)),
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon,
                  'amsgrad': self.amsgrad}
        base_config = super(Adam, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Adamax(Optimizer):
    """Adamax optimizer from Adam paper's Section 7.

    It is a variant of Adam based on the infinity norm. Default parameters follow those
    provided in the paper.

    # Arguments
        lr: float >= 0. Learning rate.
        beta_1/beta_2: floats, 0 < beta < 1. Generally close to 1.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.

    # References
        - [Adam - A Method for Stochastic Optimization](http://arxiv.org/abs/1412.6980v8)
    """

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.,
                 **kwargs):
        super(Adamax, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.lr = self._hyperparameter(lr, 'lr')
        self.beta_1 = self._hyperparameter(beta_1, 'beta_1')
        self.beta_2 = self._hyperparameter(beta_2, 'beta_2')
        self.decay = self._hyperparameter(decay, 'decay')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay

    def _create_state(self, params):
        ms = self._zeros_like_params(params)
        us = self._zeros_like_params(params)
        self._slots = [ms, us]
        self.weights = [self.iterations] + ms + us

    def _apply_updates(self, params, grads, slots, t):
        beta_1 = kernels.scalar_value(self.beta_1)
        lr_t = self._decayed_lr(t) / (1. - beta_1 ** (t + 1.))
        kernels.adamax_update(params, grads, slots[0], slots[1], lr_t, beta_1,
                              kernels.scalar_value(self.beta_2), self.epsilon)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'beta_1': float(K.get_value(self.beta_1)),
                  'beta_2': float(K.get_value(self.beta_2)),
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon}
        base_config = super(Adamax, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def _momentum_cache(beta_1, schedule_decay, t):
    """Nadam's warming momentum schedule `mu_t = b1 * (1 - 0.5 * 0.96^(t * decay))`."""
    return beta_1 * (1. - 0.5 * (0.96 ** (t * schedule_decay)))


class Nadam(Optimizer):
    """Nesterov Adam optimizer.

    Much like Adam is essentially RMSprop with momentum, Nadam is Adam RMSprop with Nesterov
    momentum.

    Default parameters follow those provided in the paper. It is recommended to leave the
    parameters of this optimizer at their default values.

    # Arguments
        lr: float >= 0. Learning rate.
        beta_1/beta_2: floats, 0 < beta < 1. Generally close to 1.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        schedule_decay: float, the decay of the momentum schedule.

    # References
        - [Nadam report](http://cs229.stanford.edu/proj2015/054_report.pdf)
        - [On the importance of initialization and momentum in deep learning](
           http://www.cs.toronto.edu/~fritz/absps/momentum.pdf)
    """

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None,
                 schedule_decay=0.004, **kwargs):
        super(Nadam, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.m_schedule = self._hyperparameter(1., 'm_schedule')
        self.lr = self._hyperparameter(lr, 'lr')
        self.beta_1 = self._hyperparameter(beta_1, 'beta_1')
        self.beta_2 = self._hyperparameter(beta_2, 'beta_2')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay

    def _create_state(self, params):
        ms = self._zeros_like_params(params)
        vs = self._zeros_like_params(params)
        self._slots = [ms, vs]
        # Keras 2.2.4 leaves `m_schedule` out; `set_weights` rebuilds it from `iterations`.
        self.weights = [self.iterations] + ms + vs

    def _scalar_state(self):
        return (self.m_schedule,)

    def _apply_updates(self, params, grads, slots, t):
        t = t + 1.
        beta_1 = kernels.scalar_value(self.beta_1)
        beta_2 = kernels.scalar_value(self.beta_2)
        momentum_cache_t = _momentum_cache(beta_1, self.schedule_decay, t)
        momentum_cache_t_1 = _momentum_cache(beta_1, self.schedule_decay, t + 1.)
        m_schedule = kernels.scalar_value(self.m_schedule)
        m_schedule_new = m_schedule * momentum_cache_t
        m_schedule_next = m_schedule * momentum_cache_t * momentum_cache_t_1
        kernels.nadam_update(params, grads, slots[0], slots[1], kernels.scalar_value(self.lr),
                             beta_1, beta_2, self.epsilon,
                             (1. - momentum_cache_t) / (1. - m_schedule_new),
                             momentum_cache_t_1 / (1. - m_schedule_next),
                             1. / (1. - beta_2 ** t))
        return [m_schedule_new]

    def _accept_other_layouts(self, weights):
        # Keras 2.3 stores `[iterations, m_schedule] + ms + vs`.
        if len(weights) == len(self.weights) + 1:
            return [weights[0]] + weights[2:], [(self.m_schedule, weights[1])]
        return weights, []

    def _after_set_weights(self, scalars_given):
        if scalars_given:
            return
        # Replays the schedule as the steps computed it (rounded as the variable stores
        # it), so that training resumes exactly where it stopped.
        beta_1 = kernels.scalar_value(self.beta_1)
        value = kernels.assign_scalar(self.m_schedule, 1.)
        for t in range(1, int(kernels.scalar_value(self.iterations)) + 1):
            value = float(np.asarray(value * _momentum_cache(beta_1, self.schedule_decay, t),
                                     dtype=K.dtype(self.m_schedule)))
        kernels.assign_scalar(self.m_schedule, value)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'beta_1': float(K.get_value(self.beta_1)),
                  'beta_2': float(K.get_value(self.beta_2)),
                  'epsilon': self.epsilon,
                  'schedule_decay': self.schedule_decay}
        base_config = super(Nadam, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
