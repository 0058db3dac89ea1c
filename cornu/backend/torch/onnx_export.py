"""ONNX export of a model through PyTorch's exporter (the PyTorch engine's view of the model,
`Network.as_torch_module`, traced once on example inputs).

Not re-exported on `K` (the JAX engine has no counterpart): `cornu.engine.onnx_export`
imports it once it has checked that torch is the engine.
"""
import warnings

import torch

__all__ = ['export_module']


def export_module(module, example_inputs, path, input_names, output_names, opset_version):
    """Writes the ONNX graph of `module` called on `example_inputs` (NumPy arrays) to `path`,
    with the batch axis of every input and output left free.

    # Arguments
        module: a `torch.nn.Module` in evaluation mode.
        example_inputs: list of NumPy arrays, one per input.
        path: the file to write.
        input_names, output_names: the graph's names for them.
        opset_version: the ONNX operator set.
    """
    tensors = tuple(torch.from_numpy(array) for array in example_inputs)
    axes = {name: {0: 'batch'} for name in list(input_names) + list(output_names)}
    with warnings.catch_warnings(), torch.no_grad():
        # The trace takes the model's Python-level shape checks for constants: true here,
        # since only the batch axis varies, and it is declared dynamic.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(module, tensors, path, input_names=list(input_names),
                          output_names=list(output_names), dynamic_axes=axes,
                          opset_version=opset_version, dynamo=False)
