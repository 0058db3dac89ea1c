"""The ImageNet architectures against keras_applications 1.0.6 (Keras 2.2.4): parameter
counts (total / trainable / non-trainable), number of layers, key layer names, model names,
output shapes with and without the top, and a prediction at the smallest input size.

Each model with its top is built once (module-scoped fixture); the largest ones are only
counted, not run, to keep the suite fast.
"""
import warnings

import numpy as np
import pytest

from cornu import applications
from cornu.layers import Input, Lambda
from cornu.utils.layer_utils import count_params

# name: (builder kwargs, total, trainable, non-trainable, number of layers, model name,
#        layer names that must exist, whether to run a prediction)
ARCHITECTURES = {
    'VGG16': (dict(), 138357544, 138357544, 0, 23, 'vgg16',
              ['block1_conv1', 'block3_conv3', 'block5_pool', 'flatten', 'fc1', 'fc2',
               'predictions'], False),
    'VGG19': (dict(), 143667240, 143667240, 0, 26, 'vgg19',
              ['block3_conv4', 'block4_conv4', 'block5_conv4', 'fc2', 'predictions'], False),
    'ResNet50': (dict(input_shape=(32, 32, 3)), 25636712, 25583592, 53120, 177, 'resnet50',
                 ['conv1_pad', 'conv1', 'bn_conv1', 'pool1_pad', 'res2a_branch1',
                  'bn2a_branch1', 'res4f_branch2c', 'bn5c_branch2c', 'avg_pool', 'fc1000'],
                 True),
    'InceptionV3': (dict(input_shape=(75, 75, 3)), 23851784, 23817352, 34432, 313,
                    'inception_v3',
                    ['mixed0', 'mixed3', 'mixed7', 'mixed9_0', 'mixed9_1', 'mixed10',
                     'avg_pool', 'predictions'], True),
    'InceptionResNetV2': (dict(input_shape=(75, 75, 3)), 55873736, 55813192, 60544, 782,
                          'inception_resnet_v2',
                          ['mixed_5b', 'block35_1_mixed', 'block35_10_conv', 'block35_10',
                           'block35_10_ac', 'mixed_6a', 'block17_20_ac', 'mixed_7a',
                           'block8_9_ac', 'block8_10', 'conv_7b', 'conv_7b_bn', 'conv_7b_ac',
                           'avg_pool', 'predictions'], True),
    'Xception': (dict(input_shape=(71, 71, 3)), 22910480, 22855952, 54528, 134, 'xception',
                 ['block1_conv1', 'block1_conv2_act', 'block2_sepconv1_bn',
                  'block2_sepconv2_act', 'block2_pool', 'block5_sepconv1_act',
                  'block12_sepconv3_bn', 'block13_pool', 'block14_sepconv2_act', 'avg_pool',
                  'predictions'], True),
    'MobileNet': (dict(input_shape=(32, 32, 3)), 4253864, 4231976, 21888, 93,
                  'mobilenet_1.00_32',
                  ['conv1_pad', 'conv1', 'conv1_bn', 'conv1_relu', 'conv_dw_1', 'conv_pad_2',
                   'conv_pw_13_relu', 'reshape_1', 'dropout', 'conv_preds', 'act_softmax',
                   'reshape_2'], True),
    'MobileNetV2': (dict(input_shape=(32, 32, 3)), 3538984, 3504872, 34112, 157,
                    'mobilenetv2_1.00_32',
                    ['Conv1_pad', 'Conv1', 'bn_Conv1', 'Conv1_relu',
                     'expanded_conv_depthwise', 'expanded_conv_project_BN', 'block_1_pad',
                     'block_2_add', 'block_16_project_BN', 'Conv_1', 'Conv_1_bn', 'out_relu',
                     'Logits'], True),
    'DenseNet121': (dict(input_shape=(32, 32, 3)), 8062504, 7978856, 83648, 429,
                    'densenet121',
                    ['conv1/conv', 'conv1/bn', 'conv1/relu', 'pool1', 'conv2_block1_0_bn',
                     'conv2_block6_concat', 'pool2_conv', 'pool4_pool',
                     'conv5_block16_concat', 'bn', 'relu', 'avg_pool', 'fc1000'], True),
    'DenseNet169': (dict(input_shape=(32, 32, 3)), 14307880, 14149480, 158400, 597,
                    'densenet169', ['conv4_block32_concat', 'conv5_block32_concat', 'fc1000'],
                    False),
    'DenseNet201': (dict(input_shape=(32, 32, 3)), 20242984, 20013928, 229056, 709,
                    'densenet201', ['conv4_block48_concat', 'conv5_block32_concat', 'fc1000'],
                    False),
    'NASNetMobile': (dict(input_shape=(32, 32, 3)), 5326716, 5289978, 36738, 771, 'NASNet',
                     ['stem_conv1', 'stem_bn1', 'separable_conv_1_pad_reduction_left1_stem_1',
                      'reduction_concat_stem_1', 'adjust_bn_stem_2', 'normal_concat_0',
                      'normal_concat_3', 'reduction_concat_reduce_4', 'normal_concat_5',
                      'reduction_concat_reduce_8', 'normal_concat_12', 'predictions'], True),
    'NASNetLarge': (dict(input_shape=(32, 32, 3)), 88949818, 88753150, 196668, 1041, 'NASNet',
                    ['normal_concat_5', 'reduction_concat_reduce_6', 'normal_concat_7',
                     'reduction_concat_reduce_12', 'normal_concat_18', 'predictions'], False),
}


@pytest.fixture(scope='module', params=sorted(ARCHITECTURES))
def built(request):
    """`(name, model with its top, random weights)`, built once per architecture."""
    name = request.param
    kwargs = ARCHITECTURES[name][0]
    return name, getattr(applications, name)(weights=None, **kwargs)


def test_parameter_counts(backend, built):
    name, model = built
    _, total, trainable, non_trainable, n_layers, model_name, _, _ = ARCHITECTURES[name]
    assert model.count_params() == total
    assert count_params(model.trainable_weights) == trainable
    assert count_params(model.non_trainable_weights) == non_trainable
    assert len(model.layers) == n_layers
    assert model.name == model_name


def test_layer_names(backend, built):
    name, model = built
    layer_names = [layer.name for layer in model.layers]
    assert len(set(layer_names)) == len(layer_names)
    missing = [n for n in ARCHITECTURES[name][6] if n not in layer_names]
    assert missing == []
    assert model.layers[-1].name == ARCHITECTURES[name][6][-1]


def test_predict_at_smallest_input(backend, built):
    name, model = built
    if not ARCHITECTURES[name][7]:
        pytest.skip('counted only: too large to run in the unit tests')
    if backend.backend() == 'jax' and len(model.layers) > 320:
        pytest.skip('compiling a graph of 400+ layers with XLA takes ~10 s')
    x = np.random.uniform(-1, 1, (2,) + model.input_shape[1:]).astype('float32')
    preds = model.predict(x, batch_size=2)
    assert preds.shape == (2, 1000)
    np.testing.assert_allclose(preds.sum(axis=1), 1., rtol=1e-4)


# Output shapes of some layers at the input size the models are built with above.
LAYER_SHAPES = {
    'VGG16': {'input_1': (None, 224, 224, 3), 'block5_pool': (None, 7, 7, 512),
              'flatten': (None, 25088), 'fc1': (None, 4096)},
    'ResNet50': {'conv1_pad': (None, 38, 38, 3), 'pool1_pad': (None, 18, 18, 64),
                 'bn5c_branch2c': (None, 1, 1, 2048)},
    'InceptionV3': {'mixed2': (None, 7, 7, 288), 'mixed7': (None, 3, 3, 768)},
    'MobileNet': {'conv_pw_13_relu': (None, 1, 1, 1024), 'reshape_1': (None, 1, 1, 1024)},
    'MobileNetV2': {'block_1_pad': (None, 17, 17, 96), 'out_relu': (None, 1, 1, 1280)},
    'NASNetMobile': {'normal_concat_3': (None, 4, 4, 264),
                     'normal_concat_12': (None, 1, 1, 1056)},
}


def test_output_shapes(backend, built):
    name, model = built
    assert model.output_shape == (None, 1000)
    for layer_name, shape in LAYER_SHAPES.get(name, {}).items():
        assert model.get_layer(layer_name).output_shape == shape, layer_name


# ------------------------------------------------------------------------------------------
# Without the top
# ------------------------------------------------------------------------------------------

# name: (builder kwargs, feature map shape at that input size)
FEATURES = {
    'VGG16': (dict(input_shape=(32, 32, 3)), (1, 1, 512)),
    'MobileNet': (dict(input_shape=(32, 32, 3), alpha=0.25), (1, 1, 256)),
    'MobileNetV2': (dict(input_shape=(32, 32, 3), alpha=0.35), (1, 1, 1280)),
}


@pytest.mark.parametrize('name', sorted(FEATURES))
@pytest.mark.parametrize('pooling', [None, 'avg', 'max'])
def test_pooling_output_shapes(backend, name, pooling):
    kwargs, features = FEATURES[name]
    model = getattr(applications, name)(weights=None, include_top=False, pooling=pooling,
                                        **kwargs)
    expected = (None,) + (features if pooling is None else features[-1:])
    assert model.output_shape == expected
    x = np.random.uniform(-1, 1, (2,) + model.input_shape[1:]).astype('float32')
    assert model.predict(x).shape == (2,) + expected[1:]


@pytest.mark.parametrize('name, kwargs, output_shape', [
    ('ResNet50', dict(input_shape=(64, 64, 3)), (None, 2, 2, 2048)),
    ('InceptionV3', dict(), (None, None, None, 2048)),
    ('Xception', dict(input_shape=(71, 71, 3)), (None, 3, 3, 2048)),
    ('NASNetMobile', dict(input_shape=(32, 32, 3), pooling='max'), (None, 1056)),
])
def test_feature_extractors(backend, name, kwargs, output_shape):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = getattr(applications, name)(weights=None, include_top=False, **kwargs)
    assert model.output_shape == output_shape
    if name == 'ResNet50':
        assert 'The output shape of `ResNet50(include_top=False)` has been changed since ' \
            'Keras 2.2.0.' in [str(w.message) for w in caught]
        assert [layer.name for layer in model.layers][-1] == 'activation_49'


def test_densenet_pooling_layers_are_named(backend):
    model = applications.DenseNet121(weights=None, include_top=False,
                                     input_shape=(32, 32, 3), pooling='max')
    assert model.layers[-1].name == 'max_pool'
    assert model.output_shape == (None, 1024)


def test_classes_and_custom_input_without_weights(backend):
    model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(40, 48, 3),
                                     classes=7)
    assert model.input_shape == (None, 40, 48, 3)
    assert model.output_shape == (None, 7)
    assert model.name == 'mobilenetv2_0.35_40'


def test_input_tensor_keeps_the_layers_before_it(backend):
    inputs = Input((32, 32, 3))
    scaled = Lambda(lambda t: t * 2.)(inputs)
    model = applications.MobileNet(weights=None, alpha=0.25, include_top=False,
                                   input_tensor=scaled, pooling='avg')
    assert model.inputs == [inputs]
    assert model.layers[1].name == 'lambda_1'
    x = np.random.uniform(-1, 1, (2, 32, 32, 3)).astype('float32')
    assert model.predict(x).shape == (2, 256)


def test_channels_first_vgg16(backend):
    backend.set_image_data_format('channels_first')
    try:
        model = applications.VGG16(weights=None, include_top=False, input_shape=(3, 32, 32))
        assert model.output_shape == (None, 512, 1, 1)
        x = np.random.uniform(-1, 1, (1, 3, 32, 32)).astype('float32')
        assert model.predict(x).shape == (1, 512, 1, 1)
    finally:
        backend.set_image_data_format('channels_last')


def test_channels_last_only_models_warn_and_restore_the_format(backend):
    backend.set_image_data_format('channels_first')
    try:
        with pytest.warns(UserWarning, match='The MobileNet family of models is only '
                                             'available for the input data format'):
            model = applications.MobileNet(weights=None, alpha=0.25, include_top=False)
        assert backend.image_data_format() == 'channels_first'
        assert model.input_shape == (None, None, None, 3)
        with pytest.warns(UserWarning, match='The NASNet family'):
            with pytest.raises(ValueError, match='divisible by 24'):
                applications.nasnet.NASNet(penultimate_filters=100, include_top=False)
        assert backend.image_data_format() == 'channels_first'
    finally:
        backend.set_image_data_format('channels_last')
