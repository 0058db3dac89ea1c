"""ONNX export of a model (PyTorch engine), checked with ONNX Runtime against the model's own
predictions."""
import importlib

import numpy as np

from .. import backend as K
from .atomic_files import atomic_file

__all__ = ['export_onnx', 'OPSET_VERSION']

OPSET_VERSION = 17


def _token_inputs(model):
    """`{input index: vocabulary size}` for the model inputs that feed an Embedding."""
    found = {}
    for layer in model.layers:
        if type(layer).__name__ != 'Embedding':
            continue
        for index, tensor in enumerate(model.inputs):
            try:
                fed = layer.get_input_at(0) is tensor
            except (AttributeError, RuntimeError, ValueError):
                fed = False
            if fed or (type(model).__name__ == 'Sequential' and layer is model.layers[0]):
                found[index] = layer.input_dim
    return found


def _example_inputs(model, batch, seed):
    """Inputs of every model input's shape (`batch` rows): uniform floats in [-1, 1), or,
    for integer inputs and inputs of an Embedding (token ids, also when they are floats),
    integers from 0 (the padding id of masked sequences) to at most 9."""
    rng = np.random.RandomState(seed)
    tokens = _token_inputs(model)
    arrays = []
    for index, tensor in enumerate(model.inputs):
        shape = K.int_shape(tensor)[1:]
        if any(size is None for size in shape):
            raise ValueError('Input "' + tensor.name + '" has an unknown size beyond the '
                             'batch axis (shape ' + str(K.int_shape(tensor)) + '): ONNX export '
                             'needs fixed sizes there.')
        dtype = K.dtype(tensor)
        if 'int' in dtype or index in tokens:
            high = min(tokens.get(index, 10), 10)
            arrays.append(rng.randint(0, high, size=(batch,) + shape).astype(dtype))
        else:
            arrays.append(rng.uniform(-1., 1., size=(batch,) + shape).astype(dtype))
    return arrays


def export_onnx(model, path, check=True, atol=1e-4, seed=0):
    """Writes `model` as an ONNX graph (batch axis free) and, with `check`, runs it with ONNX
    Runtime on example inputs against `model.predict`.

    # Arguments
        model: a built model (PyTorch engine).
        path: the `.onnx` file to write.
        check: compare ONNX Runtime's outputs with the model's.
        atol: the largest absolute difference the check accepts.
        seed: seed of the example inputs.

    # Returns
        The largest absolute difference found by the check (`None` without it).

    # Raises
        RuntimeError: when the engine is not PyTorch.
        ImportError: when the check is asked for and `onnxruntime` is not installed.
        ValueError: when the ONNX graph's outputs differ from the model's by more than
            `atol` (nothing is written then: a file `path` held stays as it was).
    """
    if K.backend() != 'torch':
        raise RuntimeError('ONNX export needs the PyTorch engine, but cornu runs on ' +
                           K.backend() + ' (set CORNU_BACKEND=torch).')
    exporter = importlib.import_module('cornu.backend.torch.onnx_export')
    examples = _example_inputs(model, 3, seed)
    input_names = ['input_%d' % k for k in range(len(examples))]
    output_names = ['output_%d' % k for k in range(len(model.outputs))]
    module = model.as_torch_module()
    module.eval()
    # Written and checked under a temporary name: a file that fails the check, or a write
    # cut short, never replaces what `path` held.
    with atomic_file(path) as temporary:
        exporter.export_module(module, examples, temporary, input_names, output_names,
                               OPSET_VERSION)
        if not check:
            return None
        return _check_with_onnxruntime(model, temporary, input_names, atol, seed)


def _check_with_onnxruntime(model, path, input_names, atol, seed):
    """The largest difference between ONNX Runtime's outputs for the graph at `path` and
    the model's (see `export_onnx`)."""
    try:
        import onnxruntime
    except ImportError:
        raise ImportError('Checking the ONNX file needs `onnxruntime` (pip install '
                          'onnxruntime), or export without the check.') from None
    session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
    checks = _example_inputs(model, 5, seed + 1)  # another batch size than the trace's
    got = session.run(None, dict(zip(input_names, checks)))
    expected = model.predict(checks if len(checks) > 1 else checks[0])
    expected = expected if isinstance(expected, list) else [expected]
    difference = max(float(np.max(np.abs(g - e))) for g, e in zip(got, expected))
    if not difference <= atol:
        raise ValueError('The ONNX graph of ' + model.name + ' differs from the model by ' +
                         str(difference) + ' (more than ' + str(atol) + '): not written.')
    return difference
