"""Keras 2's recurrent dropout in the torch recurrence kernels: the masks as the kernels take
them, and the LSTM's recurrent kernel's gradient under them. Shared by the engine-op kernels
(`lstm_kernel.py`, `gru_kernel.py`) and the C loops (`lstm_loops.py`).

Internal to the torch engine.
"""
import torch

from ..recurrent_masks import check_recurrent_masks

__all__ = ['stacked_recurrent_masks', 'recurrent_kernel_gradient']


def stacked_recurrent_masks(recurrent_masks, h, counts=(1, 4)):
    """`recurrent_masks` as one `(masks, samples, units)` tensor of `h`'s dtype, or `None`;
    `counts`: how many masks the kernel takes (the LSTM's 1 or 4 by default)."""
    if recurrent_masks is None:
        return None
    masks = list(recurrent_masks)
    check_recurrent_masks(masks, h, counts)
    return torch.stack(masks).to(h.dtype)


def recurrent_kernel_gradient(h_prev, dzs, rec_masks, batch_first=False):
    """The recurrent kernel's gradient: each step's previous output `h_prev` (masked as the
    forward product had it) against the pre-activations' gradients `dzs`, summed over the
    steps and samples as products over all steps at once.

    # Arguments
        h_prev: `(time, samples, units)`, or `(samples, time, units)` with `batch_first`.
        dzs: `(time, samples, 4 * units)`, or `(samples, time, 4 * units)`.
        rec_masks: `None`, or `(1 or 4, samples, units)` (`stacked_recurrent_masks`).
    """
    units = h_prev.shape[-1]
    flat_dzs = dzs.reshape(-1, 4 * units)
    if rec_masks is None:
        return torch.mm(h_prev.reshape(-1, units).t(), flat_dzs)
    # The same masks at every step: broadcast along the time axis.
    masked = h_prev.unsqueeze(0) * rec_masks.unsqueeze(2 if batch_first else 1)
    if rec_masks.shape[0] == 1:
        return torch.mm(masked[0].reshape(-1, units).t(), flat_dzs)
    by_gate = flat_dzs.view(-1, 4, units).transpose(0, 1)
    # [k, u, v]: the gradient of recurrent_kernel[u, k * units + v].
    by_gate_gradient = torch.bmm(masked.reshape(4, -1, units).transpose(1, 2), by_gate)
    return by_gate_gradient.permute(1, 0, 2).reshape(units, -1)
