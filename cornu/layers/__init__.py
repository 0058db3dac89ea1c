"""`cornu.layers`: every Keras 2 layer, importable from here or from its family module."""
from ..utils.generic_utils import deserialize_keras_object
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ..engine.input_layer import Input, InputLayer
from .core import (Dense, Activation, Dropout, SpatialDropout1D, SpatialDropout2D,
                   SpatialDropout3D, Flatten, Reshape, Permute, RepeatVector, Lambda,
                   ActivityRegularization, Masking)
from .convolutional import (Conv1D, Conv2D, Conv3D, Conv2DTranspose, Conv3DTranspose,
                            SeparableConv1D, SeparableConv2D, DepthwiseConv2D, UpSampling1D,
                            UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                            ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D, Convolution1D,
                            Convolution2D, Convolution3D, SeparableConvolution1D,
                            SeparableConvolution2D, Convolution2DTranspose, Deconvolution2D,
                            Deconv2D, Deconvolution3D, Deconv3D, AtrousConvolution1D,
                            AtrousConvolution2D, AtrousConv1D, AtrousConv2D)
from .pooling import (MaxPooling1D, AveragePooling1D, MaxPooling2D, AveragePooling2D,
                      MaxPooling3D, AveragePooling3D, GlobalAveragePooling1D,
                      GlobalMaxPooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                      GlobalAveragePooling3D, GlobalMaxPooling3D, AvgPool1D, MaxPool1D,
                      AvgPool2D, MaxPool2D, AvgPool3D, MaxPool3D, GlobalMaxPool1D,
                      GlobalMaxPool2D, GlobalMaxPool3D, GlobalAvgPool1D, GlobalAvgPool2D,
                      GlobalAvgPool3D)
from .embeddings import Embedding
from .merge import (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, add,
                    subtract, multiply, average, maximum, minimum, concatenate, dot)
from .advanced_activations import LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU
from .normalization import BatchNormalization
from .noise import GaussianNoise, GaussianDropout, AlphaDropout
from .local import LocallyConnected1D, LocallyConnected2D
from .recurrent import (RNN, StackedRNNCells, SimpleRNNCell, GRUCell, LSTMCell, SimpleRNN,
                        GRU, LSTM)
from .convolutional_recurrent import ConvRNN2D, ConvLSTM2DCell, ConvLSTM2D
from .cudnn_recurrent import CuDNNGRU, CuDNNLSTM
from .wrappers import Wrapper, TimeDistributed, Bidirectional
from .torch_module import TorchModuleLayer


def serialize(layer):
    """`{'class_name': ..., 'config': ...}` for a layer."""
    return {'class_name': layer.__class__.__name__, 'config': layer.get_config()}


def deserialize(config, custom_objects=None):
    """Instantiates a layer (or model) from a `{'class_name', 'config'}` dictionary.

    # Raises
        ValueError: for a class name that is neither a cornu layer nor in `custom_objects`
            (the message says how to pass it).
    """
    from .. import models
    module_objects = dict(globals())
    module_objects['Model'] = models.Model
    module_objects['Sequential'] = models.Sequential
    class_name = config.get('class_name') if isinstance(config, dict) else None
    if (class_name and class_name not in module_objects and
            class_name not in (custom_objects or {})):
        from ..utils.generic_utils import get_custom_objects
        if class_name not in get_custom_objects():
            raise ValueError('Unknown layer: ' + str(class_name) + '. If it is a custom layer, '
                             'pass its class when loading: `custom_objects={"' +
                             str(class_name) + '": ' + str(class_name) + '}` (or use '
                             '`CustomObjectScope`).')
    return deserialize_keras_object(config, module_objects=module_objects,
                                    custom_objects=custom_objects,
                                    printable_module_name='layer')
