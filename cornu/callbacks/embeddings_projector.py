"""Embeddings for TensorBoard's projector: TSV tensor files and `projector_config.pbtxt`.

Keras 2 saved the embeddings in a TensorFlow checkpoint, which the projector can read only
where TensorFlow is installed; the projector also reads tensors from TSV files named by
`tensor_path` in its config (one row per point, values separated by tabs), which need
nothing else. Each layer watched gets `<layer name>_embedding.tsv` in the log directory,
rewritten at each embeddings epoch (the projector shows the latest, as it showed the latest
checkpoint); its tensor is named `<layer name>_embedding`, the name of the variable Keras 2
saved.
"""
import os

import numpy as np

PROJECTOR_FILENAME = 'projector_config.pbtxt'


def embedding_inputs(data, input_names):
    """`embeddings_data` as the list of input arrays of the model.

    # Arguments
        data: an array (one input), a list of arrays, or a dict keyed by input name.
        input_names: the model's input names.

    # Returns
        A list of NumPy arrays, one per input, with as many rows each.

    # Raises
        ValueError: when the number of arrays, a name, or the numbers of rows do not fit.
    """
    if isinstance(data, dict):
        missing = [name for name in input_names if name not in data]
        if missing:
            raise ValueError('`embeddings_data` has no array for the input(s) %s of the '
                             'model (it has %s).' % (missing, sorted(data)))
        arrays = [data[name] for name in input_names]
    elif isinstance(data, (list, tuple)):
        arrays = list(data)
    else:
        arrays = [data]
    arrays = [np.asarray(a) for a in arrays]
    if len(arrays) != len(input_names):
        raise ValueError('`embeddings_data` should hold %d array(s), one for each input of '
                         'the model (%s), but it holds %d.'
                         % (len(input_names), input_names, len(arrays)))
    rows = set(len(a) for a in arrays)
    if len(rows) > 1:
        raise ValueError('The arrays of `embeddings_data` should have as many rows each, '
                         'but have %s rows.' % [len(a) for a in arrays])
    return arrays


def tensor_file_name(layer_name):
    """The TSV file of a layer's embeddings, relative to the log directory."""
    return layer_name + '_embedding.tsv'


def write_tensor_tsv(path, values):
    """Writes a 2D array as TSV, with enough digits to read back the same float32 values."""
    values = np.asarray(values, dtype=np.float32)
    with open(path, 'w') as f:
        for row in values:
            f.write('\t'.join('%.9g' % v for v in row))
            f.write('\n')


def write_projector_config(log_dir, tb, shapes, metadata):
    """Writes `projector_config.pbtxt`, one embedding per watched layer.

    # Arguments
        log_dir: the log directory.
        tb: `event_summaries.tensorboard_modules()`.
        shapes: `{layer name: (points, dimensions)}`, in the order to list them.
        metadata: `{layer name: metadata file}` (paths as the user gave them).
    """
    from google.protobuf import text_format  # comes with the `tensorboard` package
    config = tb.projector_config_pb2.ProjectorConfig()
    for layer_name, shape in shapes.items():
        embedding = config.embeddings.add()
        embedding.tensor_name = layer_name + '_embedding'
        embedding.tensor_path = tensor_file_name(layer_name)
        embedding.tensor_shape.extend([int(s) for s in shape])
        if layer_name in metadata:
            embedding.metadata_path = metadata[layer_name]
    with open(os.path.join(log_dir, PROJECTOR_FILENAME), 'w') as f:
        f.write(text_format.MessageToString(config))
