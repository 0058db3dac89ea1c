"""Recurrent layers (`keras.layers.recurrent`): `RNN` and its cells, `SimpleRNN`, `GRU`, `LSTM`.

The family is split into focused modules: `base` (the `RNN` layer, `StackedRNNCells`),
`cells` (the built-in cells) and `layers` (the layers around them); every public name is
importable from here, as from Keras 2's single module.
"""
from .base import RNN, StackedRNNCells, _generate_dropout_mask, _standardize_args
from .cells import SimpleRNNCell, GRUCell, LSTMCell
from .layers import SimpleRNN, GRU, LSTM
