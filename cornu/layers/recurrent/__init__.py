"""Recurrent layers (`keras.layers.recurrent`): `RNN` and its cells, `SimpleRNN`, `GRU`, `LSTM`.

The family is split into focused modules: `base` (the `RNN` layer), `stacked`
(`StackedRNNCells`), `cells` (the built-in cells), `layers` (the layers around them) and
`_util` (what they share); every public name is importable from here, as from Keras 2's single
module.
"""
from ._util import _generate_dropout_mask, _standardize_args
from .base import RNN
from .stacked import StackedRNNCells
from .cells import SimpleRNNCell, GRUCell, LSTMCell
from .layers import SimpleRNN, GRU, LSTM

__all__ = ['RNN', 'StackedRNNCells', 'SimpleRNNCell', 'GRUCell', 'LSTMCell', 'SimpleRNN', 'GRU',
           'LSTM', '_generate_dropout_mask', '_standardize_args']
