"""Every layer checks its constructor arguments against their documented domain: a bad value
is refused when the layer is made (ValueError for values, TypeError for types) with a message
naming the layer, the argument and the value; the boundary legal values are accepted.

The checks are plain Python: the same messages on every engine.
"""
import pickle

import numpy as np
import pytest

from cornu import constraints
from cornu import layers as L
from cornu import regularizers
from cornu.engine.base_layer import Layer
from cornu.legacy import layers as legacy
from cornu.models import Sequential

V, T = ValueError, TypeError

# The arguments that make a legal layer of each class, completed by the argument under test.
_DENSE = {'units': 2}
_CONV = {'filters': 2, 'kernel_size': 3}
_CELL = {'units': 2}

# (layer class, legal base arguments, argument, bad values with the error expected, legal
# boundary values). A bad value is `(value, error)` or `(value, error, text)` where the
# message shows `text` rather than `repr(value)`.
CASES = [
    # ------------------------------------------------------------------------------- core
    (L.Dense, {}, 'units', [(0, V), (-1, V), (2.5, V), ('10', T), (True, T), (None, T),
                            (float('nan'), V)], [1, 2.0, np.int64(3)]),
    (L.Dense, _DENSE, 'activation', [('no_such_activation', V), (3, V)], [None, 'relu']),
    (L.Activation, {}, 'activation', [('no_such_activation', V)], ['tanh', None]),
    (L.Dropout, {}, 'rate', [(1.5, V), (-0.1, V), ('0.5', T), (None, T)], [0, 0.0, 1.0, 0.5]),
    (L.Dropout, {'rate': 0.5}, 'noise_shape', [((None, 0, 3), V), (3, T), (('a',), T)],
     [None, (None, 1, 3)]),
    (L.SpatialDropout1D, {}, 'rate', [(2, V)], [0., 1.]),
    (L.SpatialDropout2D, {}, 'rate', [(-1, V)], [0.3]),
    (L.SpatialDropout2D, {'rate': 0.3}, 'data_format', [('channels_middle', V), (1, T)],
     ['channels_first', None]),
    (L.SpatialDropout3D, {}, 'rate', [(1.01, V)], [1.0]),
    (L.Flatten, {}, 'data_format', [('nchw', V)], ['channels_last']),
    (L.Reshape, {}, 'target_shape', [((0, 4), V), ((-1, -1), V), ((-2, 3), V), ((2.5, 2), T),
                                     (6, T)], [(1,), (-1, 3), (2, 3)]),
    (L.Permute, {}, 'dims', [((1, 3), V), ((0, 1), V), ((1, 1), V), (('a', 1), T), (2, T)],
     [(1,), (2, 1), (3, 1, 2)]),
    (L.RepeatVector, {}, 'n', [(0, V), (-2, V), (1.5, V), ('3', T)], [1, 3]),
    (L.Lambda, {}, 'function', [(3, T, '3')], [lambda x: x]),
    (L.ActivityRegularization, {}, 'l1', [(-0.1, V), ('a', T)], [0., 0.01]),
    (L.ActivityRegularization, {}, 'l2', [(-1, V)], [0., 0.01]),
    # ------------------------------------------------------------------- convolutional
    (L.Conv1D, {'kernel_size': 3}, 'filters', [(0, V), (-4, V), (1.5, V), ('8', T)], [1, 8]),
    (L.Conv1D, {'filters': 2}, 'kernel_size', [(0, V), (-3, V), ((3, 3), V)], [1, (3,)]),
    (L.Conv1D, _CONV, 'strides', [(0, V), (-1, V)], [1, 2]),
    (L.Conv1D, _CONV, 'dilation_rate', [(0, V), (-2, V)], [1, 2]),
    (L.Conv1D, _CONV, 'padding', [('full', V), ('middle', V), (1, T)], ['valid', 'same',
                                                                        'causal', 'SAME']),
    (L.Conv2D, {'kernel_size': 3}, 'filters', [(0, V), (-1, V)], [1]),
    (L.Conv2D, {'filters': 2}, 'kernel_size', [(-3, V), ((3, 0), V), ((3, 3, 3), V),
                                               ((3, 2.5), V)], [1, (1, 3), (3.0, 2)]),
    (L.Conv2D, _CONV, 'strides', [((1, 0), V), (-1, V)], [1, (2, 1)]),
    (L.Conv2D, _CONV, 'dilation_rate', [((0, 1), V)], [(1, 2)]),
    (L.Conv2D, _CONV, 'padding', [('causal', V)], ['same']),
    (L.Conv2D, _CONV, 'data_format', [('channels_middle', V), (0, T)], ['channels_first']),
    (L.Conv3D, {'kernel_size': 3}, 'filters', [(0, V)], [1]),
    (L.Conv3D, {'filters': 2}, 'kernel_size', [((3, 3, -1), V)], [(1, 2, 3)]),
    (L.Conv3D, _CONV, 'strides', [((1, 1, 0), V)], [(1, 2, 1)]),
    (L.Conv3D, _CONV, 'dilation_rate', [(-1, V)], [1]),
    (L.Conv2DTranspose, {'kernel_size': 3}, 'filters', [(0, V)], [1]),
    (L.Conv2DTranspose, {'filters': 2}, 'kernel_size', [(0, V)], [1]),
    (L.Conv2DTranspose, _CONV, 'strides', [(0, V)], [1, 2]),
    (L.Conv2DTranspose, dict(_CONV, strides=2), 'output_padding', [((-1, 0), V), (2, V)],
     [None, 0, 1, (1, 0)]),
    (L.Conv3DTranspose, {'kernel_size': 3}, 'filters', [(-1, V)], [1]),
    (L.Conv3DTranspose, _CONV, 'strides', [((1, 0, 1), V)], [1]),
    (L.Conv3DTranspose, dict(_CONV, strides=2), 'output_padding', [(-1, V)], [0, 1]),
    (L.SeparableConv1D, {'kernel_size': 3}, 'filters', [(0, V)], [1]),
    (L.SeparableConv1D, _CONV, 'depth_multiplier', [(0, V), (-1, V), (1.5, V)], [1, 3]),
    (L.SeparableConv1D, _CONV, 'kernel_size', [(0, V)], [1]),
    (L.SeparableConv2D, {'kernel_size': 3}, 'filters', [(0, V)], [1]),
    (L.SeparableConv2D, _CONV, 'depth_multiplier', [(0, V), ('2', T)], [1]),
    (L.SeparableConv2D, _CONV, 'dilation_rate', [((1, -1), V)], [2]),
    (L.DepthwiseConv2D, {}, 'kernel_size', [(0, V), ((3, -3), V)], [1, (3, 3)]),
    (L.DepthwiseConv2D, {'kernel_size': 3}, 'depth_multiplier', [(0, V), (-2, V)], [1, 2]),
    (L.DepthwiseConv2D, {'kernel_size': 3}, 'strides', [(0, V)], [2]),
    (L.UpSampling1D, {}, 'size', [(0, V), (-2, V), ((2, 2), V)], [1, 3]),
    (L.UpSampling2D, {}, 'size', [(0, V), ((2, 0), V)], [1, (1, 3)]),
    (L.UpSampling2D, {}, 'interpolation', [('cubic', V)], ['nearest', 'bilinear']),
    (L.UpSampling3D, {}, 'size', [((2, 2, -1), V)], [(1, 2, 3)]),
    (L.ZeroPadding1D, {}, 'padding', [(-1, V), ((1, -2), V)], [0, (0, 3)]),
    (L.ZeroPadding2D, {}, 'padding', [(-1, V), ((1, -1), V), (((0, -1), (1, 1)), V),
                                      ((1, 2, 3), V)], [0, (0, 2), ((0, 1), (2, 0))]),
    (L.ZeroPadding3D, {}, 'padding', [(-2, V), ((1, 1, -1), V)], [0, (1, 0, 2)]),
    (L.Cropping1D, {}, 'cropping', [(-1, V), ((0, -1), V)], [0, (0, 2)]),
    (L.Cropping2D, {}, 'cropping', [(-1, V), (((0, 0), (-1, 0)), V)], [0, ((0, 1), (2, 0))]),
    (L.Cropping3D, {}, 'cropping', [(-1, V)], [0, (1, 0, 2)]),
    # ------------------------------------------------------------------------- pooling
    (L.MaxPooling1D, {}, 'pool_size', [(0, V), (-2, V)], [1, 3]),
    (L.MaxPooling1D, {}, 'strides', [(0, V)], [None, 1]),
    (L.MaxPooling1D, {}, 'padding', [('causal', V), ('full', V)], ['valid', 'same']),
    (L.AveragePooling1D, {}, 'pool_size', [(-1, V)], [1]),
    (L.MaxPooling2D, {}, 'pool_size', [((2, 0), V), ((2, 2, 2), V)], [1, (1, 3)]),
    (L.MaxPooling2D, {}, 'strides', [((1, -1), V)], [None, (2, 1)]),
    (L.AveragePooling2D, {}, 'pool_size', [(0, V)], [(2, 2)]),
    (L.AveragePooling2D, {}, 'data_format', [('NHWC', V)], ['channels_first']),
    (L.MaxPooling3D, {}, 'pool_size', [((2, 2, 0), V)], [1]),
    (L.AveragePooling3D, {}, 'strides', [(-1, V)], [None, 1]),
    (L.GlobalAveragePooling1D, {}, 'data_format', [('x', V)], ['channels_first']),
    (L.GlobalMaxPooling1D, {}, 'data_format', [('x', V)], ['channels_last']),
    (L.GlobalAveragePooling2D, {}, 'data_format', [('x', V)], [None]),
    (L.GlobalMaxPooling2D, {}, 'data_format', [('x', V)], [None]),
    (L.GlobalAveragePooling3D, {}, 'data_format', [('x', V)], [None]),
    (L.GlobalMaxPooling3D, {}, 'data_format', [('x', V)], [None]),
    # ---------------------------------------------------------------------- locally connected
    (L.LocallyConnected1D, {'kernel_size': 3}, 'filters', [(0, V), ('2', T)], [1]),
    (L.LocallyConnected1D, {'filters': 2}, 'kernel_size', [(0, V)], [1]),
    (L.LocallyConnected1D, _CONV, 'strides', [(-1, V)], [1, 2]),
    (L.LocallyConnected1D, _CONV, 'padding', [('same', V)], ['valid']),
    (L.LocallyConnected2D, {'kernel_size': 3}, 'filters', [(-2, V)], [1]),
    (L.LocallyConnected2D, {'filters': 2}, 'kernel_size', [((3, 0), V)], [(1, 2)]),
    (L.LocallyConnected2D, _CONV, 'strides', [((0, 1), V)], [(2, 1)]),
    (L.LocallyConnected2D, _CONV, 'data_format', [('x', V)], ['channels_first']),
    # ---------------------------------------------------------------------------- embedding
    (L.Embedding, {'output_dim': 4}, 'input_dim', [(0, V), (-10, V), (2.5, V), ('10', T)],
     [1, 10]),
    (L.Embedding, {'input_dim': 10}, 'output_dim', [(0, V), (-4, V)], [1, 4]),
    (L.Embedding, {'input_dim': 10, 'output_dim': 4}, 'input_length',
     [(0, V), (-5, V), ((3, 0), V), ('5', T)], [None, 1, 5, (None, 3)]),
    # -------------------------------------------------------------------------------- merge
    (L.Concatenate, {}, 'axis', [('last', T), (1.0, T), ([1, 2], T)], [-1, 0, 2]),
    (L.Dot, {}, 'axes', [('1', T), ((1, 2, 3), V), ((1, 1.5), T)], [1, -1, (1, 2), [2, 1]]),
    # ---------------------------------------------------------------- advanced activations
    (L.LeakyReLU, {}, 'alpha', [('0.3', T), (float('inf'), V)], [0., 0.3, -0.5]),
    (L.ELU, {}, 'alpha', [('1', T), (None, T)], [0., 1.]),
    (L.ThresholdedReLU, {}, 'theta', [('1', T), (float('nan'), V)], [0., 1., -0.5]),
    (L.ReLU, {}, 'max_value', [(-1., V), ('6', T)], [None, 0., 6.]),
    (L.ReLU, {}, 'negative_slope', [(-0.1, V)], [0., 0.2]),
    (L.ReLU, {}, 'threshold', [('0', T)], [-1., 0., 2.]),
    (L.Softmax, {}, 'axis', [('a', T), (1.5, T)], [-1, 1]),
    (L.PReLU, {}, 'shared_axes', [(0, V), ([1, 0], V), ('1', T)], [None, 1, [1, 2]]),
    # -------------------------------------------------------------------------- normalization
    (L.BatchNormalization, {}, 'axis', [('-1', T), (1.5, T), ([1, 2], T)], [-1, 1, 3]),
    (L.BatchNormalization, {}, 'momentum', [(1.5, V), (-0.1, V), ('0.9', T)], [0., 0.99, 1.]),
    (L.BatchNormalization, {}, 'epsilon', [(-1e-3, V), ('1e-3', T)], [0., 1e-3]),
    # ---------------------------------------------------------------------------------- noise
    (L.GaussianNoise, {}, 'stddev', [(-0.1, V), ('0.1', T), (None, T)], [0., 0.1]),
    (L.GaussianDropout, {}, 'rate', [(1.5, V), (-0.5, V)], [0., 0.5, 1.]),
    (L.AlphaDropout, {}, 'rate', [(1.1, V), (-1, V)], [0., 0.5, 1.]),
    (L.AlphaDropout, {'rate': 0.1}, 'noise_shape', [((None, -1), V)], [None, (None, 2)]),
    # ------------------------------------------------------------------------------ recurrent
    (L.SimpleRNNCell, {}, 'units', [(0, V), (-3, V), ('4', T)], [1, 4]),
    (L.SimpleRNNCell, _CELL, 'dropout', [(1.5, V), (-0.1, V)], [0., 1.]),
    (L.SimpleRNNCell, _CELL, 'recurrent_dropout', [(2, V)], [0., 0.5]),
    (L.GRUCell, {}, 'units', [(0, V)], [1]),
    (L.GRUCell, _CELL, 'implementation', [(3, V), (-1, V)], [0, 1, 2]),
    (L.LSTMCell, {}, 'units', [(-1, V), (2.5, V)], [1]),
    (L.LSTMCell, _CELL, 'recurrent_dropout', [(-0.5, V)], [1.]),
    (L.LSTMCell, _CELL, 'implementation', [(5, V)], [1, 2]),
    (L.SimpleRNN, {}, 'units', [(0, V), ('8', T)], [1]),
    (L.SimpleRNN, _CELL, 'dropout', [(1.2, V)], [0.2]),
    (L.GRU, {}, 'units', [(-4, V)], [1]),
    (L.GRU, _CELL, 'recurrent_dropout', [(-0.2, V)], [0.2]),
    (L.LSTM, {}, 'units', [(0, V), (1.5, V)], [1, 32]),
    (L.LSTM, _CELL, 'dropout', [(1.5, V)], [0., 1.]),
    (L.LSTM, _CELL, 'implementation', [(3, V)], [1, 2]),
    (L.StackedRNNCells, {}, 'cells', [([], V)], [[L.LSTMCell(2)]]),
    (L.RNN, {}, 'cell', [(object(), V, 'call')], [L.LSTMCell(2)]),
    (L.ConvRNN2D, {}, 'cell', [(object(), V, 'call')], [L.ConvLSTM2DCell(2, 3)]),
    (L.ConvLSTM2DCell, {'kernel_size': 3}, 'filters', [(0, V)], [1]),
    (L.ConvLSTM2DCell, _CONV, 'strides', [((0, 1), V)], [(2, 1)]),
    (L.ConvLSTM2DCell, _CONV, 'padding', [('causal', V)], ['same']),
    (L.ConvLSTM2DCell, _CONV, 'recurrent_dropout', [(1.5, V)], [0.5]),
    (L.ConvLSTM2D, {'kernel_size': 3}, 'filters', [(0, V), (-1, V)], [1]),
    (L.ConvLSTM2D, {'filters': 2}, 'kernel_size', [((3, -3), V)], [(1, 3)]),
    (L.ConvLSTM2D, _CONV, 'dilation_rate', [(0, V)], [2]),
    (L.ConvLSTM2D, _CONV, 'dropout', [(-0.1, V)], [0.1]),
    (L.ConvLSTM2D, _CONV, 'data_format', [('x', V)], ['channels_first']),
    (L.CuDNNGRU, {}, 'units', [(0, V), ('3', T)], [1]),
    (L.CuDNNLSTM, {}, 'units', [(-1, V)], [1]),
    # ------------------------------------------------------------------------------- wrappers
    (L.TimeDistributed, {}, 'layer', [(L.Dense, T, 'Dense'), (3, T)], [L.Dense(2)]),
    (L.Bidirectional, {}, 'layer', [(3, T), (L.Dense(2), T, 'Dense')], [L.LSTM(2)]),
    (L.Bidirectional, {'layer': L.LSTM(2)}, 'merge_mode', [('max', V)],
     ['sum', 'mul', 'ave', 'concat', None]),
    # -------------------------------------------------------------------------------- legacy
    (legacy.MaxoutDense, {}, 'output_dim', [(0, V), (-1, V)], [1]),
    (legacy.MaxoutDense, {'output_dim': 2}, 'nb_feature', [(0, V), (2.5, V)], [1, 4]),
    (legacy.MaxoutDense, {'output_dim': 2}, 'input_dim', [(-3, V)], [None, 3]),
    (legacy.Highway, {}, 'input_dim', [(0, V), ('3', T)], [None, 3]),
]

# Exported layers with no constructor argument that has a domain to check, and why.
NOT_CHECKED = {
    Layer: 'the base class: only the common keyword arguments',
    L.InputLayer: 'input shapes are checked with the model inputs',
    L.Masking: '`mask_value` may be any value the inputs hold',
    L.Add: 'no arguments', L.Subtract: 'no arguments', L.Multiply: 'no arguments',
    L.Average: 'no arguments', L.Maximum: 'no arguments', L.Minimum: 'no arguments',
    L.Wrapper: 'abstract; its `layer` argument is checked through TimeDistributed',
    L.TorchModuleLayer: 'wraps an engine module, checked by the engine interop',
    legacy.Recurrent: 'an abstract base, not made directly',
    legacy.ConvRecurrent2D: 'an abstract base; its arguments are checked in '
                            'test_legacy_conv_recurrent_arguments',
}


def _make(layer_class, base, argument, value):
    arguments = dict(base)
    arguments[argument] = value
    return layer_class(**arguments)


def _case_id(case):
    return case[0].__name__ + '-' + case[2]


@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.parametrize('case', CASES, ids=_case_id)
def test_bad_values_are_refused_with_a_message_naming_them(case):
    layer_class, base, argument, bad_values, _ = case
    for bad in bad_values:
        value, error = bad[0], bad[1]
        shown = bad[2] if len(bad) > 2 else repr(value)
        with pytest.raises(error) as info:
            _make(layer_class, base, argument, value)
        message = str(info.value)
        assert layer_class.__name__ in message, message
        assert argument in message, message
        assert shown in message, message


@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.parametrize('case', CASES, ids=_case_id)
def test_boundary_values_are_accepted(case):
    layer_class, base, argument, _, good_values = case
    for value in good_values:
        layer = _make(layer_class, base, argument, value)
        assert isinstance(layer, layer_class)


def _exported_layer_classes():
    classes = set()
    for module in (L, legacy):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Layer):
                classes.add(value)
    return classes


def test_every_exported_layer_class_is_covered():
    covered = {case[0] for case in CASES} | set(NOT_CHECKED)
    missing = sorted(c.__name__ for c in _exported_layer_classes() - covered)
    assert not missing, ('layer classes without a row in CASES (or a reason in NOT_CHECKED): ' +
                         ', '.join(missing))


def test_sizes_given_as_integral_floats_become_ints():
    assert L.Dense(2.0).units == 2 and type(L.Dense(2.0).units) is int
    assert L.Dense(np.int64(3)).units == 3
    assert L.Conv2D(2.0, (3.0, 1)).kernel_size == (3, 1)
    assert L.Dropout(np.float32(0.5)).rate == 0.5


def test_strides_and_dilation_both_above_one_are_refused():
    for make in (lambda: L.Conv1D(2, 3, strides=2, dilation_rate=2),
                 lambda: L.Conv2D(2, 3, strides=(1, 2), dilation_rate=(2, 1)),
                 lambda: L.SeparableConv2D(2, 3, strides=2, dilation_rate=2),
                 lambda: L.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)):
        with pytest.raises(ValueError, match=r'`strides` \(.*2.*\) and `dilation_rate` '
                                             r'\(.*2.*\) cannot both be different from 1'):
            make()
    assert L.Conv2D(2, 3, strides=2, dilation_rate=1).strides == (2, 2)
    assert L.Conv2D(2, 3, strides=1, dilation_rate=2).dilation_rate == (2, 2)


def test_a_recurrent_layer_reports_its_cells_argument_as_its_own():
    with pytest.raises(ValueError, match=r'^Layer encoder \(LSTM\): The `units` argument must '
                                         r'be a positive integer\. Received: 0\.$'):
        L.LSTM(0, name='encoder')
    with pytest.raises(ValueError, match=r'^GRU: The `dropout` argument must be a number '
                                         r'between 0 and 1\. Received: 1\.5\.$'):
        L.GRU(4, dropout=1.5)
    with pytest.raises(ValueError, match=r'^ConvLSTM2D: The `filters` argument'):
        L.ConvLSTM2D(0, 3)


def test_message_names_the_layer_by_its_name():
    with pytest.raises(ValueError, match=r'^Layer hidden \(Dense\): The `units` argument must '
                                         r'be a positive integer\. Received: -1\.$'):
        L.Dense(-1, name='hidden')
    with pytest.raises(TypeError, match=r"^Layer dense_\d+ \(Dense\): The `units` argument "
                                        r"must be a positive integer\. Received: '10'\.$"):
        L.Dense('10')


def test_errors_survive_pickling():
    """Errors cross process boundaries (data workers, multiprocessing) intact."""
    with pytest.raises(ValueError) as info:
        L.Dropout(1.5)
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value) and isinstance(copy, ValueError)


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_keras1_arguments_are_converted_then_checked():
    assert L.Dropout(p=0.25).rate == 0.25
    conv = L.Convolution2D(4, 3, 3, border_mode='same', subsample=(2, 2))
    assert conv.filters == 4 and conv.kernel_size == (3, 3) and conv.strides == (2, 2)
    with pytest.raises(ValueError, match=r'\(Conv2D\): The `filters` argument must be a '
                                         r'positive integer\. Received: 0\.'):
        L.Convolution2D(nb_filter=0, nb_row=3, nb_col=3)
    with pytest.raises(ValueError, match=r'\(Dropout\): The `rate` argument .* Received: 2'):
        L.Dropout(p=2)
    with pytest.raises(ValueError, match=r'^LSTM: The `units` argument .* Received: 0'):
        L.LSTM(output_dim=0)


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_legacy_conv_recurrent_arguments():
    class Step(legacy.ConvRecurrent2D):
        pass
    with pytest.raises(ValueError, match=r'\(Step\): The `filters` argument .* Received: 0'):
        Step(0, 3)
    with pytest.raises(ValueError, match=r'\(Step\): The `kernel_size` argument .* '
                                         r'Received: -1'):
        Step(2, -1)
    with pytest.raises(ValueError, match=r'\(Step\): `strides` \(2, 2\) and `dilation_rate`'):
        Step(2, 3, strides=2, dilation_rate=2)
    assert Step(2, (1, 3)).kernel_size == (1, 3)


@pytest.mark.parametrize('make,argument,shown,error', [
    (lambda: regularizers.L1L2(l1=-0.01), 'l1', '-0.01', V),
    (lambda: regularizers.l2(-1.), 'l2', '-1.0', V),
    (lambda: regularizers.l1_l2(l1='0.1'), 'l1', "'0.1'", T),
    (lambda: constraints.MaxNorm(-1), 'max_value', '-1', V),
    (lambda: constraints.MaxNorm(2, axis='0'), 'axis', "'0'", T),
    (lambda: constraints.UnitNorm(axis=1.5), 'axis', '1.5', T),
    (lambda: constraints.MinMaxNorm(min_value=-1.), 'min_value', '-1.0', V),
    (lambda: constraints.MinMaxNorm(min_value=2., max_value=1.), 'max_value', '1.0', V),
    (lambda: constraints.MinMaxNorm(rate=1.5), 'rate', '1.5', V),
])
def test_regularizer_and_constraint_arguments(make, argument, shown, error):
    with pytest.raises(error) as info:
        make()
    message = str(info.value)
    assert '`' + argument + '`' in message and 'Received: ' + shown in message, message


def test_regularizer_and_constraint_boundaries_are_accepted():
    assert float(regularizers.L1L2(l1=0., l2=0.).l1) == 0.
    assert constraints.MaxNorm(0., axis=[0, 1]).max_value == 0.
    assert constraints.MinMaxNorm(1., 1., rate=0.).max_value == 1.
    assert constraints.UnitNorm(axis=-1).axis == -1


def test_a_refused_layer_leaves_the_model_unchanged():
    """A bad argument fails before the layer joins anything: the model keeps its layers and
    weights."""
    seq = Sequential([L.Dense(3, input_shape=(2,))])
    before = [w.copy() for w in seq.get_weights()]
    with pytest.raises(ValueError):
        seq.add(L.Dense(0))
    assert len(seq.layers) == 1
    for a, b in zip(before, seq.get_weights()):
        np.testing.assert_array_equal(a, b)
