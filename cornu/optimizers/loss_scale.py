"""`LossScaleOptimizer`: dynamic loss scaling around any optimizer (tf.keras's name).

Under a `mixed_float16` policy the backward pass runs in float16, whose smallest normal
number is ~6e-5: small gradients vanish. The training step multiplies the loss by the *loss
scale* before differentiating (the trainer reads `loss_scale`), and this optimizer divides
the gradients by it before the wrapped optimizer sees them. With `dynamic=True`:

- a step whose gradients hold an inf or a NaN is skipped: the weights and the wrapped
  optimizer's state (`iterations`, accumulators) stay as they were, and the scale halves;
- after `dynamic_growth_steps` finite steps in a row, the scale doubles.

The scale and the count of finite steps are variables, the last two of `weights`, so they
are saved with the optimizer's weights and restored with them. The wrapped optimizer may be a
Keras 2-style one with its own `get_updates`: it then receives the scaled loss, and
`K.gradients` of it gives the unscaled gradients.
"""
from .. import backend as K
from .._common.serialization import serialize_keras_object
from ..backend import kernels
from ..backend import steps
from .base import Optimizer, _variable


class LossScaleOptimizer(Optimizer):
    """An optimizer that applies dynamic loss scaling around another one.

    # Arguments
        inner_optimizer: the optimizer instance to wrap.
        dynamic: whether the scale adapts (and steps with non-finite gradients are skipped);
            with `False` the scale stays `initial_scale`.
        initial_scale: the first loss scale (default `2 ** 15`).
        dynamic_growth_steps: how many finite steps in a row double the scale.

    # Raises
        ValueError: for an `initial_scale` that is not a positive finite number, or a
            `dynamic_growth_steps` below 1.
        TypeError: when `inner_optimizer` is not an optimizer, or is already a
            `LossScaleOptimizer`.
    """

    # The training step multiplies the loss by `loss_scale` before differentiating it.
    _scales_the_loss = True

    def __init__(self, inner_optimizer, dynamic=True, initial_scale=2 ** 15,
                 dynamic_growth_steps=2000):
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f'LossScaleOptimizer: `inner_optimizer` must be an optimizer '
                            f'instance, got {inner_optimizer!r}.')
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError('LossScaleOptimizer: `inner_optimizer` is already a '
                            'LossScaleOptimizer; wrap the optimizer itself.')
        initial_scale = float(initial_scale)
        if not 0 < initial_scale < float('inf'):
            raise ValueError(f'LossScaleOptimizer: `initial_scale` must be a positive finite '
                             f'number, got {initial_scale!r}.')
        if int(dynamic_growth_steps) < 1:
            raise ValueError(f'LossScaleOptimizer: `dynamic_growth_steps` must be at least '
                             f'1, got {dynamic_growth_steps!r}.')
        self.inner_optimizer = inner_optimizer
        self.dynamic = bool(dynamic)
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.updates = []
        self.loss_scale = _variable(initial_scale, dtype='float32',
                                    name='LossScaleOptimizer/loss_scale:0')
        self.good_steps = _variable(0., dtype='float32',
                                    name='LossScaleOptimizer/good_steps:0')
        self._inner_state = []

    @property
    def weights(self):
        """The wrapped optimizer's weights, then the loss scale and the count of finite
        steps."""
        return list(self.inner_optimizer.weights) + [self.loss_scale, self.good_steps]

    def __getattr__(self, name):
        # The wrapped optimizer's hyperparameters (`lr`, `iterations`, `decay`, ...) read
        # through the wrapper, as callbacks such as `LearningRateScheduler` do.
        inner = self.__dict__.get('inner_optimizer')
        if inner is None or name.startswith('__'):
            raise AttributeError(name)
        return getattr(inner, name)

    @property
    def _uses_custom_get_updates(self):
        return self.inner_optimizer._uses_custom_get_updates

    def build(self, params):
        self.inner_optimizer.build(params)
        # The wrapped optimizer's variables, where a traced step looks for its state.
        self._inner_state = [v for v in vars(self.inner_optimizer).values()
                             if kernels.is_variable(v)] + list(self.inner_optimizer.weights)

    def apply_gradients(self, params, grads):
        """One step from the gradients of the scaled loss (see the module docstring)."""
        grads, finite = kernels.unscale_and_check(list(grads), self.loss_scale)
        self._step_if_finite(finite, lambda: self.inner_optimizer.apply_gradients(params, grads))
        return self.updates

    def get_updates(self, loss, params):
        """One step of a wrapped Keras 2-style optimizer, from the scaled loss `loss`."""
        if kernels.is_symbolic(loss):
            raise TypeError('LossScaleOptimizer: `get_updates` takes the concrete scaled loss '
                            'of a training step, not a symbolic tensor.')
        with kernels.no_grad():
            grads, finite = kernels.unscale_and_check(K.gradients(loss, params),
                                                      self.loss_scale)

            def update():
                with steps.known_gradients(loss, params, grads):
                    self.inner_optimizer.get_updates(loss, params)

            self._step_if_finite(finite, update)
        return self.updates

    # A step of the wrapper itself keeps no state of its own between calls.
    get_updates._cornu_reuses_state = True

    def _step_if_finite(self, finite, update):
        if not self.dynamic:
            update()
            return
        kernels.apply_when(finite, update)
        finite = K.cast(finite, 'float32')
        count = self.good_steps + 1.
        grow = finite * K.cast(K.greater_equal(count, float(self.dynamic_growth_steps)),
                               'float32')
        # x2 after enough finite steps, x1 on a finite step, x0.5 on a skipped one.
        K.update(self.loss_scale, self.loss_scale * (0.5 + 0.5 * finite + grow))
        K.update(self.good_steps, finite * (1. - grow) * count)

    def set_weights(self, weights):
        """Sets the wrapped optimizer's weights and the scale state (`get_weights`' order).

        # Raises
            ValueError: when fewer than the two scale values are given, or for the wrapped
                optimizer's own mismatches.
        """
        weights = list(weights)
        if len(weights) < 2:
            raise ValueError(f'LossScaleOptimizer.set_weights: expected the wrapped '
                             f'optimizer\'s weights followed by the loss scale and the count of '
                             f'finite steps, got {len(weights)} arrays.')
        self.inner_optimizer.set_weights(weights[:-2])
        K.batch_set_value([(self.loss_scale, weights[-2]), (self.good_steps, weights[-1])])

    def get_config(self):
        """The arguments, the wrapped optimizer as its serialized config (`optimizers.
        deserialize` builds the wrapper back)."""
        return {'inner_optimizer': serialize_keras_object(self.inner_optimizer),
                'dynamic': self.dynamic, 'initial_scale': self.initial_scale,
                'dynamic_growth_steps': self.dynamic_growth_steps}
