"""`TorchModuleLayer`: a `torch.nn.Module` used as a cornu layer (PyTorch engine only)."""
from .. import backend as K
from ..backend import kernels
from ..engine.base_layer import Layer
from ..engine import shape_inference
from ..engine.torch_interop import torch_interop


class TorchModuleLayer(Layer):
    """Wraps a `torch.nn.Module` as a layer, for Sequential and functional models.

    The module's parameters become the layer's weights, without copies: they stay the very
    tensors the module holds (their class becomes cornu's variable class, a
    `torch.nn.Parameter` subclass), so `fit` trains them, `get_weights`/`set_weights`,
    `save_weights`/`load_weights` read and write them, and the module sees every change.
    Parameters with `requires_grad=True` are trainable weights; the others, then the module's
    persistent buffers (e.g. `BatchNorm1d`'s running statistics), are non-trainable weights.
    Weights are named after the layer and the parameter, e.g. `torch_module_layer_1/0/weight:0`
    for `module[0].weight`.

    The module is moved to cornu's device when wrapped. Each call puts it in training mode in
    the training phase (`fit`) and in evaluation mode otherwise (`evaluate`, `predict`), then
    calls it on the input tensor, or on the input tensors as positional arguments when the
    layer gets a list. A module returning a tuple of tensors makes a layer with several
    outputs. Masks are not supported.

    The output shape is found by running the module on small zero-filled probes (in
    evaluation mode, without gradients) when the layer is first called on a symbolic tensor;
    give `output_shape` to skip that.

    A wrapped module has no Keras configuration: `get_config` (and so `model.save`,
    `to_json`) raises. Save the weights with `model.save_weights`, and rebuild the model in
    code (wrapping the module again) before `load_weights`.

    # Arguments
        module: the `torch.nn.Module`. Lazy modules (`LazyLinear`, ...) must have run once.
        output_shape: optional output shape without the batch axis (a tuple, or a list of
            tuples for several outputs), or a function from the full input shape to the full
            output shape.
        **kwargs: the standard layer arguments (`name`, `input_shape`, `trainable`, ...).

    # Raises
        RuntimeError: when the engine is not PyTorch.
        TypeError: when `module` is not a `torch.nn.Module`, or `output_shape` is neither a
            tuple, a list nor a function.

    # Example
    ```python
    # (user code, with torch imported)
    model = Sequential()
    model.add(TorchModuleLayer(torch.nn.Linear(8, 16), input_shape=(8,)))
    model.add(Activation('relu'))
    model.add(Dense(1))
    model.compile('sgd', 'mse')
    ```
    """

    def __init__(self, module, output_shape=None, **kwargs):
        super(TorchModuleLayer, self).__init__(**kwargs)
        self._interop = torch_interop('TorchModuleLayer')
        if not self._interop.is_module(module):
            raise TypeError('TorchModuleLayer wraps a torch.nn.Module; got %r.' % (module,))
        if output_shape is not None and not isinstance(output_shape, (tuple, list)) and \
                not callable(output_shape):
            raise TypeError('In TorchModuleLayer, `output_shape` must be a tuple, a list of '
                            'tuples or a function; got %r.' % (output_shape,))
        self.module = module
        self._output_shape = output_shape
        self._uses_learning_phase = True
        self._trainable_weights, self._non_trainable_weights = \
            self._interop.adopt_module_tensors(module, self.name)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, training=None):
        if training is None:
            training = K.learning_phase()
        # Outside of any run (phase still symbolic) Keras 2 layers behave as in test mode.
        training = False if kernels.is_symbolic(training) else bool(training)
        self._interop.set_module_mode(self.module, training)
        return self._interop.call_module(self.module, inputs)

    def _has_shape_formula(self):
        return self._output_shape is not None

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            if isinstance(input_shape, list):
                inputs = [K.KerasTensor(s) for s in input_shape]
            else:
                inputs = K.KerasTensor(input_shape)
            described = shape_inference.probe(self.call, (inputs,), {})
            if isinstance(described, list):
                return [spec[0] for spec in described]
            return described[0]
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        batch = first[0] if first else None
        shape = self._output_shape
        if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
            return [(batch,) + tuple(s) for s in shape]
        return (batch,) + tuple(shape)

    def get_config(self):
        raise NotImplementedError(
            'Layer ' + self.name + ' wraps a torch.nn.Module (' + type(self.module).__name__ +
            '), whose architecture has no Keras config, so the model cannot be saved whole '
            '(save, to_json, to_yaml, clone_model). Save its weights with '
            '`model.save_weights(path)`; to restore them, build the model again in code '
            '(wrapping a new module) and call `model.load_weights(path)`.')

    @classmethod
    def from_config(cls, config):
        raise NotImplementedError('TorchModuleLayer cannot be rebuilt from a config: it wraps '
                                  'a torch.nn.Module; build it in code.')
