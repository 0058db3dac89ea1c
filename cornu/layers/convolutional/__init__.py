"""Convolutional layers (`keras.layers.convolutional`): convolutions, transposed, separable
and depthwise convolutions, upsampling, zero-padding and cropping.

The family is split into focused modules (`conv`, `transpose`, `separable`, `reshaping`);
every public name is importable from here, as from Keras 2's single module — including the
pooling layers that Keras 2 re-exported here for old scripts
(`from keras.layers.convolutional import MaxPooling2D`).
"""
from .conv import (_Conv, Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D,
                   AtrousConvolution1D, AtrousConvolution2D, AtrousConv1D, AtrousConv2D)
from .transpose import (Conv2DTranspose, Conv3DTranspose, Convolution2DTranspose,
                        Deconvolution2D, Deconv2D, Deconvolution3D, Deconv3D)
from .separable import (_SeparableConv, SeparableConv1D, SeparableConv2D, DepthwiseConv2D,
                        SeparableConvolution1D, SeparableConvolution2D)
from .reshaping import (_Cropping, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
                        ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D)
# Keras 2 re-exported the pooling layers here, for old scripts.
from ..pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,  # noqa: F401,E402
                       MaxPooling1D, MaxPooling2D, MaxPooling3D)
