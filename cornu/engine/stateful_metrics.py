"""Stateful metrics: metric layers that keep a running value over an epoch.

A metric given to `compile` that is a `Layer` with `stateful = True` holds its own state
(a count of true positives so far, say) and returns the value over every batch seen since
its last `reset_states()`. Keras 2 treats such metrics apart in three ways, reproduced here
and in the loops: their state is reset when each training epoch begins and when an
evaluation begins; the value reported for an epoch or an evaluation is the last batch's, not
the average over batches; and the progress bar and `BaseLogger` show them as logged.
"""
from .base_layer import Layer


def find_stateful_metrics(metric_specs):
    """`(names, functions)` of the stateful metric layers among a model's metrics.

    # Arguments
        metric_specs: the compiled model's `MetricSpec`s, in `metrics_names` order.

    # Returns
        Two lists: the logged names (as in `metrics_names`) and the metric layers.
    """
    names, functions = [], []
    for spec in metric_specs:
        if isinstance(spec.metric, Layer) and spec.metric.stateful:
            names.append(spec.name)
            functions.append(spec.metric)
    return names, functions


def reset_metric_states(model):
    """Resets the state of every stateful metric of `model` (none when not compiled)."""
    for metric in getattr(model, 'stateful_metric_functions', ()):
        metric.reset_states()


def stateful_metric_indices(model):
    """Positions in `model.metrics_names` of the values that are reported as last logged."""
    names = set(getattr(model, 'stateful_metric_names', ()))
    return [i for i, name in enumerate(getattr(model, 'metrics_names', ())) if name in names]
