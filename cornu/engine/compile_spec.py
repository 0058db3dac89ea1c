"""What `Model.compile` decides, once, as an immutable value: the `CompileSpec`.

`compile()` resolves its arguments (names of losses and metrics, lists and dicts per output,
`'accuracy'`'s variant for the output's shape) into one frozen `CompileSpec` holding an
`OutputSpec` per model output. Everything that runs later reads the spec, never the model's
attributes: the training step (`StepLogic`), the checks of user data, the file writer's
`training_config`. Compiling again makes a new spec; nothing is patched in place.
"""
import numbers
from dataclasses import dataclass

import numpy as np

from .. import backend as K
from .. import losses as losses_module
from . import compile_utils


@dataclass(frozen=True)
class OutputSpec:
    """How one model output is trained.

    # Arguments
        index: position of the output in `model.outputs`.
        name: the output layer's name.
        loss: the loss function `f(y_true, y_pred)`, or `None` (the output takes no target).
        weighted_loss: `loss` with sample weights and masks applied
            (`weighted_masked_objective`), or `None`.
        loss_weight: the scalar weight of the loss in the total.
        output_shape: the output's static shape (batch axis included).
        target_shape: the shape targets are checked against (`None`: not checked, as for
            custom losses).
        target_dtype: the dtype targets are fed as.
        sample_weight_mode: `None` (one weight per sample) or `'temporal'`.
        metrics: the `MetricSpec`s computed on this output.
    """
    index: int
    name: str
    loss: object
    weighted_loss: object
    loss_weight: float
    output_shape: tuple
    target_shape: object
    target_dtype: object
    sample_weight_mode: object
    metrics: tuple

    @property
    def takes_target(self):
        return self.loss is not None


@dataclass(frozen=True)
class CompileSpec:
    """Everything `compile()` resolved (see the module docstring).

    # Arguments
        outputs: one `OutputSpec` per model output, in order.
        metrics_names: the logged names, in order (`loss`, per-output losses, metrics).
        arguments: the compile arguments as the user gave them (`loss`, `metrics`,
            `loss_weights`, `sample_weight_mode`, `weighted_metrics`), for `training_config`.
        target_tensors: fixed targets per output, or `None`.
        fuse_softmax_crossentropy: whether a softmax output trained with a crossentropy loss
            computes it from its logits (see `Model.compile`).
        jit_compile: whether the training step is compiled on PyTorch.
        steps_per_execution: how many training steps `fit` may run in one engine call, or
            `'auto'` (see `Model.compile`).
    """
    outputs: tuple
    metrics_names: tuple
    arguments: dict
    target_tensors: object
    fuse_softmax_crossentropy: bool
    jit_compile: bool
    steps_per_execution: object = 'auto'

    @property
    def fed_outputs(self):
        """The outputs that take targets (have a loss), in order."""
        return tuple(spec for spec in self.outputs if spec.takes_target)

    @property
    def metric_specs(self):
        """Every output's metrics, in `metrics_names` order."""
        return tuple(metric for spec in self.outputs for metric in spec.metrics)


def build_compile_spec(model, loss=None, metrics=None, loss_weights=None,
                       sample_weight_mode=None, weighted_metrics=None, target_tensors=None,
                       fuse_softmax_crossentropy=True, jit_compile=False,
                       steps_per_execution='auto'):
    """Resolves `compile`'s arguments for `model` into a `CompileSpec`.

    # Raises
        ValueError: for unknown names, or lists/dicts that do not match the outputs, or a
            `steps_per_execution` below 1.
        TypeError: for a `steps_per_execution` that is neither an integer nor `'auto'`.
    """
    if steps_per_execution != 'auto':
        if isinstance(steps_per_execution, bool) or \
                not isinstance(steps_per_execution, numbers.Integral):
            raise TypeError("`steps_per_execution` must be a positive integer or 'auto', "
                            'got %r.' % (steps_per_execution,))
        if steps_per_execution < 1:
            raise ValueError("`steps_per_execution` must be a positive integer or 'auto', "
                             'got %d.' % steps_per_execution)
        steps_per_execution = int(steps_per_execution)
    output_names = model.output_names
    count = len(output_names)
    loss_specs = compile_utils.per_output(loss, output_names, 'loss') if loss is not None \
        else [None] * count
    loss_fns = [losses_module.get(spec) if spec is not None else None for spec in loss_specs]
    if loss_weights is None:
        weights = [1.] * count
    else:
        weights = [1. if w is None else float(w) for w in
                   compile_utils.per_output(loss_weights, output_names, 'loss_weights',
                                            default=1.)]
    modes = compile_utils.per_output(sample_weight_mode, output_names, 'sample_weight_mode')
    if isinstance(sample_weight_mode, dict):
        # As in Keras 2.2.4, a dict names the mode of every output that has a loss.
        for name, fn in zip(output_names, loss_fns):
            if fn is not None and name not in sample_weight_mode:
                raise ValueError('Output "' + name + '" missing from sample_weight_modes '
                                 'dictionary: ' + str(sample_weight_mode))
    for mode in modes:
        if mode not in (None, 'temporal'):
            raise ValueError('"sample_weight_mode should be None or "temporal". Found: ' +
                             str(mode))
    shapes = model._internal_output_shapes
    metric_lists = _resolve_metrics(metrics, weighted_metrics, output_names, shapes, loss_fns)

    outputs, metrics_names = [], ['loss']
    if count > 1:
        metrics_names += [name + '_loss' for name, fn in zip(output_names, loss_fns)
                          if fn is not None]
    for index, (name, fn) in enumerate(zip(output_names, loss_fns)):
        output_metrics = []
        for suffix, metric_fn, is_weighted in metric_lists[index]:
            metric_name = ('weighted_' if is_weighted else '') + suffix
            if count > 1:
                metric_name = name + '_' + metric_name
            unique, j = metric_name, 1
            while unique in metrics_names:
                unique = metric_name + '_' + str(j)
                j += 1
            metrics_names.append(unique)
            output_metrics.append(compile_utils.MetricSpec(unique, index, metric_fn,
                                                           is_weighted))
        dtype = model.outputs[index].dtype
        outputs.append(OutputSpec(
            index=index, name=name, loss=fn,
            weighted_loss=compile_utils.weighted_masked_objective(fn),
            loss_weight=weights[index], output_shape=tuple(shapes[index]),
            target_shape=_target_shape(fn, shapes[index]),
            target_dtype=dtype if dtype != 'bool' else K.floatx(),
            sample_weight_mode=modes[index], metrics=tuple(output_metrics)))

    if target_tensors is not None:
        if not isinstance(target_tensors, (list, dict, np.ndarray)) and \
                not K.is_tensor(target_tensors):
            raise TypeError('Expected `target_tensors` to be a tensor, an array, or a list or '
                            'dict of them, but got: ' + str(type(target_tensors).__name__) +
                            ' ' + str(target_tensors)[:200])
        if count > 1 and not isinstance(target_tensors, (list, dict)):
            raise ValueError('The model has ' + str(count) + ' outputs, but you passed a single '
                             'tensor as `target_tensors`. Expected a list or a dict of '
                             'tensors.')
        if isinstance(target_tensors, list) and len(target_tensors) != count:
            raise ValueError('When passing a list as `target_tensors`, it should have one entry '
                             'per model output. The model has ' + str(count) + ' outputs, but '
                             'you passed target_tensors=' + str(target_tensors)[:200])
        target_tensors = tuple(compile_utils.per_output(target_tensors, output_names,
                                                        'target_tensors'))
    arguments = dict(loss=loss, metrics=metrics, loss_weights=loss_weights,
                     sample_weight_mode=sample_weight_mode, weighted_metrics=weighted_metrics)
    return CompileSpec(outputs=tuple(outputs), metrics_names=tuple(metrics_names),
                       arguments=arguments, target_tensors=target_tensors,
                       fuse_softmax_crossentropy=bool(fuse_softmax_crossentropy),
                       jit_compile=bool(jit_compile),
                       steps_per_execution=steps_per_execution)


def _target_shape(loss_fn, output_shape):
    if loss_fn is None:
        return None
    if loss_fn is losses_module.sparse_categorical_crossentropy:
        return compile_utils.sparse_target_shape(output_shape)
    if not compile_utils.is_builtin_loss(loss_fn):
        return None
    return tuple(output_shape)


def _resolve_metrics(metrics, weighted_metrics, output_names, shapes, loss_fns):
    """Per output, `(name_suffix, fn, is_weighted)` for each metric; outputs without a loss
    get none (Keras 2 computes metrics only where there is a target)."""
    plain = compile_utils.nested_metrics(metrics, output_names)
    weighted = compile_utils.nested_metrics(weighted_metrics, output_names,
                                            'weighted_metrics')
    resolved = []
    for index in range(len(output_names)):
        entries = []
        if loss_fns[index] is not None:
            for metric_list, is_weighted in ((plain[index], False), (weighted[index], True)):
                for metric in metric_list:
                    suffix, fn = compile_utils.resolve_metric(metric, shapes[index],
                                                              loss_fns[index])
                    entries.append((suffix, fn, is_weighted))
        resolved.append(entries)
    return resolved
