"""Layers that augment another layer (`keras.layers.wrappers`): `Wrapper`, `TimeDistributed`
and `Bidirectional` (Keras 2.2.4)."""
import copy

from .. import backend as K
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ..engine import shape_inference
from ..engine.ops import call_op
from .._common.generic_utils import has_arg, object_list_uid
from .._common.serialization import deserialize_layer
from .recurrent._util import _standardize_args, adopt_weight_names


def _build_wrapped(layer, owner_name, input_shape):
    """Builds `layer` inside its wrapper, naming its new weights as Keras 2 did
    (`time_distributed_1/kernel:0`, `bidirectional_1/forward_lstm_1/kernel:0`)."""
    known = set(id(w) for w in layer.weights)
    layer.build(input_shape)
    layer.built = True
    adopt_weight_names(layer.weights, known, layer.name, owner_name, set())
    if getattr(layer, '_initial_weights', None) is not None:
        layer.set_weights(layer._initial_weights)
        layer._initial_weights = None


class Wrapper(Layer):
    """Abstract wrapper base class: wrappers take another layer and augment it.

    Do not use this class as a layer; `TimeDistributed` and `Bidirectional` are the usable
    wrappers.

    # Arguments
        layer: the layer to be wrapped.
    """

    _rows_independent = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            layer_arguments.refuse(self, 'layer', layer, 'a layer instance (e.g. `Dense(8)`, '
                                   'not `Dense`)', layer_arguments.ArgumentTypeError)
        self.layer = layer
        # Maps the wrapper's inputs to the inner layer's (reshaped) inputs.
        self._input_map = {}
        # Wrapping keeps a frozen layer frozen unless `trainable` is given.
        trainable = kwargs.pop('trainable', layer.trainable)
        super(Wrapper, self).__init__(**kwargs)
        self.trainable = trainable

    @property
    def _sublayers(self):
        return [self.layer]

    def build(self, input_shape=None):
        self.built = True

    @property
    def activity_regularizer(self):
        return getattr(self.layer, 'activity_regularizer', None)

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        pass

    @property
    def uses_learning_phase(self):
        """Whether the wrapped layer behaves differently in training (dropout, ...)."""
        return self._uses_learning_phase or getattr(self.layer, 'uses_learning_phase', False)

    @property
    def trainable(self):
        return self.layer.trainable

    @trainable.setter
    def trainable(self, value):
        if hasattr(self, 'layer'):
            self.layer.trainable = value

    @property
    def trainable_weights(self):
        return self.layer.trainable_weights

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        return self.layer.non_trainable_weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    @property
    def uses_learning_phase(self):
        """Whether the wrapped layer uses the learning phase (or the wrapper was told so)."""
        return self._uses_learning_phase or \
            any(layer.uses_learning_phase for layer in self._sublayers)

    @uses_learning_phase.setter
    def uses_learning_phase(self, value):
        self._uses_learning_phase = bool(value)

    @property
    def updates(self):
        return list(getattr(self.layer, 'updates', []))

    def get_updates_for(self, inputs=None):
        inner_inputs = inputs
        if inputs is not None:
            inner_inputs = self._input_map.get(object_list_uid(inputs), inputs)
        updates = self.layer.get_updates_for(inner_inputs)
        return updates + super(Wrapper, self).get_updates_for(inputs)

    @property
    def losses(self):
        return list(getattr(self.layer, 'losses', []))

    def get_losses_for(self, inputs=None):
        if inputs is None:
            losses = self.layer.get_losses_for(None)
            return losses + super(Wrapper, self).get_losses_for(None)
        return super(Wrapper, self).get_losses_for(inputs)

    def get_weights(self):
        return self.layer.get_weights()

    def set_weights(self, weights):
        self.layer.set_weights(weights)

    def computes_rows_independently(self, training):
        """When the wrapped layer (both directions' copies for `Bidirectional`) does too
        (see `Layer`)."""
        inner = [getattr(self, name) for name in ('layer', 'forward_layer', 'backward_layer')
                 if getattr(self, name, None) is not None]
        return super().computes_rows_independently(training) and \
            all(layer.computes_rows_independently(training) for layer in inner)

    def get_config(self):
        config = {'layer': {'class_name': self.layer.__class__.__name__,
                            'config': self.layer.get_config()}}
        base_config = super(Wrapper, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop('layer'), custom_objects=custom_objects)
        return cls(layer, **config)


def _fold_time(x):
    """`(samples, time, ...)` -> `(samples * time, ...)`, sizes read from `x` when it runs."""
    return K.reshape(x, (-1,) + tuple(K.int_shape(x)[2:]))


def _fold_time_shape(shape):
    folded = None if shape[0] is None or shape[1] is None else shape[0] * shape[1]
    return (folded,) + tuple(shape[2:])


_fold_time.static_shape = _fold_time_shape


def _unfold_time(y, like):
    """`(samples * time, ...)` -> `(samples, time, ...)`, with the time length of `like`."""
    return K.reshape(y, (-1, K.int_shape(like)[1]) + tuple(K.int_shape(y)[1:]))


def _unfold_time_shape(shape, like_shape):
    return (like_shape[0], like_shape[1]) + tuple(shape[1:])


_unfold_time.static_shape = _unfold_time_shape


class TimeDistributed(Wrapper):
    """Applies a layer to every temporal slice of an input.

    The input should be at least 3D; its axis 1 is the time axis. For a batch of 32 samples,
    each a sequence of 10 vectors of 16 dimensions (batch input shape `(32, 10, 16)`),
    `TimeDistributed(Dense(8))` applies the same `Dense` layer to each of the 10 timesteps:

    ```python
        model = Sequential()
        model.add(TimeDistributed(Dense(8), input_shape=(10, 16)))
        # now model.output_shape == (None, 10, 8)
    ```

    Any layer (or model) can be wrapped, e.g. `TimeDistributed(Conv2D(64, (3, 3)))` on
    `(10, 299, 299, 3)` inputs.

    As in Keras 2.2.4, when the batch size is unknown the timesteps are folded into the batch
    axis and the layer runs once; with a fixed batch size it runs once per timestep. Masks pass
    to the inner layer (reshaped) when it takes one.

    # Arguments
        layer: a layer instance.
    """

    def __init__(self, layer, **kwargs):
        super(TimeDistributed, self).__init__(layer, **kwargs)
        self.supports_masking = True
        self._batch_size = None
        self._inner_takes_mask = has_arg(layer.call, 'mask')
        self._inner_takes_training = has_arg(layer.call, 'training')

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError('Layer ' + self.name + ' (TimeDistributed) expects inputs of rank '
                             '>= 3 (batch, time, ...), got an input of shape ' +
                             str(input_shape) + '.')
        self.input_spec = InputSpec(shape=input_shape)
        self._batch_size = input_shape[0]
        child_input_shape = (input_shape[0],) + input_shape[2:]
        if not self.layer.built:
            _build_wrapped(self.layer, self.name, child_input_shape)
        super(TimeDistributed, self).build()

    def _call_updates(self, inputs, kwargs):
        """Records the inner layer's updates for this call: the inner layer runs on the
        timesteps folded into the batch axis, a tensor that `_input_map` keeps for the
        call's inputs (`get_updates_for(inputs)` then finds the inner layer's updates)."""
        shape = tuple(inputs[0]._keras_shape)
        inner_input = K.KerasTensor((None,) + shape[2:], inputs[0].dtype,
                                    name=self.name + '_inner_input')
        self._input_map[object_list_uid(inputs)] = inner_input
        inner_kwargs = self._inner_kwargs(kwargs.get('training'))
        self.layer.add_update(self.layer._call_updates([inner_input], inner_kwargs),
                              [inner_input])
        return []

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        child_input_shape = (input_shape[0],) + input_shape[2:]
        if self.layer._has_shape_formula():
            child_output_shape = tuple(self.layer.compute_output_shape(child_input_shape))
        else:
            probe = K.KerasTensor(child_input_shape)
            child_output_shape = shape_inference.probe(self.layer.call, (probe,), {})[0]
        return (child_output_shape[0], input_shape[1]) + tuple(child_output_shape[1:])

    def _inner_kwargs(self, training):
        if self._inner_takes_training:
            return {'training': training}
        return {}

    def call(self, inputs, training=None, mask=None):
        kwargs = self._inner_kwargs(training)
        if self._batch_size:
            # A fixed batch size: one call per timestep, as Keras 2.2.4 (layers whose result
            # depends on the batch, such as BatchNormalization, see one timestep at a time).
            layer_call = self.layer.call

            def step(x, _):
                return layer_call(x, **kwargs), []
            _, outputs, _ = K.rnn(step, inputs, initial_states=[], unroll=False)
            return outputs
        inner_inputs = call_op(_fold_time, inputs)
        if mask is not None and self._inner_takes_mask:
            kwargs['mask'] = call_op(_fold_time, mask)
        y = self.layer.call(inner_inputs, **kwargs)
        return call_op(_unfold_time, y, inputs)

    def compute_mask(self, inputs, mask=None):
        """The output mask, from the input mask and the inner layer.

        With a fixed batch size, the input mask. Otherwise the inner layer's mask for all
        timesteps (e.g. an inner `Masking` layer), reshaped back to `(samples, time, ...)`;
        when the inner layer gives none, the input mask reduced to `(samples, time)`.
        """
        if self._batch_size:
            return mask
        # The reshapes take their sizes from the tensors when they run: on symbolic inputs
        # the sample and time sizes may be unknown (`None`).
        inner_mask = mask
        if inner_mask is not None:
            inner_mask = call_op(_fold_time, mask)
        inner_inputs = call_op(_fold_time, inputs)
        output_mask = self.layer.compute_mask(inner_inputs, inner_mask)
        if output_mask is None:
            if mask is None:
                return None
            output_mask = mask
            for _ in range(min(2, len(K.int_shape(mask))) - 1):
                output_mask = K.any(output_mask, axis=-1)
            return output_mask
        return call_op(_unfold_time, output_mask, inputs)


class Bidirectional(Wrapper):
    """Bidirectional wrapper for RNNs: runs the layer forwards and a copy of it backwards, and
    merges their outputs.

    The backward layer is built from the forward layer's config with `go_backwards` flipped;
    its output sequence is reversed back before merging. Weights come forward layer first,
    then backward layer.

    # Arguments
        layer: a recurrent layer instance (`RNN`, `LSTM`, `GRU`, `CuDNNLSTM`, ...).
        merge_mode: how the two outputs are combined: `'concat'` (default), `'sum'`, `'mul'`,
            `'ave'`, or `None` (a list of both outputs).
        weights: optional initial weights, forward layer's then backward layer's.

    # Raises
        ValueError: for an invalid `merge_mode`.

    # Examples

    ```python
        model = Sequential()
        model.add(Bidirectional(LSTM(10, return_sequences=True), input_shape=(5, 10)))
        model.add(Bidirectional(LSTM(10)))
        model.add(Dense(5))
        model.add(Activation('softmax'))
        model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    ```
    """

    def __init__(self, layer, merge_mode='concat', weights=None, **kwargs):
        layer_arguments.one_of(self, 'merge_mode', merge_mode,
                               ('sum', 'mul', 'ave', 'concat', None))
        if not isinstance(layer, Layer) or not hasattr(layer, 'return_sequences'):
            layer_arguments.refuse(self, 'layer', layer, 'a recurrent layer instance (e.g. '
                                   '`LSTM(8)`)', layer_arguments.ArgumentTypeError)
        self.forward_layer = copy.copy(layer)
        config = layer.get_config()
        config['go_backwards'] = not config['go_backwards']
        self.backward_layer = layer.__class__.from_config(config)
        self.forward_layer.name = 'forward_' + self.forward_layer.name
        self.backward_layer.name = 'backward_' + self.backward_layer.name
        self.merge_mode = merge_mode
        if weights:
            count = len(weights)
            self.forward_layer._initial_weights = weights[:count // 2]
            self.backward_layer._initial_weights = weights[count // 2:]
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._trainable = True
        super(Bidirectional, self).__init__(layer, **kwargs)
        self.stateful = layer.stateful
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self._num_constants = None
        self._layer_takes = {name: has_arg(layer.call, name)
                             for name in ('training', 'mask', 'constants', 'initial_state')}

    @property
    def _sublayers(self):
        return [self.forward_layer, self.backward_layer]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = value
        if hasattr(self, 'backward_layer'):
            self.forward_layer.trainable = value
            self.backward_layer.trainable = value

    def get_weights(self):
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights):
        count = len(weights)
        self.forward_layer.set_weights(weights[:count // 2])
        self.backward_layer.set_weights(weights[count // 2:])

    def compute_output_shape(self, input_shape):
        output_shape = self.forward_layer.compute_output_shape(input_shape)
        if self.return_state:
            state_shape = output_shape[1:]
            output_shape = output_shape[0]
        if self.merge_mode == 'concat':
            output_shape = list(output_shape)
            output_shape[-1] *= 2
            output_shape = tuple(output_shape)
        elif self.merge_mode is None:
            output_shape = [output_shape, copy.copy(output_shape)]
        if self.return_state:
            if self.merge_mode is None:
                return output_shape + state_shape + copy.copy(state_shape)
            return [output_shape] + state_shape + copy.copy(state_shape)
        return output_shape

    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        inputs, initial_state, constants = _standardize_args(inputs, initial_state, constants,
                                                             self._num_constants)
        if initial_state is None and constants is None:
            return super(Bidirectional, self).__call__(inputs, **kwargs)

        additional_inputs, additional_specs = [], []
        if initial_state is not None:
            num_states = len(initial_state)
            if num_states % 2 > 0:
                raise ValueError('When passing `initial_state` to a Bidirectional RNN, the '
                                 'state should be a list containing the states of the '
                                 'underlying RNNs. Found: ' + str(initial_state))
            additional_inputs += initial_state
            state_specs = [InputSpec(shape=K.int_shape(state)) for state in initial_state]
            self.forward_layer.state_spec = state_specs[:num_states // 2]
            self.backward_layer.state_spec = state_specs[num_states // 2:]
            additional_specs += state_specs
        if constants is not None:
            additional_inputs += constants
            constants_spec = [InputSpec(shape=K.int_shape(constant)) for constant in constants]
            self.forward_layer.constants_spec = constants_spec
            self.backward_layer.constants_spec = constants_spec
            additional_specs += constants_spec
            self._num_constants = len(constants)
            self.forward_layer._num_constants = self._num_constants
            self.backward_layer._num_constants = self._num_constants

        is_keras_tensor = isinstance(additional_inputs[0], K.KerasTensor)
        for tensor in additional_inputs:
            if isinstance(tensor, K.KerasTensor) != is_keras_tensor:
                raise ValueError('The initial state of a Bidirectional layer cannot be '
                                 'specified with a mix of Keras tensors and non-Keras tensors '
                                 '(a "Keras tensor" is a tensor that was returned by a Keras '
                                 'layer, or by `Input`)')
        if is_keras_tensor:
            full_input = [inputs] + additional_inputs
            original_input_spec = self.input_spec
            self.input_spec = list(original_input_spec) + additional_specs
            try:
                return super(Bidirectional, self).__call__(full_input, **kwargs)
            finally:
                self.input_spec = original_input_spec
        if initial_state is not None:
            kwargs['initial_state'] = initial_state
        if constants is not None:
            kwargs['constants'] = constants
        return super(Bidirectional, self).__call__(inputs, **kwargs)

    def build(self, input_shape):
        _build_wrapped(self.forward_layer, self.name + '/' + self.forward_layer.name,
                       input_shape)
        _build_wrapped(self.backward_layer, self.name + '/' + self.backward_layer.name,
                       input_shape)
        self.built = True

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        takes = self._layer_takes
        kwargs = {}
        if takes['training']:
            kwargs['training'] = training
        if takes['mask']:
            kwargs['mask'] = mask
        if isinstance(inputs, list):
            # States and constants recorded as inputs of the node (see `__call__`).
            extra = inputs[1:]
            inputs = inputs[0]
            if self._num_constants:
                constants = extra[len(extra) - self._num_constants:]
                extra = extra[:len(extra) - self._num_constants]
            if extra:
                initial_state = extra
            if isinstance(mask, list):
                mask = mask[0]
                if takes['mask']:
                    kwargs['mask'] = mask
        if takes['constants'] and constants is not None:
            kwargs['constants'] = constants

        if initial_state is not None and takes['initial_state']:
            half = len(initial_state) // 2
            y = self.forward_layer.call(inputs, initial_state=initial_state[:half], **kwargs)
            y_rev = self.backward_layer.call(inputs, initial_state=initial_state[half:],
                                             **kwargs)
        else:
            y = self.forward_layer.call(inputs, **kwargs)
            y_rev = self.backward_layer.call(inputs, **kwargs)

        if self.return_state:
            states = y[1:] + y_rev[1:]
            y = y[0]
            y_rev = y_rev[0]

        if self.return_sequences:
            y_rev = K.reverse(y_rev, 1)
        if self.merge_mode == 'concat':
            output = K.concatenate([y, y_rev])
        elif self.merge_mode == 'sum':
            output = y + y_rev
        elif self.merge_mode == 'ave':
            output = (y + y_rev) / 2
        elif self.merge_mode == 'mul':
            output = y * y_rev
        else:
            output = [y, y_rev]

        if self.return_state:
            if self.merge_mode is None:
                return output + states
            return [output] + states
        return output

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def compute_mask(self, inputs, mask):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if not self.merge_mode else mask
        else:
            output_mask = [None, None] if not self.merge_mode else None
        if self.return_state:
            state_mask = [None for _ in self.forward_layer.states]
            if isinstance(output_mask, list):
                return output_mask + state_mask * 2
            return [output_mask] + state_mask * 2
        return output_mask

    @property
    def trainable_weights(self):
        return self.forward_layer.trainable_weights + self.backward_layer.trainable_weights

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        return (self.forward_layer.non_trainable_weights +
                self.backward_layer.non_trainable_weights)

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    @property
    def updates(self):
        return list(self.forward_layer.updates) + list(self.backward_layer.updates)

    def get_updates_for(self, inputs=None):
        forward_updates = self.forward_layer.get_updates_for(inputs)
        backward_updates = self.backward_layer.get_updates_for(inputs)
        return (super(Wrapper, self).get_updates_for(inputs) + forward_updates +
                backward_updates)

    @property
    def losses(self):
        return list(self.forward_layer.losses) + list(self.backward_layer.losses)

    def get_losses_for(self, inputs=None):
        forward_losses = self.forward_layer.get_losses_for(inputs)
        backward_losses = self.backward_layer.get_losses_for(inputs)
        return (super(Wrapper, self).get_losses_for(inputs) + forward_losses +
                backward_losses)

    def get_config(self):
        config = {'merge_mode': self.merge_mode}
        if self._num_constants is not None:
            config['num_constants'] = self._num_constants
        base_config = super(Bidirectional, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        rnn_layer = deserialize_layer(config.pop('layer'), custom_objects=custom_objects)
        num_constants = config.pop('num_constants', None)
        layer = cls(rnn_layer, **config)
        layer._num_constants = num_constants
        return layer
