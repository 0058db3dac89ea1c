"""`cornu.layers`: every Keras 2 layer, importable from here or from its family module."""
from .._common import serialization as _serialization
from .._common.serialization import deserialize_keras_object  # noqa: F401 (Keras 2 name)
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
# Keras 2.2.4 exported its legacy layers from `keras.layers` too.
from ..legacy.layers import MaxoutDense, Highway, Recurrent, ConvRecurrent2D


def serialize(layer):
    """`{'class_name': ..., 'config': ...}` for a layer."""
    return {'class_name': layer.__class__.__name__, 'config': layer.get_config()}


def deserialize(config, custom_objects=None):
    """Instantiates a layer (or model) from a `{'class_name', 'config'}` dictionary.

    # Arguments
        config: the dictionary.
        custom_objects: dict mapping names of user classes and functions to them; they take
            precedence over the global custom objects, which take precedence over cornu's
            layers and models.

    # Returns
        A layer (or model) instance.

    # Raises
        ValueError: for a class name that is neither a cornu layer nor in `custom_objects`
            (the message says how to pass it).
    """
    return _serialization.deserialize_layer(config, custom_objects=custom_objects)


# The catalogue, by the names configs use (legacy aliases included): the engine rebuilds layers
# from configs through this registry, never by importing this package.
_serialization.register_classes({name: value for name, value in globals().items()
                                 if isinstance(value, type)})
