"""Keras 2's GRU recurrence (`reset_after=False`) on the CPU in the compiled C loops of
`lstm_loops.c` (their BLAS path): forward, backward and inference, each one call per
sequence, the batch split across torch's intra-op threads, denormals flushed.

Why: at the sizes of Keras 2's GRU examples (32 units, sequences of hundreds of steps) a
step's two matrix products are small and the engine ops around them (a dozen a step, forward
and backward) cost more in dispatch than the products. The loops run the products on the
BLAS gemm torch links and each step's elementwise work in one pass over the cells.

Where the loops are not built (see `lstm_loops`), `gru_recurrence` returns `None` and the
caller runs the engine-op kernel: both compute the same numbers.

Internal to the torch engine.
"""
import torch

from . import lstm_loops
# (Through the module, not imported names: a test sets the loops' threads there.)
from .lstm_loops import _incoming_grads, _pointers

__all__ = ['gru_recurrence']


def _forward(library, projected, h, kernel, mask, rec_masks, hard, go_backwards, training):
    """Runs the forward loop: `(outputs, saved)`, saved what the backward loop reads (`None`
    unless `training`): the gates, their slopes, the candidates and `r * h_prev` (its masked
    copy under recurrent dropout)."""
    batch, steps, width = projected.shape
    units = width // 3
    new = projected.new_empty
    outputs = new((batch, steps, units))
    zr, hh = new((batch, 2 * units)), new((batch, units))
    if training:
        gates, slopes = new((steps, batch, 2 * units)), new((steps, batch, 2 * units))
        candidates, rhs = new((steps, batch, units)), new((batch, steps, units))
    else:
        gates = slopes = candidates = None
        rhs = new((batch, units))
    mask_count = 0 if rec_masks is None else rec_masks.shape[0]
    masked_h = None if rec_masks is None else torch.empty_like(rec_masks)
    library.gru_forward(steps, batch, units,
                        *_pointers(projected, h, outputs, kernel, mask, rec_masks), mask_count,
                        *_pointers(masked_h), int(hard), int(go_backwards),
                        *_pointers(zr, hh, rhs, gates, slopes, candidates),
                        lstm_loops._threads(), int(lstm_loops._use_team()))
    return outputs, ((gates, slopes, candidates, rhs) if training else None)


class _LoopsGRURecurrence(torch.autograd.Function):
    """The GRU recurrence with the C loops' backward pass."""

    @staticmethod
    def forward(ctx, projected, h, kernel, mask, rec_masks, hard, go_backwards, library):
        outputs, saved = _forward(library, projected, h, kernel, mask, rec_masks, hard,
                                  go_backwards, True)
        ctx.save_for_backward(h, kernel, outputs, *saved)
        ctx.mask, ctx.rec_masks = mask, rec_masks
        ctx.go_backwards, ctx.library = go_backwards, library
        ctx.set_materialize_grads(False)
        return outputs, outputs[:, -1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_outputs, d_h):
        h, kernel, outputs, gates, slopes, candidates, rhs = ctx.saved_tensors
        batch, steps, units = outputs.shape
        d_outputs, dh = _incoming_grads(h, d_outputs, d_h)
        dzs = outputs.new_empty((batch, steps, 3 * units))
        d_rh, next_dh, product = (h.new_empty(h.shape) for _ in range(3))
        rec_masks = ctx.rec_masks
        mask_count = 0 if rec_masks is None else rec_masks.shape[0]
        masked_h = None if rec_masks is None else torch.empty_like(rec_masks)
        ctx.library.gru_backward(steps, batch, units,
                                 *_pointers(kernel, h, outputs, gates, slopes, candidates,
                                            ctx.mask, rec_masks),
                                 mask_count, *_pointers(masked_h, product),
                                 int(ctx.go_backwards),
                                 *_pointers(d_outputs, dh, dzs, d_rh, next_dh),
                                 lstm_loops._threads(), int(lstm_loops._use_team()))
        d_kernel = None
        if ctx.needs_input_grad[2]:
            # Each step's gradients against the operands of its two products, summed over
            # the steps and samples: one product each.
            d_kernel = _kernel_gradient(h, outputs, rhs, dzs, rec_masks)
        d_projected = dzs.flip(1) if ctx.go_backwards else dzs
        return d_projected, dh, d_kernel, None, None, None, None, None


def _kernel_gradient(h, outputs, rhs, dzs, rec_masks):
    """The recurrent kernel's gradient: each step's gradients against the operands of its
    products (the previous state, masked as the forward loop had it, for the update and
    reset gates; `rhs` for the candidate), summed over the steps and samples."""
    units = h.shape[1]
    previous = torch.cat([h.unsqueeze(1), outputs[:, :-1]], 1)
    flat = dzs.view(-1, 3 * units)
    if rec_masks is not None and rec_masks.shape[0] == 3:
        # The update and reset gates' products took differently masked states.
        per_gate = [torch.mm((previous * rec_masks[g].unsqueeze(1)).reshape(-1, units).t(),
                             flat[:, g * units:(g + 1) * units]) for g in range(2)]
    else:
        if rec_masks is not None:
            previous = previous * rec_masks[0].unsqueeze(1)
        per_gate = [torch.mm(previous.reshape(-1, units).t(), flat[:, :2 * units])]
    return torch.cat(per_gate + [torch.mm(rhs.view(-1, units).t(), flat[:, 2 * units:])], 1)


def _shapes_fit(projected, h, kernel, mask, rec_masks):
    """Whether the shapes are those the C loops index by: projected `(batch, steps,
    3 units)` with neither empty, the state `(batch, units)`, the kernel `(units, 3 units)`,
    a bool mask `(batch, steps)` on the CPU or none, recurrent masks `(1 or 3, batch, units)`
    or none."""
    if projected.dim() != 3 or 0 in projected.shape or projected.shape[2] % 3:
        return False
    batch, steps, width = projected.shape
    units = width // 3
    return (tuple(h.shape) == (batch, units) and tuple(kernel.shape) == (units, width) and
            (mask is None or (mask.dtype == torch.bool and mask.device.type == 'cpu' and
                              tuple(mask.shape) == (batch, steps))) and
            (rec_masks is None or (rec_masks.dim() == 3 and rec_masks.shape[0] in (1, 3) and
                                   tuple(rec_masks.shape[1:]) == (batch, units))))


def gru_recurrence(projected, h, kernel, mask, hard, go_backwards, rec_masks=None):
    """`gru_kernel.gru_recurrence` (its arguments, `mask` a bool tensor or `None`, `hard`
    whether the gates are hard sigmoids, `rec_masks` the recurrent dropout masks stacked
    `(1 or 3, batch, units)` or `None`) through the C loops, or `None` where they do not
    apply: tensors not all on the CPU or not all float32 or float64, an empty batch or
    sequence, shapes that do not fit together, inside `torch.compile`'s tracing, or no
    loops built.

    # Returns
        `(outputs, h)` as `gru_kernel.gru_recurrence`, or `None`.
    """
    library = lstm_loops.library_for(projected, (h, kernel, rec_masks),
                                     _shapes_fit(projected, h, kernel, mask, rec_masks))
    if library is None:
        return None
    projected, h, kernel, mask, rec_masks = lstm_loops.contiguous(projected, h, kernel, mask,
                                                                  rec_masks)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (projected, h, kernel)):
        return _LoopsGRURecurrence.apply(projected, h, kernel, mask, rec_masks, hard,
                                         go_backwards, library)
    outputs, _ = _forward(library, projected, h, kernel, mask, rec_masks, hard, go_backwards,
                          False)
    return outputs, outputs[:, -1]
