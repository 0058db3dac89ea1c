"""Loops over time and sequences on PyTorch: rnn, map_fn, foldl, foldr, ctc."""
import torch
import torch.nn.functional as F

from .. import common
from ..arguments import check_mask_shape, check_rnn_arguments
from ..ctc_decoding import beam_search_decode, check_top_paths
from ..symbolic import graph_op
from .core import convert_to_tensor

__all__ = [
    'rnn', 'map_fn', 'foldl', 'foldr', 'ctc_label_dense_to_sparse', 'ctc_batch_cost',
    'ctc_decode',
]

_Tensor = torch.Tensor


def _t(x):
    return x if isinstance(x, _Tensor) else convert_to_tensor(x)


def _step_mask(mask_t, ndim, cache):
    """The `(batch,)` mask of a step, shaped to broadcast over a tensor of rank `ndim`."""
    view = cache.get(ndim)
    if view is None:
        view = cache[ndim] = mask_t.reshape((mask_t.shape[0],) + (1,) * (ndim - 1))
    return view


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
        unroll: see `mask`; the loop itself runs the same way either way.
        input_length: accepted for Keras 2 compatibility.

    # Returns
        `(last_output, outputs, new_states)`: the last output `(samples, ...)`, all outputs
        `(samples, time, ...)` and the list of final states.

    # Raises
        ValueError: for inputs of rank below 3, or a mask without states and `unroll=False`.
    """
    inputs = _t(inputs)
    check_rnn_arguments(inputs.dim(), mask is not None, unroll, initial_states)
    states = list(initial_states)
    constants = list(constants) if constants else []
    steps = inputs.unbind(1)
    if go_backwards:
        steps = steps[::-1]
    outputs = []
    if mask is None:
        for input_t in steps:
            output, states = step_function(input_t, states + constants)
            states = list(states)
            outputs.append(output)
    else:
        mask = _t(mask)
        if mask.dim() > 2:
            check_mask_shape(mask.shape)
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        if mask.dtype != torch.bool:
            mask = mask != 0
        mask_steps = mask.unbind(1)
        if go_backwards:
            mask_steps = mask_steps[::-1]
        previous_output = None
        for input_t, mask_t in zip(steps, mask_steps):
            output, new_states = step_function(input_t, states + constants)
            views = {}
            if unroll:
                if previous_output is None:
                    previous_output = torch.zeros_like(output)
            else:
                previous_output = states[0]
            output = torch.where(_step_mask(mask_t, output.dim(), views), output,
                                 previous_output)
            states = [torch.where(_step_mask(mask_t, new.dim(), views), new, old)
                      for old, new in zip(states, new_states)]
            outputs.append(output)
            previous_output = output
    last_output = outputs[-1]
    return last_output, torch.stack(outputs, dim=1), states


def _unstack_elems(elems):
    if isinstance(elems, (list, tuple)):
        return list(zip(*[_t(e).unbind(0) for e in elems]))
    return _t(elems).unbind(0)


def _stack_results(results, dtype):
    from .core import cast
    first = results[0]
    if isinstance(first, (list, tuple)):
        return type(first)(_stack_results(list(parts), dtype) for parts in zip(*results))
    out = torch.stack([_t(r) for r in results])
    return cast(out, dtype) if dtype is not None else out


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
    slices = _unstack_elems(elems)
    if not len(slices):
        raise ValueError('map_fn needs at least one element to map over.')
    return _stack_results([fn(s) for s in slices], dtype)


def _fold(fn, slices, initializer):
    if initializer is None:
        accumulator, slices = slices[0], slices[1:]
    else:
        accumulator = initializer
    for element in slices:
        accumulator = fn(accumulator, element)
    return accumulator


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
    return _fold(fn, _unstack_elems(elems), initializer)


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
    return _fold(fn, _unstack_elems(elems)[::-1], initializer)


@graph_op
def ctc_label_dense_to_sparse(labels, label_lengths):
    """Converts dense, padded CTC labels to a sparse tensor.

    # Arguments
        labels: tensor `(samples, max_label_length)`.
        label_lengths: tensor `(samples,)`, the length of each label sequence.

    # Returns
        A sparse COO tensor of the shape of `labels` holding the first `label_lengths[i]`
        labels of each row.
    """
    labels = _t(labels)
    lengths = _t(label_lengths).reshape(-1, 1)
    positions = torch.arange(labels.shape[1], device=labels.device).unsqueeze(0)
    keep = positions < lengths
    # nonzero() lists positions in row-major order without repeats: already coalesced.
    return torch.sparse_coo_tensor(keep.nonzero().t(), labels[keep], tuple(labels.shape),
                                   check_invariants=False, is_coalesced=True)


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
    y_true = _t(y_true)
    y_pred = _t(y_pred)
    input_length = _t(input_length).reshape(-1).long()
    label_length = _t(label_length).reshape(-1).long()
    log_probs = torch.log_softmax(torch.log(y_pred + common.epsilon()), dim=-1)
    loss = F.ctc_loss(log_probs.transpose(0, 1), y_true.long(), input_length, label_length,
                      blank=y_pred.shape[-1] - 1, reduction='none', zero_infinity=False)
    return loss.unsqueeze(1)


@graph_op
def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decodes the output of a softmax with CTC, as Keras 2.2.4 (blank = last class).

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
    y_pred = _t(y_pred)
    input_length = _t(input_length).reshape(-1).long()
    log_pred = torch.log(y_pred + common.epsilon())
    batch, time_steps, num_classes = log_pred.shape
    blank = num_classes - 1
    in_sequence = (torch.arange(time_steps, device=log_pred.device).unsqueeze(0)
                   < input_length.unsqueeze(1))
    if greedy:
        best, classes = log_pred.max(dim=-1)
        log_prob = torch.neg(torch.sum(best * in_sequence, dim=1, keepdim=True))
        previous = F.pad(classes[:, :-1], (1, 0), value=-1)
        keep = (classes != blank) & (classes != previous) & in_sequence
        lengths = keep.sum(dim=1)
        longest = int(lengths.max()) if batch else 0
        positions = torch.cumsum(keep, dim=1) - 1
        decoded = torch.full((batch, longest), -1, dtype=torch.int64, device=log_pred.device)
        rows = torch.arange(batch, device=log_pred.device).unsqueeze(1).expand_as(keep)
        decoded[rows[keep], positions[keep]] = classes[keep]
        return [decoded], log_prob
    check_top_paths(top_paths, beam_width)
    decoded, scores = beam_search_decode(log_pred.detach().double().cpu().numpy(),
                                         input_length.cpu().tolist(), beam_width, top_paths,
                                         blank)
    return ([torch.from_numpy(d).to(log_pred.device) for d in decoded],
            torch.as_tensor(scores, dtype=log_pred.dtype, device=log_pred.device))
