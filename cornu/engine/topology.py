"""Legacy module path (Keras 2.0/2.1): `from keras.engine.topology import Layer, Input, ...`."""
from .input_spec import InputSpec
from .node import Node
from .base_layer import Layer
from .input_layer import Input, InputLayer
from .network import Network as Container
from .network import Network
from .._common.layer_utils import get_source_inputs
from .saving import model_from_config, model_from_json, model_from_yaml

__all__ = ['InputSpec', 'Node', 'Layer', 'Input', 'InputLayer', 'Container', 'Network',
           'get_source_inputs', 'model_from_config', 'model_from_json', 'model_from_yaml']
