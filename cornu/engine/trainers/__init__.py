"""Per-engine step functions: how one batch is predicted, evaluated or trained on."""
from ... import backend as K


def trainer_for(model):
    """The trainer of the engine in use, bound to `model`."""
    if K.backend() == 'jax':
        from .jax import JaxTrainer
        return JaxTrainer(model)
    from .torch import TorchTrainer
    return TorchTrainer(model)
