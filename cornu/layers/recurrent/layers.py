"""The ready-made recurrent layers: `SimpleRNN`, `GRU` and `LSTM` (Keras 2.2.4).

Each is an `RNN` around its cell, taking the cell's arguments plus the `RNN` ones; the cell's
arguments are readable on the layer (`lstm.units`, `lstm.recurrent_activation`, ...). Keras 1
argument names (`output_dim`, `init`, `inner_init`, `W_regularizer`, `dropout_W`,
`consume_less`, `input_dim`, ...) are converted with a warning, as Keras 2.2.4 did.
"""
import warnings

from ... import regularizers
from ..._common import layer_arguments
from .._legacy import legacy_interface
from .base import RNN
from .cells import SimpleRNNCell, GRUCell, LSTMCell


def _recurrent_args_preprocessor(args, kwargs):
    converted = []
    if 'forget_bias_init' in kwargs:
        value = kwargs.pop('forget_bias_init')
        if value == 'one':
            kwargs['unit_forget_bias'] = True
            converted.append(('unit_forget_bias', 'forget_bias_init'))
        else:
            warnings.warn('The `forget_bias_init` argument has been ignored. Use '
                          '`unit_forget_bias=True` instead to initialize with ones.',
                          stacklevel=3)
    if 'input_dim' in kwargs:
        input_length = kwargs.pop('input_length', None)
        kwargs['input_shape'] = (input_length, kwargs.pop('input_dim'))
        converted.append(('input_shape', 'input_dim'))
        warnings.warn('The `input_dim` and `input_length` arguments in recurrent layers are '
                      'deprecated. Use `input_shape` instead.', stacklevel=3)
    return args, kwargs, converted


legacy_recurrent_support = legacy_interface(
    allowed_positional_args=['units'],
    conversions=[('output_dim', 'units'), ('init', 'kernel_initializer'),
                 ('inner_init', 'recurrent_initializer'),
                 ('inner_activation', 'recurrent_activation'),
                 ('W_regularizer', 'kernel_regularizer'),
                 ('b_regularizer', 'bias_regularizer'),
                 ('U_regularizer', 'recurrent_regularizer'),
                 ('dropout_W', 'dropout'), ('dropout_U', 'recurrent_dropout'),
                 ('consume_less', 'implementation')],
    value_conversions={'consume_less': {'cpu': 0, 'mem': 1, 'gpu': 2}},
    preprocessor=_recurrent_args_preprocessor)


def _cell_property(name):
    return property(lambda self: getattr(self.cell, name))


_RNN_ARGUMENTS = ('return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll')


class _CellLayer(RNN):
    """An `RNN` whose cell is built from the layer's own arguments."""

    _cell_class = None

    def __init__(self, units, activity_regularizer=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        cell_kwargs = {key: kwargs.pop(key) for key in list(kwargs)
                       if key in self._cell_arguments}
        cell = layer_arguments.made_for(type(self), kwargs.get('name'),
                                        lambda: self._cell_class(units, **cell_kwargs))
        super(_CellLayer, self).__init__(cell, return_sequences=return_sequences,
                                         return_state=return_state,
                                         go_backwards=go_backwards, stateful=stateful,
                                         unroll=unroll, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def get_config(self):
        config = self.cell.get_config()
        for key in ('name', 'trainable', 'batch_input_shape', 'dtype'):
            config.pop(key, None)
        config['activity_regularizer'] = regularizers.serialize(self.activity_regularizer)
        ordered = {}
        for key, value in config.items():
            ordered[key] = value
            if key == 'bias_regularizer':
                ordered['activity_regularizer'] = config['activity_regularizer']
        base_config = super(_CellLayer, self).get_config()
        del base_config['cell']
        return dict(list(base_config.items()) + list(ordered.items()))

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get('implementation') == 0:
            config['implementation'] = 1
        return cls(**config)


class SimpleRNN(_CellLayer):
    """Fully-connected RNN where the output is fed back to the input.

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default `tanh`; `None`: linear).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of the
            `kernel` (inputs), `recurrent_kernel` (state) and bias.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        activity_regularizer: regularizer of the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
        return_sequences, return_state, go_backwards, stateful, unroll: see `RNN`.
    """

    _cell_class = SimpleRNNCell
    _cell_arguments = frozenset([
        'activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer',
        'bias_initializer', 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
        'kernel_constraint', 'recurrent_constraint', 'bias_constraint', 'dropout',
        'recurrent_dropout'])

    @legacy_recurrent_support
    def __init__(self, units, **kwargs):
        if 'implementation' in kwargs:
            kwargs.pop('implementation')
            warnings.warn('The `implementation` argument in `SimpleRNN` has been deprecated. '
                          'Please remove it from your layer call.')
        super(SimpleRNN, self).__init__(units, **kwargs)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop('implementation', None)
        return cls(**config)


class GRU(_CellLayer):
    """Gated Recurrent Unit - Cho et al. 2014.

    Two variants: the default applies the reset gate to the state before the recurrent
    matrix product (arXiv 1406.1078v3); `reset_after=True` applies it after the product, as
    cuDNN does, with separate input and recurrent biases (use it with
    `recurrent_activation='sigmoid'` for weights compatible with `CuDNNGRU`).

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default `tanh`; `None`: linear).
        recurrent_activation: activation of the gates (default `hard_sigmoid`).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        activity_regularizer: regularizer of the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
        implementation: 1 or 2 (see `GRUCell`).
        return_sequences, return_state, go_backwards, stateful, unroll: see `RNN`.
        reset_after: the GRU convention (see above).

    # References
        - [Learning Phrase Representations using RNN Encoder-Decoder for Statistical
           Machine Translation](https://arxiv.org/abs/1406.1078)
        - [A Theoretically Grounded Application of Dropout in Recurrent Neural Networks](
           https://arxiv.org/abs/1512.05287)
    """

    _cell_class = GRUCell
    _cell_arguments = SimpleRNN._cell_arguments | frozenset([
        'recurrent_activation', 'implementation', 'reset_after'])

    @legacy_recurrent_support
    def __init__(self, units, **kwargs):
        if kwargs.get('implementation') == 0:
            warnings.warn('`implementation=0` has been deprecated, and now defaults to '
                          '`implementation=1`.Please update your layer call.')
        super(GRU, self).__init__(units, **kwargs)


class LSTM(_CellLayer):
    """Long Short-Term Memory layer - Hochreiter 1997.

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default `tanh`; `None`: linear).
        recurrent_activation: activation of the gates (default `hard_sigmoid`).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: add 1 to the bias of the forget gate at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        activity_regularizer: regularizer of the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
        implementation: 1 or 2 (see `LSTMCell`).
        return_sequences, return_state, go_backwards, stateful, unroll: see `RNN`.

    # Speed
        With `recurrent_activation='sigmoid'` (and the default `tanh` activation), no mask
        and no recurrent dropout in training, the layer runs in the engine's native LSTM
        kernel (the formula is the same). Keras 2's default `hard_sigmoid` has no native
        kernel and runs step by step.

    # References
        - [Long short-term memory](http://www.bioinf.jku.at/publications/older/2604.pdf)
        - [Learning to forget: Continual prediction with LSTM](
           http://www.mitpressjournals.org/doi/pdf/10.1162/089976600300015015)
        - [A Theoretically Grounded Application of Dropout in Recurrent Neural Networks](
           https://arxiv.org/abs/1512.05287)
    """

    _cell_class = LSTMCell
    _cell_arguments = GRU._cell_arguments - frozenset(['reset_after']) | frozenset(
        ['unit_forget_bias'])

    @legacy_recurrent_support
    def __init__(self, units, **kwargs):
        if kwargs.get('implementation') == 0:
            warnings.warn('`implementation=0` has been deprecated, and now defaults to '
                          '`implementation=1`.Please update your layer call.')
        super(LSTM, self).__init__(units, **kwargs)


for _name in ('units', 'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer',
              'recurrent_initializer', 'bias_initializer', 'unit_forget_bias',
              'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
              'kernel_constraint', 'recurrent_constraint', 'bias_constraint', 'dropout',
              'recurrent_dropout', 'implementation', 'reset_after'):
    for _layer in (SimpleRNN, GRU, LSTM):
        if _name == 'units' or _name in _layer._cell_arguments:
            setattr(_layer, _name, _cell_property(_name))
del _name, _layer
