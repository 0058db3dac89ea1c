"""`python -m cornu convert IN OUT`: a model file of any Keras generation into another format.

IN is a model file (Keras 2 / tf.keras / Keras 3 `.h5`, a Keras 3 `.keras` archive), or a
weights file together with the model's architecture (`architecture=`: a JSON file from
`model.to_json()`, any generation). OUT's name chooses what is written:

- `.keras`: a Keras 3 archive (Keras 3 loads it);
- `.weights.h5`: the weights in the tf.keras / Keras 3 layout;
- `.h5`: a Keras 2 model file (Keras 2, tf.keras and Keras 3 load it), or with
  `weights_only` the weights in Keras 2's layout;
- `.json`: the architecture as Keras 2 JSON;
- `.onnx`: an ONNX graph (PyTorch engine), checked with ONNX Runtime against cornu's own
  predictions unless `check=False`.
"""
import os

from .atomic_files import atomic_file
from .model_config import model_from_json
from .model_files import load_model, save_model
from .onnx_export import export_onnx

__all__ = ['convert', 'OUTPUT_SUFFIXES']

OUTPUT_SUFFIXES = ('.keras', '.weights.h5', '.h5', '.json', '.onnx')


def _load(source, architecture, custom_objects, safe_mode):
    if architecture is None:
        return load_model(source, custom_objects=custom_objects, compile=True,
                          safe_mode=safe_mode)
    with open(architecture) as handle:
        model = model_from_json(handle.read(), custom_objects=custom_objects,
                                safe_mode=safe_mode)
    model.load_weights(source)
    return model


def convert(source, target, architecture=None, weights_only=False, custom_objects=None,
            safe_mode=True, check=True):
    """Converts the model file `source` into `target` (see the module docstring).

    # Arguments
        source: the model file (or weights file, with `architecture`).
        target: the file to write; its suffix chooses the format.
        architecture: a JSON file holding the model's architecture, for a weights file.
        weights_only: for a `.h5` target, write the weights alone (Keras 2 layout).
        custom_objects: custom classes or functions the model uses.
        safe_mode: refuse Python bytecode saved by Lambda layers.
        check: for `.onnx`, compare ONNX Runtime's outputs with cornu's.

    # Returns
        A one-line description of what was written.

    # Raises
        ValueError: for an unknown target suffix, or what loading or writing refuses (named).
    """
    target = os.fspath(target)
    if not target.endswith(OUTPUT_SUFFIXES):
        raise ValueError('Cannot tell what to write for "' + target + '": give it one of the '
                         'suffixes ' + ', '.join(OUTPUT_SUFFIXES) + '.')
    model = _load(os.fspath(source), architecture, custom_objects, safe_mode)
    if target.endswith('.onnx'):
        difference = export_onnx(model, target, check=check)
        checked = '' if difference is None else \
            ' (ONNX Runtime agrees with cornu within %.1e)' % difference
        return 'wrote ONNX graph ' + target + checked
    if target.endswith('.json'):
        with atomic_file(target) as temporary:
            with open(temporary, 'w') as handle:
                handle.write(model.to_json())
        return 'wrote Keras 2 architecture JSON ' + target
    if target.endswith('.weights.h5'):
        model.save_weights(target)
        return 'wrote weights (tf.keras / Keras 3 layout) ' + target
    if target.endswith('.h5') and weights_only:
        model.save_weights(target)
        return 'wrote weights (Keras 2 layout) ' + target
    save_model(model, target)
    return 'wrote ' + ('Keras 3 archive ' if target.endswith('.keras') else
                       'Keras 2 model file ') + target
