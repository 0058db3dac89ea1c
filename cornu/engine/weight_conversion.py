"""Converting saved weight values to the layout a layer expects (Keras 2.2.4's
`preprocess_weights_for_loading`).

Saved files come from many places: Keras 1 (other kernel layouts, one weight per recurrent
gate), the Theano backend (flipped convolution kernels), CuDNN recurrent layers (gate kernels
in cuDNN's memory order, two bias vectors) and plain Keras 2 / tf.keras. Everything here works
on NumPy arrays only, so it can be tested without the layers.
"""
import numpy as np

from .. import backend as K
from .._common.conv_utils import convert_kernel

_CONV_LAYERS = ('Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'ConvLSTM2D')

# Whether a backend computes convolutions as correlations (TensorFlow, CNTK, cornu's engines)
# rather than as true convolutions with a flipped kernel (Theano).
_USES_CORRELATION = {'tensorflow': True, 'theano': False, 'cntk': True, 'torch': True,
                     'jax': True}


def preprocess_weights_for_loading(layer, weights, original_keras_version=None,
                                   original_backend=None, reshape=False):
    """Converts saved weight values to the format `layer` expects.

    Handles layers nested in `Bidirectional`, `TimeDistributed` and models; Keras 1 layouts
    (`original_keras_version == '1'`); convolution kernels saved with Theano; and recurrent
    weights saved by `CuDNNLSTM`/`CuDNNGRU` loaded into `LSTM`/`GRU` or the other way round.

    # Arguments
        layer: the layer instance that will receive the weights.
        weights: list of NumPy arrays, as saved.
        original_keras_version: Keras version that wrote the weights, as a string
            (`'1'` for files without one).
        original_backend: backend that wrote the weights (e.g. `'theano'`), or `None`.
        reshape: reshape convolution kernels that have the right number of values but another
            shape.

    # Returns
        A list of NumPy arrays.

    # Raises
        ValueError: when `reshape` is asked for arrays of another size, or for recurrent
            weights of incompatible kinds (e.g. `GRU(reset_after=False)` from `CuDNNGRU`).
    """
    weights = [np.asarray(w) for w in weights]
    class_name = layer.__class__.__name__

    if class_name == 'Bidirectional':
        half = len(weights) // 2
        weights = (preprocess_weights_for_loading(layer.forward_layer, weights[:half],
                                                  original_keras_version, original_backend) +
                   preprocess_weights_for_loading(layer.backward_layer, weights[half:],
                                                  original_keras_version, original_backend))
    elif class_name == 'TimeDistributed':
        weights = preprocess_weights_for_loading(layer.layer, weights, original_keras_version,
                                                 original_backend)
    elif _is_model(layer):
        weights = _convert_nested_model(layer, weights, original_keras_version,
                                        original_backend)

    if original_keras_version == '1':
        weights = _convert_keras1_weights(layer, weights)

    if class_name in _CONV_LAYERS and weights:
        weights = _convert_conv_kernels(layer, weights, original_backend, reshape)

    return convert_rnn_weights(layer, weights)


def _is_model(layer):
    # By class name: the saving code sits below `network.py` (a network imports it to save
    # itself), so it does not import `Network` back.
    return any(cls.__name__ in ('Network', 'Model', 'Sequential')
               for cls in type(layer).__mro__)


def _convert_nested_model(model, weights, original_keras_version, original_backend):
    # A model's weights are its layers' trainable weights, then their non-trainable ones.
    converted = []
    for sublayer in model.layers:
        count = len(sublayer.trainable_weights)
        if count:
            converted += preprocess_weights_for_loading(sublayer, weights[:count],
                                                        original_keras_version,
                                                        original_backend)
            weights = weights[count:]
    for sublayer in model.layers:
        count = len(sublayer.non_trainable_weights)
        if count:
            converted += preprocess_weights_for_loading(sublayer, weights[:count],
                                                        original_keras_version,
                                                        original_backend)
            weights = weights[count:]
    # Anything left over (a file with more weights) is kept for the count check to report.
    return converted + list(weights)


def _convert_keras1_weights(layer, weights):
    """Keras 1 kernel layouts and per-gate recurrent weights, in Keras 2's layout."""
    class_name = layer.__class__.__name__
    weights = list(weights)
    if class_name == 'Conv1D' and weights:
        shape = weights[0].shape
        if shape[:2] != (layer.kernel_size[0], 1) or shape[3] != layer.filters:
            # Keras 1.1: (filters, input_dim, filter_length, 1).
            weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
        weights[0] = weights[0][:, 0, :, :]
    elif class_name == 'Conv2D' and weights:
        if layer.data_format == 'channels_first':
            # (filters, stack, rows, cols) -> (rows, cols, stack, filters)
            weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
    elif class_name == 'Conv2DTranspose' and weights:
        if layer.data_format == 'channels_last':
            # (rows, cols, stack, filters) -> (rows, cols, filters, stack)
            weights[0] = np.transpose(weights[0], (0, 1, 3, 2))
        else:
            # (filters, stack, rows, cols) -> (rows, cols, filters, stack)
            weights[0] = np.transpose(weights[0], (2, 3, 0, 1))
    elif class_name == 'Conv3D' and weights:
        if layer.data_format == 'channels_first':
            weights[0] = np.transpose(weights[0], (2, 3, 4, 1, 0))
    elif class_name == 'GRU' and len(weights) == 9:
        # Keras 1: (W, U, b) per gate z, r, h.
        weights = [np.concatenate(weights[i::3], axis=-1) for i in range(3)]
    elif class_name in ('LSTM', 'ConvLSTM2D') and len(weights) == 12:
        # Keras 1: (W, U, b) per gate in the order i, c, f, o; Keras 2: i, f, c, o.
        gates = [weights[0:3], weights[6:9], weights[3:6], weights[9:12]]
        weights = [np.concatenate([gate[i] for gate in gates], axis=-1) for i in range(3)]
        if class_name == 'ConvLSTM2D' and layer.data_format == 'channels_first':
            weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
            weights[1] = np.transpose(weights[1], (2, 3, 1, 0))
    return weights


def need_convert_kernel(original_backend):
    """Whether convolution kernels saved by `original_backend` must be flipped for cornu.

    Theano computes true convolutions (flipped kernels); TensorFlow, CNTK and cornu compute
    correlations. Unknown or missing backends are not converted.
    """
    if original_backend not in _USES_CORRELATION:
        return False
    return _USES_CORRELATION[original_backend] != _USES_CORRELATION.get(K.backend(), True)


def _convert_conv_kernels(layer, weights, original_backend, reshape):
    weights = list(weights)
    class_name = layer.__class__.__name__
    expected = tuple(K.int_shape(layer.weights[0])) if layer.weights else None
    if need_convert_kernel(original_backend):
        weights[0] = convert_kernel(weights[0])
        if class_name == 'ConvLSTM2D' and len(weights) > 1:
            weights[1] = convert_kernel(weights[1])
    if expected is None or weights[0].shape == expected:
        return weights
    if reshape:
        if weights[0].size != int(np.prod(expected)):
            raise ValueError('Weights must be of equal size to apply a reshape operation. '
                             'Layer ' + layer.name + "'s weights have shape " + str(expected) +
                             ' and size ' + str(int(np.prod(expected))) + '. The weights for '
                             'loading have shape ' + str(weights[0].shape) + ' and size ' +
                             str(weights[0].size) + '. ')
        weights[0] = np.reshape(weights[0], expected)
    elif weights[0].ndim == 4:
        # Theano-era kernels stored (filters, stack, rows, cols), as Keras 2.2.4 reads them.
        # (Only where that gives the expected shape; anything else is reported by the shape
        # check of the caller, naming the layer.)
        candidate = np.transpose(weights[0], (3, 2, 0, 1))
        if candidate.shape == expected:
            weights[0] = candidate
            if class_name == 'ConvLSTM2D' and len(weights) > 1 and weights[1].ndim == 4:
                weights[1] = np.transpose(weights[1], (3, 2, 0, 1))
    return weights


# ---------------------------------------------------------------------- CuDNN recurrent layers

def _per_gate(kernel, transform, n_gates):
    """Applies `transform` to each gate's block of columns and puts the blocks back."""
    return np.hstack([transform(block) for block in np.hsplit(kernel, n_gates)])


def _input_kernel_transform(from_cudnn):
    # cuDNN reads each gate's (input_dim, units) block as a (units, input_dim) matrix in C
    # order; the conversion keeps the block's shape but reorders its values accordingly.
    order = 'F' if from_cudnn else 'C'

    def transform(block):
        return block.T.reshape(block.shape, order=order)
    return transform


def _convert_cudnn_weights(weights, n_gates, from_cudnn, bias_transform):
    kernel = _per_gate(weights[0], _input_kernel_transform(from_cudnn), n_gates)
    recurrent_kernel = _per_gate(weights[1], lambda block: block.T, n_gates)
    return [kernel, recurrent_kernel, bias_transform(np.asarray(weights[2]))]


def lstm_weights_from_cudnn(weights):
    """`CuDNNLSTM` weights `[kernel, recurrent_kernel, bias (8 * units,)]` as `LSTM` weights
    (`bias (4 * units,)`: cuDNN's input and recurrent biases summed)."""
    return _convert_cudnn_weights(weights, 4, True,
                                  lambda b: np.sum(np.split(b, 2, axis=0), axis=0))


def lstm_weights_to_cudnn(weights):
    """`LSTM` weights as `CuDNNLSTM` weights (the bias is split in two equal halves, which
    keeps their sum)."""
    return _convert_cudnn_weights(weights, 4, False, lambda b: np.tile(0.5 * b, 2))


def gru_weights_from_cudnn(weights):
    """`CuDNNGRU` weights `[kernel, recurrent_kernel, bias (6 * units,)]` as
    `GRU(reset_after=True)` weights (`bias (2, 3 * units)`: input and recurrent biases)."""
    return _convert_cudnn_weights(weights, 3, True, lambda b: b.reshape((2, -1)))


def gru_weights_to_cudnn(weights):
    """`GRU(reset_after=True)` weights as `CuDNNGRU` weights."""
    return _convert_cudnn_weights(weights, 3, False, lambda b: b.reshape(-1))


def convert_rnn_weights(layer, weights):
    """Converts recurrent weights between the `CuDNNLSTM`/`LSTM` and
    `CuDNNGRU`/`GRU(reset_after=True)` layouts, as the target `layer` needs.

    The source layout is recognised from the bias shape; weights without a bias, and weights
    already in the target's layout, are returned unchanged.

    # Raises
        ValueError: for a bias of unexpected shape, or between `GRU(reset_after=False)` and
            the other GRU layouts (which compute something else).
    """
    target_class = layer.__class__.__name__
    if len(weights) != 3 or target_class not in ('LSTM', 'CuDNNLSTM', 'GRU', 'CuDNNGRU'):
        return weights
    units = weights[1].shape[0]
    bias_shape = tuple(weights[2].shape)
    if target_class in ('LSTM', 'CuDNNLSTM'):
        if bias_shape == (8 * units,):
            source = 'CuDNNLSTM'
        elif bias_shape == (4 * units,):
            source = 'LSTM'
        else:
            raise ValueError('Layer ' + layer.name + ': invalid LSTM bias shape ' +
                             str(bias_shape) + ' for ' + str(units) + ' units.')
        if source == target_class:
            return weights
        return lstm_weights_from_cudnn(weights) if source == 'CuDNNLSTM' else \
            lstm_weights_to_cudnn(weights)

    if bias_shape == (6 * units,):
        source = 'CuDNNGRU'
    elif bias_shape == (2, 3 * units):
        source = 'GRU(reset_after=True)'
    elif bias_shape == (3 * units,):
        source = 'GRU(reset_after=False)'
    else:
        raise ValueError('Layer ' + layer.name + ': invalid GRU bias shape ' + str(bias_shape) +
                         ' for ' + str(units) + ' units.')
    if target_class == 'CuDNNGRU':
        target = 'CuDNNGRU'
    elif getattr(layer, 'reset_after', False):
        target = 'GRU(reset_after=True)'
    else:
        target = 'GRU(reset_after=False)'
    if source == target:
        return weights
    if 'GRU(reset_after=False)' in (source, target):
        raise ValueError('Layer ' + layer.name + ': weights of ' + source + ' are not '
                         'compatible with ' + target + '.')
    return gru_weights_from_cudnn(weights) if source == 'CuDNNGRU' else \
        gru_weights_to_cudnn(weights)
