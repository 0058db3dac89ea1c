"""What `compile` works out once: per-output losses, weights, metrics and their names.

Names follow Keras 2.2.4: `loss`, then `<output>_loss` for each output of a multi-output model,
then metrics (`acc` for `'accuracy'`, a function's `__name__` otherwise), prefixed by the output
name when there are several outputs and by `weighted_` for weighted metrics.
"""
import warnings

from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module


def weighted_masked_objective(fn):
    """Wraps `fn(y_true, y_pred)` to apply sample weights and a mask, as Keras 2.2.4 does.

    The returned function `weighted(y_true, y_pred, weights, mask=None, rows=None)` returns
    the mean of the (masked, weighted) score, normalised by the fraction of non-zero weights.
    `rows` (a float vector over the batch, 1 for a real row and 0 for a padding row, or
    `None`) restricts every mean over the batch to the real rows: the result is then the
    one of the real rows alone, whatever the padding rows hold (Keras 2's formula divides by
    the mean of the mask and of the weights over the whole batch, so zero weights alone
    would not make it so).
    """
    if fn is None:
        return None

    def weighted(y_true, y_pred, weights, mask=None, rows=None):
        score_array = fn(y_true, y_pred)
        if mask is not None:
            mask = K.cast(mask, K.floatx())
            score_array = score_array * mask
            score_array = score_array / _batch_mean(mask, rows)
        if weights is not None:
            ndim = K.ndim(score_array)
            weight_ndim = K.ndim(weights)
            if ndim > weight_ndim:
                score_array = K.mean(score_array, axis=list(range(weight_ndim, ndim)))
            score_array = score_array * weights
            score_array = score_array / _batch_mean(
                K.cast(K.not_equal(weights, 0), K.floatx()), rows)
        return _batch_mean(score_array, rows)

    weighted.__name__ = getattr(fn, '__name__', 'weighted')
    weighted.objective = fn
    return weighted


def _batch_mean(values, rows):
    """The mean of `values` over its real rows (all of them when `rows` is `None`); the
    padding rows are selected out rather than multiplied by 0, which keeps a NaN or an
    infinity there out of the result."""
    if rows is None:
        return K.mean(values)
    ndim = K.ndim(values)
    if ndim == 0:
        return values
    kept = K.switch(K.greater(rows, 0.5), values, K.zeros_like(values))
    per_row = 1
    for size in K.int_shape(values)[1:]:
        per_row *= size
    return K.sum(kept) / (K.sum(rows) * per_row)


def per_output(value, output_names, what, default=None):
    """Spreads a compile argument (single value, list or dict keyed by output name) over the
    outputs.

    # Raises
        ValueError: naming `what` when a list has the wrong length or a dict an unknown key.
    """
    if isinstance(value, dict):
        for name in value:
            if name not in output_names:
                raise ValueError('Unknown entry in ' + what + ' dictionary: "' + name + '". '
                                 'Only expected the following keys: ' + str(output_names))
        result = []
        for name in output_names:
            if name not in value and what == 'loss':
                warnings.warn('Output "' + name + '" missing from loss dictionary. We assume '
                              'this was done on purpose, and we will not be expecting any data '
                              'to be passed to "' + name + '" during training.', stacklevel=3)
            result.append(value.get(name, default))
        return result
    if isinstance(value, list):
        if len(value) != len(output_names):
            raise ValueError('When passing a list as ' + what + ', it should have one entry per '
                             'model output. The model has ' + str(len(output_names)) +
                             ' outputs, but you passed ' + what + '=' + str(value))
        return list(value)
    return [value for _ in output_names]


def resolve_metric(metric, output_shape, loss_fn):
    """`(name_suffix, function)` for one metric of one output (Keras 2.2.4's accuracy rules)."""
    if metric in ('accuracy', 'acc', 'crossentropy', 'ce'):
        is_accuracy = metric in ('accuracy', 'acc')
        if output_shape[-1] == 1 or loss_fn is losses_module.binary_crossentropy:
            fn = metrics_module.binary_accuracy if is_accuracy else \
                metrics_module.binary_crossentropy
        elif loss_fn is losses_module.sparse_categorical_crossentropy:
            fn = metrics_module.sparse_categorical_accuracy if is_accuracy else \
                metrics_module.sparse_categorical_crossentropy
        else:
            fn = metrics_module.categorical_accuracy if is_accuracy else \
                metrics_module.categorical_crossentropy
        return ('acc' if is_accuracy else 'ce'), fn
    fn = metrics_module.get(metric)
    name = getattr(fn, 'name', None) or getattr(fn, '__name__', None) or \
        fn.__class__.__name__
    return name, fn


def nested_metrics(metrics, output_names, what='metrics'):
    """One list of metrics per output, from a list (all outputs), nested list or dict."""
    if not metrics:
        return [[] for _ in output_names]
    if isinstance(metrics, list):
        if metrics and all(isinstance(m, list) for m in metrics):
            if len(metrics) != len(output_names):
                raise ValueError('When passing a list of lists as ' + what + ', it should have '
                                 'one entry per model output.')
            return metrics
        return [list(metrics) for _ in output_names]
    if isinstance(metrics, dict):
        result = []
        for name in output_names:
            output_metrics = metrics.get(name, [])
            if not isinstance(output_metrics, list):
                output_metrics = [output_metrics]
            result.append(output_metrics)
        return result
    raise TypeError('Type of `' + what + '` argument not understood. Expected a list or '
                    'dictionary, found: ' + str(metrics))


class MetricSpec(object):
    """One metric of one output: its name, the output index, the weighted function and the
    metric function itself (`metric`)."""

    __slots__ = ('name', 'output_index', 'fn', 'weighted', 'metric')

    def __init__(self, name, output_index, fn, weighted):
        self.name = name
        self.output_index = output_index
        self.metric = fn
        self.fn = weighted_masked_objective(fn)
        self.weighted = weighted


def sparse_target_shape(output_shape):
    if K.image_data_format() == 'channels_first' and len(output_shape) in (4, 5):
        return (output_shape[0], 1) + tuple(output_shape[2:])
    return tuple(output_shape[:-1]) + (1,)


def is_builtin_loss(fn):
    name = getattr(fn, '__name__', None)
    return name is not None and getattr(losses_module, name, None) is fn


def is_builtin_objective(weighted):
    """Whether a `weighted_masked_objective` wraps one of Keras' own per-sample losses or
    metrics (a function of this package's `losses` or `metrics` module, or the
    `from_logits` form of a crossentropy that `StepLogic` fuses), whose scores have one row
    per sample; a user's function may reduce over the batch."""
    fn = getattr(weighted, 'objective', None)
    if fn is None:
        return False
    name = getattr(fn, '__name__', None)
    if name is None:
        return False
    if getattr(fn, 'per_sample', False):
        return True
    return getattr(losses_module, name, None) is fn or getattr(metrics_module, name, None) is fn


def integer_labels_advice(target_shape):
    """Keras 2's explanation for integer labels given to categorical_crossentropy."""
    return ('You are passing a target array of shape ' + str(tuple(target_shape)) +
            ' while using as loss `categorical_crossentropy`. `categorical_crossentropy` '
            'expects targets to be binary matrices (1s and 0s) of shape (samples, classes). If '
            'your targets are integer classes, you can convert them to the expected format '
            'via:\n```\nfrom cornu.utils import to_categorical\ny_binary = '
            'to_categorical(y_int)\n```\n\nAlternatively, you can use the loss function '
            '`sparse_categorical_crossentropy` instead, which does expect integer targets.')


def check_loss_and_target_compatibility(targets, loss_fns, output_shapes):
    """Clear errors for targets that cannot match a loss (before the engine would fail).

    # Arguments
        targets: list of target arrays (`None` for an output without data).
        loss_fns: list of loss functions, one per target (`None` for none).
        output_shapes: list of the outputs' shapes (with the batch axis).

    # Raises
        ValueError: for a target whose last axis has size 1 with `categorical_crossentropy`
            (integer labels: a one-class softmax learns nothing), or a target whose shape
            differs from its output's with `mean_squared_error`, `binary_crossentropy` or
            `categorical_crossentropy`.
    """
    key_losses = (losses_module.mean_squared_error, losses_module.binary_crossentropy,
                  losses_module.categorical_crossentropy)
    for y, loss, shape in zip(targets, loss_fns, output_shapes):
        if y is None or loss is None:
            continue
        if loss is losses_module.categorical_crossentropy and y.shape[-1] == 1:
            raise ValueError(integer_labels_advice(y.shape))
        if any(loss is k for k in key_losses):
            for target_dim, out_dim in zip(y.shape[1:], shape[1:]):
                if out_dim is not None and target_dim != out_dim:
                    raise ValueError('A target array with shape ' + str(y.shape) + ' was passed '
                                     'for an output of shape ' + str(shape) + ' while using as '
                                     'loss `' + loss.__name__ + '`. This loss expects targets to '
                                     'have the same shape as the output.')
