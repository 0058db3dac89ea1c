"""Helpers of the recurrent layers' generic step loop: zero states, the all-valid mask test
and one step's fused matrix product (internal; `cornu.backend.kernels` re-exports them).

`cornu.backend.jax.rnn_steps` has the same names.
"""
import torch

from ..symbolic import graph_op

__all__ = ['rnn_zero_states', 'rnn_mask_all_valid', 'rnn_step_matmul']


@graph_op
def rnn_zero_states(inputs, shapes):
    """All-zero initial states for a batch of sequences.

    # Arguments
        inputs: tensor `(samples, time, ...)`; gives the batch size, dtype and device.
        shapes: list of state shapes without the batch axis, e.g. `[(units,), (units,)]`.

    # Returns
        A list of zero tensors `(samples,) + shape`.
    """
    batch = inputs.shape[0]
    return [torch.zeros((batch,) + tuple(shape), dtype=inputs.dtype, device=inputs.device)
            for shape in shapes]


# `torch.compiler.is_exporting` came with torch 2.5; before it, only `jit.trace` is seen.
_is_exporting = getattr(getattr(torch, 'compiler', None), 'is_exporting', lambda: False)


def recording_graph():
    """Whether the computation is being recorded as a graph for export rather than run:
    `torch.jit.trace` (and the TorchScript ONNX exporter that uses it) or `torch.export`
    (strict or not, and the ONNX exporter built on it).

    The recurrent kernels then take their plain loop of traceable ops, and data-dependent
    shortcuts are off: a recorded graph keeps one branch for every input. `torch.compile`
    alone is not export: compiled training keeps the kernels' custom autograd functions."""
    return torch.jit.is_tracing() or _is_exporting()


def rnn_mask_all_valid(mask):
    """Whether no timestep of `mask` is masked (reads the mask: a host sync on GPU).

    While a graph is recorded for export (`recording_graph`), `False`: the graph keeps one
    branch for every input, and only the masked path is right for any mask."""
    if recording_graph():
        return False
    return bool(mask.all())


@graph_op
def rnn_step_matmul(projected_inputs, states, recurrent_kernel):
    """`projected_inputs + states @ recurrent_kernel` as one kernel call (one RNN step)."""
    return torch.addmm(projected_inputs, states, recurrent_kernel)
