"""The validation data that callbacks see, as `Callback.validation_data`.

Keras 2 handed callbacks the arrays its validation step was fed: the inputs, the targets, one
sample-weight array per output with a loss (ones where none were given), and, for a model
whose behaviour depends on the learning phase, the phase value `0.` last. Callbacks written for
it index that list (`validation_data[0]` the inputs, `[1]` the targets...), so `fit` and
`fit_generator` build the same list, whether the validation data came as arrays, as a tuple
or from `validation_split`. cornu's own steps keep `None` for weights that are all ones (no
multiplication is done for them); only this copy for callbacks holds the arrays of ones.
"""
import numpy as np

from .. import backend as K


def callback_validation_data(model, inputs, targets, weights):
    """`inputs + targets + sample weights (+ [0.])` for `Callback.validation_data`.

    # Arguments
        model: the compiled model being trained.
        inputs, targets, weights: the checked validation arrays (`_standardize_user_data`'s
            lists; a weight may be `None` for all ones).

    # Returns
        A list: the inputs, the targets, one weight array per target (per sample, or per
        timestep with `sample_weight_mode='temporal'`), and `0.` (the test phase) when the
        model uses the learning phase.
    """
    fed = model._compile_spec.fed_outputs
    full_weights = []
    for output, target, weight in zip(fed, targets, weights):
        if weight is None and target is not None:
            rows = tuple(target.shape[:2] if output.sample_weight_mode == 'temporal'
                         else target.shape[:1])
            weight = np.ones(rows, dtype=K.floatx())
        full_weights.append(weight)
    data = list(inputs) + list(targets) + full_weights
    if model.uses_learning_phase and not isinstance(K.learning_phase(), int):
        data.append(0.)
    return data
