"""Embedding layer."""
import warnings

from .. import backend as K
from .. import initializers
from .. import regularizers
from .. import constraints
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ._legacy import legacy_interface

_INTEGER_DTYPES = frozenset(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32',
                             'uint64'])



def _drop_keras1_dropout(args, kwargs):
    if 'dropout' in kwargs:
        kwargs.pop('dropout')
        warnings.warn('The `dropout` argument is no longer support in `Embedding`. You can '
                      'apply a `keras.layers.SpatialDropout1D` layer right after the '
                      '`Embedding` layer to get the same behavior.', stacklevel=3)
    return args, kwargs, []


# Keras 1 argument names, converted with a warning as Keras 2.2.4 did.
_legacy_embedding_support = legacy_interface(
    allowed_positional_args=['input_dim', 'output_dim'],
    conversions=[('init', 'embeddings_initializer'),
                 ('W_regularizer', 'embeddings_regularizer'),
                 ('W_constraint', 'embeddings_constraint')],
    preprocessor=_drop_keras1_dropout)


class Embedding(Layer):
    """Turns positive integers (indexes) into dense vectors of fixed size.

    e.g. `[[4], [20]] -> [[[0.25, 0.1]], [[0.6, -0.2]]]`. It can only be used as the first
    layer of a model or after layers producing integer-valued tensors.

    # Example

    ```python
    model = Sequential()
    model.add(Embedding(1000, 64, input_length=10))
    # input: integer matrix (batch, 10), each entry in [0, 999];
    # output: model.output_shape == (None, 10, 64)
    ```

    # Arguments
        input_dim: int > 0, size of the vocabulary (largest index + 1).
        output_dim: int >= 0, dimension of the dense embedding.
        embeddings_initializer: initializer of the `embeddings` matrix.
        embeddings_regularizer: regularizer of the `embeddings` matrix.
        activity_regularizer: regularizer applied to the output of the layer.
        embeddings_constraint: constraint on the `embeddings` matrix.
        mask_zero: whether the input value 0 is a special "padding" value to be masked out
            (useful with recurrent layers, which then skip those timesteps). With it, index 0
            cannot be used in the vocabulary (`input_dim` should be vocabulary size + 1).
        input_length: length of the input sequences when it is constant (an int, or a tuple
            for inputs of rank > 2). Needed to connect `Flatten` then `Dense` layers
            downstream, which need the output shape.

    # Input shape
        2-D tensor `(batch_size, sequence_length)` (or higher rank).

    # Output shape
        3-D tensor `(batch_size, sequence_length, output_dim)` (the input shape plus
        `output_dim`).
    """

    _rows_independent = True

    @_legacy_embedding_support
    def __init__(self, input_dim, output_dim, embeddings_initializer='uniform',
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        # Checked before it becomes the layer's `input_shape`, so that the error names it.
        if isinstance(input_length, (list, tuple)):
            layer_arguments.optional_shape(self, 'input_length', input_length)
        else:
            layer_arguments.optional_positive_int(self, 'input_length', input_length)
        if 'input_shape' not in kwargs and 'batch_input_shape' not in kwargs:
            if input_length:
                if isinstance(input_length, (list, tuple)):
                    kwargs['input_shape'] = tuple(input_length)
                else:
                    kwargs['input_shape'] = (input_length,)
            else:
                kwargs['input_shape'] = (None,)
        super(Embedding, self).__init__(**kwargs)
        self.input_dim = layer_arguments.positive_int(self, 'input_dim', input_dim)
        self.output_dim = layer_arguments.positive_int(self, 'output_dim', output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.input_length = input_length

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          name='embeddings',
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          dtype=self.dtype)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return K.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        if self.input_length is None:
            return tuple(input_shape) + (self.output_dim,)
        if isinstance(self.input_length, (list, tuple)):
            lengths = list(self.input_length)
        else:
            lengths = [self.input_length]
        if len(lengths) != len(input_shape) - 1:
            raise ValueError('"input_length" is %s, but received input has shape %s' %
                             (str(self.input_length), str(input_shape)))
        for index, (expected, given) in enumerate(zip(lengths, input_shape[1:])):
            if expected is not None and given is not None and expected != given:
                raise ValueError('"input_length" is %s, but received input has shape %s' %
                                 (str(self.input_length), str(input_shape)))
            if expected is None:
                lengths[index] = given
        return (input_shape[0],) + tuple(lengths) + (self.output_dim,)

    @property
    def _input_index_limit(self):
        # A model checks the indices its inputs feed this layer against it, on the host,
        # once per call of fit/evaluate/predict (see `cornu.engine.data_checks`).
        return self.input_dim

    def call(self, inputs):
        # Indexes may come as floats (a Sequential's default input dtype): truncate them
        # to integers as Keras 2's cast to int32 does.
        if K.dtype(inputs) not in _INTEGER_DTYPES:
            inputs = K.cast(inputs, 'int32')
        try:
            return K.gather(self.embeddings, inputs)
        except IndexError as error:
            # Indices computed inside the model (not fed from an input, which the model
            # checks first): PyTorch's message names neither the layer nor the bound.
            raise ValueError('Layer ' + self.name + ' (Embedding with input_dim=' +
                             str(self.input_dim) + ') got an index outside [0, ' +
                             str(self.input_dim - 1) + ']: ' + str(error)) from error

    def get_config(self):
        config = {
            'input_dim': self.input_dim,
            'output_dim': self.output_dim,
            'embeddings_initializer': initializers.serialize(self.embeddings_initializer),
            'embeddings_regularizer': regularizers.serialize(self.embeddings_regularizer),
            'activity_regularizer': regularizers.serialize(self.activity_regularizer),
            'embeddings_constraint': constraints.serialize(self.embeddings_constraint),
            'mask_zero': self.mask_zero,
            'input_length': self.input_length,
        }
        base_config = super(Embedding, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
