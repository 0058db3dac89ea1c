"""Loops over time and sequences on JAX: rnn, map_fn, foldl, foldr, ctc.

`rnn` runs its step function in a `lax.scan` (traced once, whatever the sequence length), or,
with `unroll=True`, in a Python loop; the higher-order functions use `lax.map`/`lax.scan`.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.rnn`, which calls these.
"""
import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from .. import common
from ..arguments import check_mask_shape, check_rnn_arguments
from ..ctc_decoding import beam_search_decode, dense_from_sequences
from ..run_context import current
from . import core
from .core import _t

__all__ = [
    'rnn', 'map_fn', 'foldl', 'foldr', 'ctc_label_dense_to_sparse', 'ctc_batch_cost',
    'ctc_decode',
]


def _scan(body, init, xs):
    """`lax.scan(body, init, xs)` for bodies that may assign variables or draw random numbers
    (a BatchNormalization inside a TimeDistributed loop, dropout in a step function).

    The body first runs once outside the loop to find the variables it assigns and whether
    it draws random numbers; those values (and the random key, only when it draws) then
    travel in the carry, and the last ones become the values of the variables (in the state
    scope, or in the variables themselves outside a traced step).
    """
    scope = current().state_scope
    if scope is None:
        from .random import _next_global_key
        scope = core._Scope({}, _next_global_key())
        with core._in_scope(scope):
            result = _scoped_scan(scope, body, init, xs)
        for key, variable in scope.written.items():
            variable._value = scope.values[key]
        return result
    return _scoped_scan(scope, body, init, xs)


def _scoped_scan(scope, body, init, xs):
    # The key is read as `_rng`, which does not mark it used: a loop whose body draws
    # nothing (any recurrent layer at inference) leaves the key out of its carry, and a
    # traced step made of such loops is compiled without a key (see `tracing._Plan`).
    values, written, rng = dict(scope.values), dict(scope.written), scope._rng
    calls, logged = scope.seeded_calls, len(scope.log)
    used_rng = scope.uses_rng
    scope.uses_rng = False
    # One step run outside the loop (as Keras 2's TensorFlow `rnn` did): it shows which
    # variables the body assigns and whether it draws, and what a cell caches on its first
    # call (dropout masks) is made here rather than inside the loop's trace.
    body(init, jax.tree_util.tree_map(lambda x: x[0], xs))
    draws = scope.uses_rng
    scope.uses_rng = used_rng or draws
    assigned = {}
    for key in scope.log[logged:]:
        assigned[key] = scope.written[key]
    # Forget what the probe did (its values belong to its own trace). Not the keys it drew
    # with: what it drew may be kept (a cell's dropout masks, drawn at its first call), and
    # the loop and the draws after it must not use those keys again.
    scope.values.clear()
    scope.values.update(values)
    scope.written = written
    scope.seeded_calls = calls
    rng = scope._rng
    del scope.log[logged:]
    keys = list(assigned)
    carries_key = draws and rng is not None
    if not keys and not carries_key:
        return lax.scan(body, init, xs)

    def carried(carry, x):
        inner, state_values, key = carry
        for k, value in zip(keys, state_values):
            scope.values[k] = value
        if carries_key:
            scope._rng = key
        inner, y = body(inner, x)
        new_values = [scope.values[k] for k in keys]
        return (inner, new_values, scope._rng if carries_key else None), y

    start = [scope.read(assigned[k]) for k in keys]
    (final, state_values, key), ys = lax.scan(carried, (init, start,
                                                        rng if carries_key else None), xs)
    for k, value in zip(keys, state_values):
        scope.write(assigned[k], value)
    if carries_key:
        scope._rng = key
    return final, ys


def _step_mask(mask_t, ndim):
    """The `(batch,)` mask of a step, shaped to broadcast over a tensor of rank `ndim`."""
    return mask_t.reshape((mask_t.shape[0],) + (1,) * (ndim - 1))


def _like(new, old):
    """`new` with the dtype of `old` (a scan carry must keep its type)."""
    new = _t(new)
    return new if new.dtype == old.dtype else new.astype(old.dtype)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
    inputs = _t(inputs)
    check_rnn_arguments(inputs.ndim, mask is not None, unroll, initial_states)
    states = [_t(s) for s in initial_states]
    constants = list(constants) if constants else []
    if mask is not None:
        mask = _t(mask)
        if mask.ndim > 2:
            check_mask_shape(mask.shape)
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        if mask.dtype != jnp.bool_:
            mask = mask != 0
    time_major = jnp.swapaxes(inputs, 0, 1)
    mask_steps = None if mask is None else jnp.swapaxes(mask, 0, 1)
    if go_backwards:
        time_major = time_major[::-1]
        if mask_steps is not None:
            mask_steps = mask_steps[::-1]
    if unroll:
        return _unrolled(step_function, time_major, states, constants, mask_steps)
    if mask_steps is None:
        def step(carry, input_t):
            output, new_states = step_function(input_t, list(carry) + constants)
            return [_like(n, o) for n, o in zip(new_states, carry)], _t(output)
        final, outputs = _scan(step, states, time_major)
    else:
        def step(carry, sliced):
            input_t, mask_t = sliced
            output, new_states = step_function(input_t, list(carry) + constants)
            output = _t(output)
            previous = carry[0]
            output = jnp.where(_step_mask(mask_t, output.ndim), output,
                               previous.astype(output.dtype))
            new_states = [jnp.where(_step_mask(mask_t, o.ndim), _like(n, o), o)
                          for n, o in zip(new_states, carry)]
            return new_states, output
        final, outputs = _scan(step, states, (time_major, mask_steps))
    return outputs[-1], jnp.swapaxes(outputs, 0, 1), list(final)


def _unrolled(step_function, time_major, states, constants, mask_steps):
    outputs = []
    previous_output = None
    for t in range(time_major.shape[0]):
        output, new_states = step_function(time_major[t], states + constants)
        output = _t(output)
        if mask_steps is None:
            states = [_t(s) for s in new_states]
        else:
            mask_t = mask_steps[t]
            if previous_output is None:
                previous_output = jnp.zeros_like(output)
            output = jnp.where(_step_mask(mask_t, output.ndim), output, previous_output)
            states = [jnp.where(_step_mask(mask_t, _t(new).ndim), _t(new), old)
                      for old, new in zip(states, new_states)]
            previous_output = output
        outputs.append(output)
    return outputs[-1], jnp.stack(outputs, axis=1), states


def _elements(elems):
    if isinstance(elems, (list, tuple)):
        return tuple(_t(e) for e in elems)
    return _t(elems)


def _cast_structure(results, dtype):
    if dtype is None:
        return results
    from .core import standardize_dtype
    target = standardize_dtype(dtype)
    return jax.tree_util.tree_map(lambda r: r.astype(target), results)


def map_fn(fn, elems, name=None, dtype=None):
    elements = _elements(elems)
    length = (elements[0] if isinstance(elements, tuple) else elements).shape[0]
    if not length:
        raise ValueError('map_fn needs at least one element to map over.')

    def apply(element):
        result = fn(element)
        if isinstance(result, list):
            result = tuple(result)
        return jax.tree_util.tree_map(_t, result)

    _, results = _scan(lambda carry, element: (carry, apply(element)), None, elements)
    return _cast_structure(results, dtype)


def _fold(fn, elements, initializer, reverse):
    if reverse:
        elements = jax.tree_util.tree_map(lambda e: e[::-1], elements)
    if initializer is None:
        accumulator = jax.tree_util.tree_map(lambda e: e[0], elements)
        elements = jax.tree_util.tree_map(lambda e: e[1:], elements)
    else:
        accumulator = jax.tree_util.tree_map(_t, initializer)

    def step(carry, element):
        new = jax.tree_util.tree_map(_like, fn(carry, element), carry)
        return new, None

    accumulator, _ = _scan(step, accumulator, elements)
    return accumulator


def foldl(fn, elems, initializer=None, name=None):
    return _fold(fn, _elements(elems), initializer, False)


def foldr(fn, elems, initializer=None, name=None):
    return _fold(fn, _elements(elems), initializer, True)


# CTC

class _SparseLabels(object):
    """Dense CTC labels with their lengths, standing for the sparse tensor of Keras 2 (jax
    has no sparse tensors in its core): `K.is_sparse` is true and `K.to_dense` gives the
    labels with zeros past each length."""

    sparse = True

    def __init__(self, labels, lengths):
        self.labels = labels
        self.lengths = lengths
        self.shape = tuple(labels.shape)
        self.dtype = labels.dtype

    def todense(self):
        positions = jnp.arange(self.labels.shape[1])[None, :]
        keep = positions < self.lengths.reshape(-1, 1)
        return jnp.where(keep, self.labels, jnp.zeros_like(self.labels))


def ctc_label_dense_to_sparse(labels, label_lengths):
    return _SparseLabels(_t(labels), _t(label_lengths).reshape(-1))


def _ctc_loss(log_probs, labels, input_lengths, label_lengths, blank):
    """Negative log likelihood of each label sequence (the CTC forward algorithm in log space).

    # Arguments
        log_probs: `(time, batch, classes)` log probabilities.
        labels: `(batch, max_label_length)` int labels.
        input_lengths, label_lengths: `(batch,)` ints.
    """
    time_steps, batch, _ = log_probs.shape
    max_labels = labels.shape[1]
    width = 2 * max_labels + 1
    # The extended label sequence: blank, l1, blank, l2, ..., blank.
    extended = jnp.full((batch, width), blank, dtype=labels.dtype)
    extended = extended.at[:, 1::2].set(labels)
    # A label may follow the one two places back when it differs from it (and is no blank).
    previous = jnp.concatenate([jnp.full((batch, 2), blank, labels.dtype),
                                extended[:, :-2]], axis=1)
    skip = (extended != blank) & (extended != previous)
    minus_inf = jnp.asarray(-jnp.inf, log_probs.dtype)
    positions = jnp.arange(width)[None, :]

    def emissions(t):
        return jnp.take_along_axis(log_probs[t], extended.astype(jnp.int64), axis=1)

    alpha = jnp.where(positions < 2, emissions(0), minus_inf)
    alpha = jnp.where(positions < 2 * label_lengths[:, None] + 1, alpha, minus_inf)

    def step(alpha, t):
        shifted1 = jnp.concatenate([jnp.full((batch, 1), minus_inf), alpha[:, :-1]], axis=1)
        shifted2 = jnp.concatenate([jnp.full((batch, 2), minus_inf), alpha[:, :-2]], axis=1)
        shifted2 = jnp.where(skip, shifted2, minus_inf)
        combined = jnp.logaddexp(jnp.logaddexp(alpha, shifted1), shifted2)
        new = combined + emissions(t)
        # Past its own length a sequence keeps its last alphas.
        return jnp.where((t < input_lengths)[:, None], new, alpha), None

    alpha, _ = lax.scan(step, alpha, jnp.arange(1, time_steps))
    last = 2 * label_lengths
    end_blank = jnp.take_along_axis(alpha, last[:, None], axis=1)[:, 0]
    end_label = jnp.take_along_axis(alpha, jnp.maximum(last - 1, 0)[:, None], axis=1)[:, 0]
    end_label = jnp.where(label_lengths > 0, end_label, minus_inf)
    return -jnp.logaddexp(end_blank, end_label)


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    y_true = _t(y_true)
    y_pred = _t(y_pred)
    input_length = _t(input_length).reshape(-1).astype(jnp.int64)
    label_length = _t(label_length).reshape(-1).astype(jnp.int64)
    log_probs = jax.nn.log_softmax(jnp.log(y_pred + common.epsilon()), axis=-1)
    loss = _ctc_loss(jnp.swapaxes(log_probs, 0, 1), y_true.astype(jnp.int64), input_length,
                     label_length, y_pred.shape[-1] - 1)
    return loss[:, None]


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    y_pred = _t(y_pred)
    input_length = _t(input_length).reshape(-1).astype(jnp.int64)
    log_pred = jnp.log(y_pred + common.epsilon())
    batch, time_steps, num_classes = log_pred.shape
    blank = num_classes - 1
    in_sequence = jnp.arange(time_steps)[None, :] < input_length[:, None]
    if greedy:
        best = jnp.max(log_pred, axis=-1)
        log_prob = -jnp.sum(best * in_sequence, axis=1, keepdims=True)
        classes = np.asarray(jnp.argmax(log_pred, axis=-1))
        in_sequence = np.asarray(in_sequence)
        previous = np.concatenate([np.full((batch, 1), -1), classes[:, :-1]], axis=1)
        keep = (classes != blank) & (classes != previous) & in_sequence
        sequences = [classes[b][keep[b]].tolist() for b in range(batch)]
        return [jnp.asarray(dense_from_sequences(sequences))], log_prob
    decoded, scores = beam_search_decode(np.asarray(log_pred, dtype=np.float64),
                                         np.asarray(input_length).tolist(), beam_width,
                                         top_paths, blank)
    return [jnp.asarray(d) for d in decoded], jnp.asarray(scores, dtype=log_pred.dtype)


