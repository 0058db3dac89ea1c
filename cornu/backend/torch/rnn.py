"""Loops over time and sequences on PyTorch: rnn, map_fn, foldl, foldr, ctc.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.rnn`, which calls these.
"""
import torch
import torch.nn.functional as F

from .. import common
from ..arguments import check_mask_shape, check_rnn_arguments
from ..ctc_decoding import beam_search_decode
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


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
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


def map_fn(fn, elems, name=None, dtype=None):
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


def foldl(fn, elems, initializer=None, name=None):
    return _fold(fn, _unstack_elems(elems), initializer)


def foldr(fn, elems, initializer=None, name=None):
    return _fold(fn, _unstack_elems(elems)[::-1], initializer)


def ctc_label_dense_to_sparse(labels, label_lengths):
    labels = _t(labels)
    lengths = _t(label_lengths).reshape(-1, 1)
    positions = torch.arange(labels.shape[1], device=labels.device).unsqueeze(0)
    keep = positions < lengths
    # nonzero() lists positions in row-major order without repeats: already coalesced.
    return torch.sparse_coo_tensor(keep.nonzero().t(), labels[keep], tuple(labels.shape),
                                   check_invariants=False, is_coalesced=True)


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    y_true = _t(y_true)
    y_pred = _t(y_pred)
    input_length = _t(input_length).reshape(-1).long()
    label_length = _t(label_length).reshape(-1).long()
    log_probs = torch.log_softmax(torch.log(y_pred + common.epsilon()), dim=-1)
    loss = F.ctc_loss(log_probs.transpose(0, 1), y_true.long(), input_length, label_length,
                      blank=y_pred.shape[-1] - 1, reduction='none', zero_infinity=False)
    return loss.unsqueeze(1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
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
    decoded, scores = beam_search_decode(log_pred.detach().double().cpu().numpy(),
                                         input_length.cpu().tolist(), beam_width, top_paths,
                                         blank)
    return ([torch.from_numpy(d).to(log_pred.device) for d in decoded],
            torch.as_tensor(scores, dtype=log_pred.dtype, device=log_pred.device))
