"""The `weights` argument of the ImageNet models as in Keras 2.2.4: its errors, loading Keras'
weight files by their Keras names from a Keras cache (a temporary one, filled with files
saved by cornu), loading from a path, and the error when the file is neither cached nor
downloadable."""
import urllib.error

import numpy as np
import pytest

from cornu import applications
from cornu.applications import densenet, imagenet_utils
from cornu.utils import data_utils

WEIGHTS_MESSAGE = ('The `weights` argument should be either `None` (random initialization), '
                   '`imagenet` (pre-training on ImageNet), or the path to the weights file to '
                   'be loaded.')
CLASSES_MESSAGE = ('If using `weights` as `"imagenet"` with `include_top` as true, `classes` '
                   'should be 1000')
ALL_MODELS = ['VGG16', 'VGG19', 'ResNet50', 'InceptionV3', 'InceptionResNetV2', 'Xception',
              'MobileNet', 'MobileNetV2', 'DenseNet121', 'DenseNet169', 'DenseNet201',
              'NASNetMobile', 'NASNetLarge']


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """An empty Keras cache (`$KERAS_HOME`) whose files cannot be downloaded: returns its
    `models/` directory."""
    monkeypatch.setenv('KERAS_HOME', str(tmp_path))

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError('no network in the tests')

    monkeypatch.setattr(data_utils, 'urlopen', offline)
    models_dir = tmp_path / 'models'
    models_dir.mkdir()
    return models_dir


@pytest.mark.parametrize('name', ALL_MODELS)
def test_weights_argument_errors(backend, name, tmp_path):
    model_fn = getattr(applications, name)
    for weights in ('imagenet_v2', str(tmp_path / 'missing.h5'), 1.5):
        with pytest.raises(ValueError) as error:
            model_fn(weights=weights)
        assert str(error.value) == WEIGHTS_MESSAGE
    with pytest.raises(ValueError) as error:
        model_fn(weights='imagenet', classes=10)
    assert str(error.value) == CLASSES_MESSAGE


@pytest.mark.parametrize('call, message', [
    (lambda: applications.ResNet50(weights=None, include_top=False, input_shape=(31, 64, 3)),
     'Input size must be at least 32x32; got `input_shape=(31, 64, 3)`'),
    (lambda: applications.InceptionV3(weights=None, input_shape=(74, 74, 3)),
     'Input size must be at least 75x75; got `input_shape=(74, 74, 3)`'),
    (lambda: applications.Xception(weights=None, input_shape=(70, 70, 3)),
     'Input size must be at least 71x71; got `input_shape=(70, 70, 3)`'),
    (lambda: applications.VGG19(input_shape=(200, 200, 3)),
     'When setting`include_top=True` and loading `imagenet` weights, `input_shape` should '
     'be (224, 224, 3).'),
    (lambda: applications.VGG16(weights=None, input_shape=(None, None, 3)),
     'If `include_top` is True, you should specify a static `input_shape`. Got '
     '`input_shape=(None, None, 3)`'),
    (lambda: applications.MobileNet(alpha=0.3, include_top=False),
     'If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or '
     '`1.0` only.'),
    (lambda: applications.MobileNet(depth_multiplier=2, include_top=False),
     'If imagenet weights are being loaded, depth multiplier must be 1'),
    (lambda: applications.MobileNet(include_top=False, input_shape=(100, 100, 3)),
     'If imagenet weights are being loaded, input must have a static square shape (one of '
     '(128, 128), (160, 160), (192, 192), or (224, 224)). Input shape provided = '
     '(100, 100, 3)'),
    (lambda: applications.MobileNetV2(alpha=0.25, include_top=False),
     'If imagenet weights are being loaded, alpha can be one of `0.35`, `0.50`, `0.75`, '
     '`1.0`, `1.3` or `1.4` only.'),
    (lambda: applications.MobileNetV2(include_top=False, input_shape=(100, 100, 3)),
     'If imagenet weights are being loaded, input must have a static square shape(one of '
     '(96, 96), (128, 128), (160, 160),(192, 192), or (224, 224)).Input shape provided = '
     '(100, 100, 3)'),
    (lambda: applications.NASNetMobile(include_top=False, input_shape=(None, 224, 3)),
     'When specifying the input shape of a NASNet and loading `ImageNet` weights, the '
     'input_shape argument must be static (no None entries). Got: '
     '`input_shape=(None, 224, 3)`.'),
    (lambda: applications.inception_resnet_v2.inception_resnet_block(None, 1., 'block9', 1),
     'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", but '
     'got: block9'),
])
def test_argument_errors(backend, call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value) == message


def perturbed(model, seed=0):
    """Gives every weight of `model` distinct random values; returns them."""
    rng = np.random.RandomState(seed)
    values = [rng.normal(size=w.shape).astype('float32') for w in model.get_weights()]
    for batch_norm_variance in [v for v, w in zip(values, model.weights)
                                if 'moving_variance' in w.name]:
        np.abs(batch_norm_variance, out=batch_norm_variance)
    model.set_weights(values)
    return values


def assert_same_weights(model, values):
    loaded = model.get_weights()
    assert len(loaded) == len(values)
    for got, want in zip(loaded, values):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('include_top, fname', [
    (True, 'mobilenet_2_5_128_tf.h5'),
    (False, 'mobilenet_2_5_128_tf_no_top.h5'),
])
def test_imagenet_weights_come_from_the_keras_cache(backend, keras_cache, include_top, fname):
    source = applications.MobileNet(alpha=0.25, input_shape=(128, 128, 3), weights=None,
                                    include_top=include_top)
    values = perturbed(source)
    source.save_weights(str(keras_cache / fname))

    # A new session: other automatic layer names, same architecture.
    backend.clear_session()
    model = applications.MobileNet(alpha=0.25, input_shape=(128, 128, 3),
                                   include_top=include_top)
    assert model.name == 'mobilenet_0.25_128'
    assert_same_weights(model, values)
    x = np.random.uniform(-1, 1, (1, 128, 128, 3)).astype('float32')
    np.testing.assert_allclose(model.predict(x), source.predict(x), rtol=1e-5, atol=1e-6)


def test_mobilenet_v2_file_name_and_undefined_size(backend, keras_cache):
    source = applications.MobileNetV2(alpha=0.35, weights=None, include_top=False,
                                      input_shape=(96, 96, 3))
    values = perturbed(source, seed=1)
    source.save_weights(str(keras_cache /
                            'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5'))
    model = applications.MobileNetV2(alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    assert_same_weights(model, values)

    # Without a static size, the 224 weights are asked for (with Keras' warning).
    with pytest.warns(UserWarning, match='MobileNet shape is undefined'):
        with pytest.raises(IOError, match='mobilenet_v2_weights_tf_dim_ordering_tf_kernels_'
                                          '0.35_224_no_top.h5'):
            applications.MobileNetV2(alpha=0.35, include_top=False)


def test_weights_from_a_path(backend, tmp_path):
    source = applications.MobileNet(alpha=0.25, input_shape=(32, 32, 3), weights=None,
                                    include_top=False, pooling='avg')
    values = perturbed(source)
    path = str(tmp_path / 'my_weights.h5')
    source.save_weights(path)
    model = applications.MobileNet(alpha=0.25, input_shape=(32, 32, 3), weights=path,
                                   include_top=False, pooling='avg')
    assert_same_weights(model, values)


def test_no_cache_and_no_network_gives_get_files_error(backend, keras_cache):
    with pytest.raises(IOError) as error:
        applications.MobileNet(alpha=0.25, input_shape=(128, 128, 3))
    message = str(error.value)
    assert ('https://github.com/fchollet/deep-learning-models/releases/download/v0.6/'
            'mobilenet_2_5_128_tf.h5') in message
    assert str(keras_cache / 'mobilenet_2_5_128_tf.h5') in message
    assert list(keras_cache.iterdir()) == []


def test_hashed_weight_files_are_asked_for_by_keras_name(backend, monkeypatch):
    calls = []

    def fake_get_file(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        raise KeyboardInterrupt  # stop before loading

    monkeypatch.setattr(imagenet_utils.data_utils, 'get_file', fake_get_file)
    with pytest.raises(KeyboardInterrupt):
        densenet.DenseNet121(include_top=False, input_shape=(32, 32, 3))
    assert calls == [('densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5',
                      'https://github.com/keras-team/keras-applications/releases/download/'
                      'densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5',
                      {'cache_subdir': 'models',
                       'file_hash': '30ee3e1110167f948a6b9946edeeb738'})]


def test_densenet_blocks_without_imagenet_weights(backend):
    with pytest.raises(ValueError, match=r'ImageNet weights exist only for'):
        densenet.DenseNet([2, 2, 2, 2], include_top=False)
    model = densenet.DenseNet([1, 1, 1, 1], weights=None, include_top=False,
                              input_shape=(32, 32, 3), pooling='avg')
    assert model.name == 'densenet'
    # 64 -> +32 -> /2 -> +32 -> /2 -> +32 -> /2 -> +32 channels
    assert model.output_shape == (None, 68)


def test_keras_2_1_mobilenet_names(backend):
    from cornu.layers import DepthwiseConv2D
    assert applications.mobilenet.DepthwiseConv2D is DepthwiseConv2D
    x = backend.constant(np.array([-1., 3., 7.], dtype='float32'))
    np.testing.assert_allclose(backend.eval(applications.mobilenet.relu6(x)), [0., 3., 6.])
