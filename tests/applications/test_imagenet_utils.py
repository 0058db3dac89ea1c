"""`cornu.applications.imagenet_utils` against Keras 2.2.4: preprocessing modes against NumPy
formulas (arrays in place, tensors, symbolic tensors, both data formats), decoding with a
class index file in a temporary Keras cache, and the input-shape rules and messages."""
import hashlib
import json
import warnings

import numpy as np
import pytest

from cornu.applications import imagenet_utils
from cornu.applications import (densenet, inception_resnet_v2, inception_v3, mobilenet,
                                mobilenet_v2, mobilenetv2, nasnet, resnet50, vgg16, vgg19,
                                xception)
from cornu.applications.imagenet_utils import (_obtain_input_shape, decode_predictions,
                                               preprocess_input)
from cornu.layers import Input

CAFFE_MEAN = np.array([103.939, 116.779, 123.68])
TORCH_MEAN = np.array([0.485, 0.456, 0.406])
TORCH_STD = np.array([0.229, 0.224, 0.225])


def images(*shape):
    return np.random.uniform(0, 255, shape)


def expected(x, mode, data_format):
    """The Keras 2.2.4 formulas, written with the channel axis moved last."""
    if data_format == 'channels_first':
        x = np.moveaxis(x, -3, -1)
    if mode == 'tf':
        y = x / 127.5 - 1.
    elif mode == 'torch':
        y = (x / 255. - TORCH_MEAN) / TORCH_STD
    else:
        y = x[..., ::-1] - CAFFE_MEAN
    if data_format == 'channels_first':
        y = np.moveaxis(y, -1, -3)
    return y


@pytest.mark.parametrize('mode', ['caffe', 'tf', 'torch'])
@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
@pytest.mark.parametrize('batch', [True, False])
def test_preprocess_numpy_matches_formulas(backend, mode, data_format, batch):
    shape = (2, 4, 5, 3) if data_format == 'channels_last' else (2, 3, 4, 5)
    x = images(*shape)
    if not batch:
        x = x[0]
    out = preprocess_input(np.copy(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(out, expected(x, mode, data_format), rtol=1e-6, atol=1e-5)


def test_preprocess_default_mode_and_format_follow_keras(backend):
    x = images(2, 4, 4, 3)
    np.testing.assert_allclose(preprocess_input(np.copy(x)),
                               expected(x, 'caffe', 'channels_last'), atol=1e-5)
    backend.set_image_data_format('channels_first')
    try:
        x = images(2, 3, 4, 4)
        np.testing.assert_allclose(preprocess_input(np.copy(x)),
                                   expected(x, 'caffe', 'channels_first'), atol=1e-5)
    finally:
        backend.set_image_data_format('channels_last')


def test_preprocess_integer_input_becomes_floatx(backend):
    x = np.random.randint(0, 256, size=(2, 3, 3, 3)).astype('uint8')
    out = preprocess_input(x, mode='torch')
    assert out.dtype == np.dtype(backend.floatx())
    np.testing.assert_allclose(out, expected(x.astype('float64'), 'torch', 'channels_last'),
                               rtol=1e-5, atol=1e-5)


def test_preprocess_float_input_is_written_in_place(backend):
    x = images(1, 2, 2, 3)
    out = preprocess_input(x, mode='tf')
    assert out is x


def test_preprocess_rejects_unknown_data_format(backend):
    with pytest.raises(ValueError, match='Unknown data_format channels_middle'):
        preprocess_input(images(1, 2, 2, 3), data_format='channels_middle')


@pytest.mark.parametrize('mode', ['caffe', 'tf', 'torch'])
@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_preprocess_tensors_match_numpy(backend, mode, data_format):
    shape = (2, 4, 5, 3) if data_format == 'channels_last' else (2, 3, 4, 5)
    x = images(*shape).astype('float32')
    reference = expected(x.astype('float64'), mode, data_format)

    eager = preprocess_input(backend.constant(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(backend.eval(eager), reference, rtol=1e-5, atol=1e-4)

    single = preprocess_input(backend.constant(x[0]), data_format=data_format, mode=mode)
    np.testing.assert_allclose(backend.eval(single), reference[0], rtol=1e-5, atol=1e-4)

    inputs = Input(shape[1:])
    outputs = preprocess_input(inputs, data_format=data_format, mode=mode)
    assert backend.int_shape(outputs) == (None,) + shape[1:]
    computed = backend.function([inputs], [outputs])([x])[0]
    np.testing.assert_allclose(computed, reference, rtol=1e-5, atol=1e-4)


def test_model_modules_preprocess_with_their_mode(backend):
    x = images(2, 3, 3, 3)
    for module in (vgg16, vgg19, resnet50):
        assert module.preprocess_input is preprocess_input
    for module in (inception_v3, inception_resnet_v2, xception, mobilenet, nasnet):
        np.testing.assert_allclose(module.preprocess_input(np.copy(x)),
                                   expected(x, 'tf', 'channels_last'), atol=1e-6)
    np.testing.assert_allclose(densenet.preprocess_input(np.copy(x)),
                               expected(x, 'torch', 'channels_last'), atol=1e-5)
    x = images(1, 2, 2, 3)
    for module in (inception_v3, densenet):
        out = module.preprocess_input(np.moveaxis(x, -1, 1).copy(),
                                      data_format='channels_first')
        np.testing.assert_allclose(np.moveaxis(out, 1, -1),
                                   module.preprocess_input(np.copy(x)), atol=1e-5)


def test_mobilenet_v2_preprocess_is_keras_formula(backend):
    # Keras 2.2.4's MobileNetV2 divides by 128, not 127.5, and returns float32.
    x = images(2, 3, 3, 3)
    out = mobilenet_v2.preprocess_input(np.copy(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x / 128. - 1., rtol=1e-6, atol=1e-6)
    ints = np.full((1, 2, 2, 3), 64, dtype='int64')
    np.testing.assert_allclose(mobilenet_v2.preprocess_input(ints), -0.5)
    tensor = mobilenet_v2.preprocess_input(backend.constant(x.astype('float32')))
    np.testing.assert_allclose(backend.eval(tensor), x / 128. - 1., rtol=1e-5, atol=1e-5)
    assert mobilenetv2.preprocess_input is mobilenet_v2.preprocess_input
    assert mobilenetv2.MobileNetV2 is mobilenet_v2.MobileNetV2


# ------------------------------------------------------------------------------------------
# decode_predictions
# ------------------------------------------------------------------------------------------

def write_class_index(directory):
    """A class index with Keras' layout (`{"0": ["n01440764", "tench"], ...}`) in a Keras
    cache rooted at `directory`; returns its md5."""
    index = {str(i): ['n%08d' % i, 'class_%d' % i] for i in range(1000)}
    models_dir = directory / 'models'
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / 'imagenet_class_index.json'
    path.write_text(json.dumps(index))
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache in a temporary directory, and no class index read yet."""
    monkeypatch.setenv('KERAS_HOME', str(tmp_path))
    monkeypatch.setattr(imagenet_utils, 'CLASS_INDEX', None)
    return tmp_path


def test_decode_predictions_reads_the_cached_class_index(backend, keras_home, monkeypatch):
    monkeypatch.setattr(imagenet_utils, '_CLASS_INDEX_HASH', write_class_index(keras_home))
    preds = np.random.uniform(size=(2, 1000)).astype('float32')
    preds[0, 7], preds[0, 900], preds[0, 3] = 3., 2., 1.5
    decoded = decode_predictions(preds, top=3)
    assert len(decoded) == 2
    assert decoded[0] == [('n00000007', 'class_7', preds[0, 7]),
                          ('n00000900', 'class_900', preds[0, 900]),
                          ('n00000003', 'class_3', preds[0, 3])]
    best = np.argsort(preds[1])[::-1][:3]
    assert [entry[1] for entry in decoded[1]] == ['class_%d' % i for i in best]
    assert len(decode_predictions(preds)[0]) == 5
    # Read once, then kept: the file is not needed any more.
    (keras_home / 'models' / 'imagenet_class_index.json').unlink()
    assert vgg16.decode_predictions(preds, top=1)[0][0][1] == 'class_7'


def test_decode_predictions_asks_for_the_keras_file(backend, keras_home, monkeypatch):
    write_class_index(keras_home)
    calls = []

    def fake_get_file(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        return str(keras_home / 'models' / fname)

    monkeypatch.setattr(imagenet_utils.data_utils, 'get_file', fake_get_file)
    decode_predictions(np.zeros((1, 1000)))
    assert calls == [('imagenet_class_index.json',
                      'https://s3.amazonaws.com/deep-learning-models/image-models/'
                      'imagenet_class_index.json',
                      {'cache_subdir': 'models',
                       'file_hash': 'c2c37ea517e94d9795004a39431a14cb'})]


def test_decode_predictions_checks_the_shape(backend):
    with pytest.raises(ValueError, match=r'a 2D array of shape \(samples, 1000\)\)\. '
                                         r'Found array with shape: \(2, 10\)'):
        decode_predictions(np.zeros((2, 10)))


# ------------------------------------------------------------------------------------------
# _obtain_input_shape
# ------------------------------------------------------------------------------------------

def test_obtain_input_shape_defaults(backend):
    assert _obtain_input_shape(None, 224, 32, 'channels_last', True) == (224, 224, 3)
    assert _obtain_input_shape(None, 224, 32, 'channels_first', True) == (3, 224, 224)
    assert _obtain_input_shape(None, 299, 75, 'channels_last', False) == (None, None, 3)
    assert _obtain_input_shape(None, 299, 75, 'channels_first', False) == (3, None, None)
    assert _obtain_input_shape(None, 224, 32, 'channels_last', True,
                               weights='imagenet') == (224, 224, 3)
    assert _obtain_input_shape((64, 80, 3), 224, 32, 'channels_last', False,
                               weights='imagenet') == (64, 80, 3)
    assert _obtain_input_shape((None, None, 3), 224, 32, 'channels_last', False) == \
        (None, None, 3)


def test_obtain_input_shape_channels_other_than_3(backend):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert _obtain_input_shape((40, 40, 4), 224, 32, 'channels_last', False) == \
            (40, 40, 4)
        assert _obtain_input_shape((1, 40, 40), 224, 32, 'channels_first', False) == \
            (1, 40, 40)
    assert [str(w.message) for w in caught] == [
        'This model usually expects 1 or 3 input channels. However, it was passed an '
        'input_shape with 4 input channels.']
    # Without weights the default takes the given number of channels.
    assert _obtain_input_shape((224, 224, 1), 224, 32, 'channels_last', True) == \
        (224, 224, 1)
    with pytest.raises(ValueError, match=r'The input must have 3 channels; got '
                                         r'`input_shape=\(3, 40, 40\)`'):
        _obtain_input_shape((3, 40, 40), 224, 32, 'channels_last', False, weights='imagenet')


@pytest.mark.parametrize('args, message', [
    (((200, 200, 3), 224, 32, 'channels_last', True, 'imagenet'),
     'When setting`include_top=True` and loading `imagenet` weights, `input_shape` should '
     'be (224, 224, 3).'),
    (((3, 200, 200), 224, 32, 'channels_first', True, 'imagenet'),
     'When setting`include_top=True` and loading `imagenet` weights, `input_shape` should '
     'be (3, 224, 224).'),
    (((31, 100, 3), 224, 32, 'channels_last', False, None),
     'Input size must be at least 32x32; got `input_shape=(31, 100, 3)`'),
    (((3, 100, 74), 299, 75, 'channels_first', False, None),
     'Input size must be at least 75x75; got `input_shape=(3, 100, 74)`'),
    (((100, 3), 224, 32, 'channels_last', False, None),
     '`input_shape` must be a tuple of three integers.'),
    (((None, None, 3), 224, 32, 'channels_last', True, None),
     'If `include_top` is True, you should specify a static `input_shape`. Got '
     '`input_shape=(None, None, 3)`'),
])
def test_obtain_input_shape_errors(backend, args, message):
    with pytest.raises(ValueError) as error:
        _obtain_input_shape(*args[:5], weights=args[5])
    assert str(error.value) == message
