"""Mixed precision: dtype policies and loss scaling, with tf.keras's names.

    from cornu import mixed_precision
    mixed_precision.set_global_policy('mixed_bfloat16')

Layers made afterwards compute in bfloat16 and keep float32 variables; the losses and metrics
are computed in float32. Under `'mixed_float16'`, `compile` wraps the optimizer in a
`LossScaleOptimizer` (dynamic loss scaling). See `policy.py` and `cornu.optimizers.loss_scale`.
"""
from .policy import Policy, global_policy, set_global_policy  # noqa: F401
from ..optimizers.loss_scale import LossScaleOptimizer  # noqa: F401
