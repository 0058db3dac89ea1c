"""The engine: layers, the functional graph, models and the training loop."""
from .input_spec import InputSpec
from .node import Node
from .base_layer import Layer
from .input_layer import Input, InputLayer
from .network import Network
from .training import Model
from .sequential import Sequential
from .._common.layer_utils import get_source_inputs
from . import ops  # registers K's symbolic-op recorder and K.function
from .._common import serialization as _serialization

# Model configs name these classes; `cornu.layers` registers the layers.
_serialization.register_classes({'Model': Model, 'Sequential': Sequential})

__all__ = ['InputSpec', 'Node', 'Layer', 'Input', 'InputLayer', 'Network', 'Model',
           'Sequential', 'get_source_inputs']
