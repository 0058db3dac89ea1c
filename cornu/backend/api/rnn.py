"""K's loops over tensors: `rnn`, `map_fn`, `foldl`, `foldr`, and CTC loss and decoding.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.rnn`) computes. Checks that
need the engine's tensor (its shape, its rank) stay in the engine, calling `arguments.py`.
"""
from ..ctc_decoding import check_top_paths
from ..engine_choice import engine_module
from ..symbolic import graph_op

_engine = engine_module('rnn')

__all__ = [
    'rnn', 'map_fn', 'foldl', 'foldr', 'ctc_label_dense_to_sparse', 'ctc_batch_cost',
    'ctc_decode',
]


@graph_op
def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
    """Iterates over the time axis of a tensor, as Keras 2.2.4's `K.rnn`.

    # Arguments
        step_function: `(input_t, states) -> (output_t, new_states)`, where `input_t` has
            shape `(samples, ...)`, `states` is the list of states followed by the constants,
            and `new_states` has one tensor per state.
        inputs: tensor of shape `(samples, time, ...)`, at least 3-D.
        initial_states: list of tensors `(samples, ...)`.
        go_backwards: iterate from the last step to the first (the outputs then come in that
            order too).
        mask: tensor `(samples, time)` (or `(samples, time, 1)`), zero for masked steps. At a
            masked step the output repeats the previous output and the states keep their
            previous values. As in Keras 2.2.4, the previous output is the first state with
            `unroll=False` and the previous step's output (zeros at first) with `unroll=True`.
        constants: list of tensors passed to every step after the states.
        unroll: see `mask`. On torch the loop runs the same way either way; on JAX it runs
            the steps in a Python loop instead of a `lax.scan`.
        input_length: accepted for Keras 2 compatibility.

    # Returns
        `(last_output, outputs, new_states)`: the last output `(samples, ...)`, all outputs
        `(samples, time, ...)` and the list of final states.

    # Raises
        ValueError: for inputs of rank below 3, or a mask without states and `unroll=False`.
    """
    return _engine.rnn(step_function, inputs, initial_states, go_backwards, mask, constants,
                       unroll, input_length)


@graph_op
def map_fn(fn, elems, name=None, dtype=None):
    """Applies `fn` to each slice of `elems` along its first axis and stacks the results.

    # Arguments
        fn: callable taking one slice (a tuple of slices when `elems` is a tuple).
        elems: tensor, or tuple/list of tensors with the same first axis.
        name: unused (graph op name in Keras 2).
        dtype: dtype of the output, or `None` to keep the one `fn` returns.

    # Returns
        A tensor (or a tuple of tensors, when `fn` returns tuples).
    """
    return _engine.map_fn(fn, elems, name, dtype)


@graph_op
def foldl(fn, elems, initializer=None, name=None):
    """Reduces `elems` along its first axis with `fn`, from first to last.

    # Arguments
        fn: callable `(accumulator, element) -> accumulator`.
        elems: tensor.
        initializer: first accumulator value (`elems[0]` when `None`).
        name: unused.

    # Returns
        The final accumulator.
    """
    return _engine.foldl(fn, elems, initializer, name)


@graph_op
def foldr(fn, elems, initializer=None, name=None):
    """Reduces `elems` along its first axis with `fn`, from last to first.

    # Arguments
        fn: callable `(accumulator, element) -> accumulator`.
        elems: tensor.
        initializer: first accumulator value (`elems[-1]` when `None`).
        name: unused.

    # Returns
        The final accumulator.
    """
    return _engine.foldr(fn, elems, initializer, name)


@graph_op
def ctc_label_dense_to_sparse(labels, label_lengths):
    """Converts dense, padded CTC labels to a sparse form.

    # Arguments
        labels: tensor `(samples, max_label_length)`.
        label_lengths: tensor `(samples,)`, the length of each label sequence.

    # Returns
        A sparse form of the shape of `labels` holding the first `label_lengths[i]` labels of
        each row: a sparse COO tensor on torch, a sparse labels object on JAX (`K.to_dense`
        turns either into a tensor).
    """
    return _engine.ctc_label_dense_to_sparse(labels, label_lengths)


@graph_op
def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """CTC loss of each sample.

    As Keras 2.2.4, `log(y_pred + epsilon)` is treated as logits (TensorFlow's CTC applies a
    softmax to them) and the last class is the blank.

    # Arguments
        y_true: tensor `(samples, max_string_length)` of labels.
        y_pred: tensor `(samples, time_steps, num_categories)`, softmax outputs.
        input_length: tensor `(samples, 1)`, the number of steps used in `y_pred`.
        label_length: tensor `(samples, 1)`, the number of labels used in `y_true`.

    # Returns
        A tensor `(samples, 1)`.
    """
    return _engine.ctc_batch_cost(y_true, y_pred, input_length, label_length)


@graph_op
def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decodes the output of a softmax with CTC, as Keras 2.2.4 (blank = last class).

    The decoded lengths vary with the data, so decoding reads the values on the host (on JAX
    it cannot run inside a jitted step).

    # Arguments
        y_pred: tensor `(samples, time_steps, num_categories)`, softmax outputs.
        input_length: tensor `(samples,)`, the number of steps to decode in each sample.
        greedy: best-path decoding (fast) if true, else beam search.
        beam_width: beam width of the beam search.
        top_paths: number of paths the beam search returns.

    # Returns
        `(decoded, log_probabilities)`: a list (one entry per path) of int64 tensors
        `(samples, longest_decoded_length)` padded with `-1`, and a tensor
        `(samples, top_paths)`. For greedy decoding the "log probability" is, as in
        TensorFlow, minus the sum over steps of the largest `log(y_pred + epsilon)`.

    # Raises
        ValueError: if `top_paths` exceeds `beam_width`.
    """
    if not greedy:  # greedy decoding returns one path whatever `top_paths` says
        check_top_paths(top_paths, beam_width)
    return _engine.ctc_decode(y_pred, input_length, greedy, beam_width, top_paths)
