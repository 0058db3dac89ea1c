"""cornu.preprocessing.image: transforms against NumPy/SciPy references on tiny arrays,
normalization and ZCA against formulas written here, seeded reproducibility (also with
worker threads), iterators over arrays, a directory tree and a data frame of real PNG/JPEG
files written with Pillow, and flows feeding `fit_generator`."""
import os
import threading
import warnings

import numpy as np
import pytest
import scipy.ndimage as ndi
from PIL import Image, ImageEnhance

import cornu
from cornu.preprocessing import image
from cornu.preprocessing.image import (DirectoryIterator, ImageDataGenerator, Iterator,
                                       NumpyArrayIterator, apply_affine_transform,
                                       apply_brightness_shift, apply_channel_shift,
                                       array_to_img, img_to_array, load_img, save_img)
from cornu.utils.data_utils import OrderedEnqueuer, Sequence


def _grid(h=5, w=5, channels=1):
    """An image whose pixel (r, c, k) holds 100 * k + w * r + c."""
    r, c, k = np.meshgrid(np.arange(h), np.arange(w), np.arange(channels), indexing='ij')
    return (100 * k + w * r + c).astype('float32')


# ------------------------------------------------------------------------------------------
# Transformations
# ------------------------------------------------------------------------------------------

def test_flips_match_numpy():
    x = _grid(3, 4, 2)
    gen = ImageDataGenerator()
    np.testing.assert_array_equal(gen.apply_transform(x, {'flip_horizontal': True}),
                                  x[:, ::-1, :])
    np.testing.assert_array_equal(gen.apply_transform(x, {'flip_vertical': True}),
                                  x[::-1, :, :])
    gen_cf = ImageDataGenerator(data_format='channels_first')
    x_cf = x.transpose(2, 0, 1)
    np.testing.assert_array_equal(gen_cf.apply_transform(x_cf, {'flip_horizontal': True}),
                                  x_cf[:, :, ::-1])
    np.testing.assert_array_equal(image.flip_axis(x, 0), x[::-1])


@pytest.mark.parametrize('tx, ty', [(1, 0), (0, -2), (2, 1), (-1, -1)])
def test_whole_pixel_shift_matches_numpy(tx, ty):
    x = _grid(5, 6, 2)
    h, w = 5, 6
    rows = np.arange(h)[:, None]
    cols = np.arange(w)[None, :]
    # Output pixel p reads input pixel p + (tx, ty); 'nearest' repeats the edge.
    expected = x[np.clip(rows + tx, 0, h - 1), np.clip(cols + ty, 0, w - 1)]
    out = apply_affine_transform(x, tx=tx, ty=ty, fill_mode='nearest')
    np.testing.assert_allclose(out, expected, atol=1e-5)
    inside = (rows + tx >= 0) & (rows + tx < h) & (cols + ty >= 0) & (cols + ty < w)
    expected_constant = np.where(inside[..., None], expected, -7.)
    out = apply_affine_transform(x, tx=tx, ty=ty, fill_mode='constant', cval=-7.)
    np.testing.assert_allclose(out, expected_constant, atol=1e-5)


def test_rotation_by_90_degrees_with_nearest_fill():
    x = _grid(5, 5, 3)
    # Keras 2 rotates about (h / 2 + 0.5, w / 2 + 0.5) = (3, 3): output pixel (r, c) reads
    # input (3 - (c - 3), 3 + (r - 3)) = (6 - c, r), clipped to the image ('nearest').
    r, c = np.meshgrid(np.arange(5), np.arange(5), indexing='ij')
    expected = x[np.clip(6 - c, 0, 4), np.clip(r, 0, 4)]
    out = apply_affine_transform(x, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_allclose(out, expected, atol=1e-4)
    # Channels first gives the same image.
    out_cf = apply_affine_transform(x.transpose(2, 0, 1), theta=90, row_axis=1, col_axis=2,
                                    channel_axis=0)
    np.testing.assert_allclose(out_cf, expected.transpose(2, 0, 1), atol=1e-4)


def test_zoom_by_two_matches_numpy():
    x = _grid(5, 5)
    r, c = np.meshgrid(np.arange(5), np.arange(5), indexing='ij')
    expected = x[np.clip(2 * r - 3, 0, 4), np.clip(2 * c - 3, 0, 4)]
    np.testing.assert_allclose(apply_affine_transform(x, zx=2, zy=2), expected, atol=1e-5)


def test_composed_transform_matches_scipy_reference():
    rng = np.random.RandomState(0)
    x = rng.rand(7, 9, 3).astype('float32')
    theta, tx, ty, shear, zx, zy = 23., 1.3, -0.7, 11., 0.9, 1.2
    # Keras 2's composition: T = rotation . shift . shear . zoom, about the centre
    # (h / 2 + 0.5, w / 2 + 0.5); output pixel p reads the input at T (p - o) + o.
    t, s = np.deg2rad(theta), np.deg2rad(shear)
    rotation = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    shear_m = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    transform = rotation @ shift @ shear_m @ zoom
    o = np.array([7 / 2 + .5, 9 / 2 + .5])
    r, c = np.meshgrid(np.arange(7), np.arange(9), indexing='ij')
    points = np.stack([r.ravel(), c.ravel()]).astype('float64')
    coords = transform[:2, :2] @ (points - o[:, None]) + (transform[:2, 2] + o)[:, None]
    for mode in ('nearest', 'constant', 'reflect', 'wrap'):
        expected = np.stack([ndi.map_coordinates(x[..., k], coords, order=1, mode=mode,
                                                 cval=0.5).reshape(7, 9)
                             for k in range(3)], axis=-1)
        out = apply_affine_transform(x, theta, tx, ty, shear, zx, zy, fill_mode=mode,
                                     cval=0.5)
        np.testing.assert_allclose(out, expected, atol=1e-5, err_msg=mode)


def test_identity_transform_returns_input():
    x = _grid(3, 3)
    assert apply_affine_transform(x) is x


def test_channel_shift_and_brightness():
    x = _grid(3, 3, 3)
    np.testing.assert_array_equal(apply_channel_shift(x, 50., channel_axis=2),
                                  np.clip(x + 50., x.min(), x.max()))
    np.testing.assert_array_equal(apply_channel_shift(x, -500., channel_axis=2),
                                  np.full_like(x, x.min()))

    u8 = np.random.RandomState(1).randint(0, 256, (4, 5, 3)).astype('float32')
    u8[0, 0] = [0, 0, 0]
    u8[0, 1] = [255, 255, 255]  # full range: array_to_img's rescaling changes nothing
    for factor in (0.5, 1.0, 1.7):
        expected = np.asarray(ImageEnhance.Brightness(
            Image.fromarray(u8.astype('uint8'))).enhance(factor), dtype='float32')
        np.testing.assert_array_equal(apply_brightness_shift(u8, factor), expected)
    np.testing.assert_array_equal(apply_brightness_shift(u8, 0.), np.zeros_like(u8))


def test_random_helpers_shape_and_global_seed():
    x = np.random.rand(3, 6, 7).astype('float32')  # channels first (the defaults)
    for fn, arg in ((image.random_rotation, 30), (image.random_shear, 20),
                    (image.random_channel_shift, 0.2)):
        np.random.seed(3)
        a = fn(x, arg)
        np.random.seed(3)
        np.testing.assert_array_equal(a, fn(x, arg))
        assert a.shape == x.shape
    assert image.random_shift(x, 0.2, 0.2).shape == x.shape
    assert image.random_zoom(x, (0.8, 1.2)).shape == x.shape
    np.testing.assert_array_equal(image.random_zoom(x, (1, 1)), x)
    with pytest.raises(ValueError, match='zoom_range'):
        image.random_zoom(x, (0.5,))
    y = np.random.rand(6, 7, 3).astype('float32') * 255
    assert image.random_brightness(y, (0.5, 1.5)).shape == y.shape
    with pytest.raises(ValueError, match='brightness_range'):
        image.random_brightness(y, (0.5,))


def test_shift_range_semantics():
    shape = (10, 20, 3)
    # int: whole pixels in (-n, n); list: one of its values with a random sign; float < 1:
    # a fraction of the size; float >= 1: pixels.
    for _ in range(30):
        p = ImageDataGenerator(width_shift_range=2, height_shift_range=[3]) \
            .get_random_transform(shape)
        assert p['ty'] in (-1, 0, 1) and p['tx'] in (-3, 3)
        p = ImageDataGenerator(width_shift_range=0.25, height_shift_range=1.5) \
            .get_random_transform(shape)
        assert -5 <= p['ty'] <= 5 and -1.5 <= p['tx'] <= 1.5


def test_get_random_transform_draw_order_is_keras():
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.1, height_shift_range=0.2,
                             shear_range=5, zoom_range=0.1, channel_shift_range=3,
                             horizontal_flip=True, brightness_range=(0.5, 1.5))
    params = gen.get_random_transform((8, 10, 3), seed=42)
    # Keras 2 seeded NumPy with 42 and drew in this order.
    rs = np.random.RandomState(42)
    theta = rs.uniform(-30, 30)
    tx = rs.uniform(-0.2, 0.2) * 8
    ty = rs.uniform(-0.1, 0.1) * 10
    shear = rs.uniform(-5, 5)
    zx, zy = rs.uniform(0.9, 1.1, 2)
    flip_h = rs.random_sample() < 0.5
    rs.random_sample()
    channel = rs.uniform(-3, 3)
    brightness = rs.uniform(0.5, 1.5)
    assert params['theta'] == theta and params['tx'] == tx and params['ty'] == ty
    assert params['shear'] == shear and (params['zx'], params['zy']) == (zx, zy)
    assert params['flip_horizontal'] == flip_h and params['flip_vertical'] == 0
    assert params['channel_shift_intensity'] == channel and params['brightness'] == brightness


def test_seeded_random_transform_leaves_global_state():
    gen = ImageDataGenerator(rotation_range=90, width_shift_range=0.3, horizontal_flip=True)
    x = np.random.rand(6, 6, 3).astype('float32')
    state = np.random.get_state()[1].copy()
    a = gen.random_transform(x, seed=5)
    np.testing.assert_array_equal(a, gen.random_transform(x, seed=5))
    assert not np.array_equal(a, gen.random_transform(x, seed=6))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# ------------------------------------------------------------------------------------------
# Normalization
# ------------------------------------------------------------------------------------------

def test_featurewise_standardize_with_stats_computed_here():
    rng = np.random.RandomState(0)
    x = (rng.rand(20, 4, 5, 3) * [1, 10, 100]).astype('float32')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        gen = ImageDataGenerator(featurewise_std_normalization=True)  # implies centering
    assert gen.featurewise_center
    gen.fit(x)
    mean = x.astype('float64').mean(axis=(0, 1, 2))
    std = x.astype('float64').std(axis=(0, 1, 2))
    np.testing.assert_allclose(gen.mean, mean.reshape(1, 1, 3), rtol=1e-5)
    np.testing.assert_allclose(gen.std, std.reshape(1, 1, 3), rtol=1e-4)
    sample = x[3].copy()
    out = gen.standardize(sample)
    np.testing.assert_allclose(out, (x[3] - mean) / (std + 1e-7), rtol=1e-4, atol=1e-5)

    gen_cf = ImageDataGenerator(featurewise_center=True, data_format='channels_first')
    gen_cf.fit(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(gen_cf.mean, mean.reshape(3, 1, 1), rtol=1e-5)


def test_samplewise_rescale_and_preprocessing_order():
    x = np.random.RandomState(1).rand(4, 5, 3).astype('float32') * 255
    with pytest.warns(UserWarning, match='samplewise_std_normalization'):
        gen = ImageDataGenerator(samplewise_std_normalization=True, rescale=1. / 255,
                                 preprocessing_function=lambda v: v + 1.)
    out = gen.standardize(x.copy())
    # preprocessing_function, then rescale, then centring and scaling over the sample.
    y = (x + 1.) / 255
    expected = (y - y.mean()) / (y.std() + 1e-7)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_unfitted_featurewise_warns():
    gen = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match="hasn't been fit"):
        gen.standardize(np.ones((2, 2, 1), 'float32'))


def test_zca_whitening_matrix_matches_numpy_svd():
    rng = np.random.RandomState(2)
    x = rng.rand(40, 3, 3, 1).astype('float32')
    x[..., 0] += 0.5 * x[:, :1, :1, 0]  # correlated pixels
    with pytest.warns(UserWarning, match='zca_whitening'):
        gen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-3)
    gen.fit(x)
    flat = x.reshape(40, -1).astype('float64')
    flat = flat - flat.mean(axis=0).mean()  # featurewise mean is per channel (1 here)
    sigma = flat.T @ flat / 40
    u, s, _ = np.linalg.svd(sigma)
    expected = u @ np.diag(1. / np.sqrt(s + 1e-3)) @ u.T
    np.testing.assert_allclose(gen.principal_components, expected, rtol=1e-3, atol=1e-3)
    white = gen.standardize(x[5].copy())
    np.testing.assert_allclose(white.ravel(), flat[5] @ expected, rtol=1e-3, atol=1e-3)
    whitened = np.stack([gen.standardize(v.copy()).ravel() for v in x])
    cov = whitened.T @ whitened / 40
    np.testing.assert_allclose(cov, np.eye(9), atol=0.05)


def test_fit_errors_and_augmented_fit():
    gen = ImageDataGenerator(featurewise_center=True, rotation_range=20)
    with pytest.raises(ValueError, match='should have rank 4'):
        gen.fit(np.zeros((3, 4, 4)))
    with pytest.warns(UserWarning, match='expected either 1, 3 or 4 channels'):
        gen.fit(np.random.rand(2, 4, 4, 5))
    x = np.random.rand(5, 6, 6, 3).astype('float32')
    gen.fit(x, augment=True, rounds=2, seed=1)
    mean1 = gen.mean.copy()
    gen.fit(x, augment=True, rounds=2, seed=1)
    np.testing.assert_array_equal(gen.mean, mean1)


def test_generator_argument_errors():
    with pytest.raises(ValueError, match='data_format'):
        ImageDataGenerator(data_format='channels_middle')
    with pytest.raises(ValueError, match='validation_split'):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match='zoom_range'):
        ImageDataGenerator(zoom_range=(0.5, 1, 2))
    assert ImageDataGenerator(zoom_range=0.2).zoom_range == [0.8, 1.2]
    with pytest.raises(ValueError, match='brightness_range'):
        ImageDataGenerator(brightness_range=(1.,))


# ------------------------------------------------------------------------------------------
# NumpyArrayIterator (flow)
# ------------------------------------------------------------------------------------------

def _coded_images(n, h=4, w=4, channels=3):
    """n images whose pixels all hold the image's number."""
    return np.tile(np.arange(n, dtype='float32')[:, None, None, None], (1, h, w, channels))


def test_flow_batches_without_augmentation():
    x = _coded_images(10)
    y = np.arange(10) * 10
    it = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(it, NumpyArrayIterator) and isinstance(it, Iterator)
    assert isinstance(it, Sequence)
    assert len(it) == 3
    bx, by = it[2]
    np.testing.assert_array_equal(bx[:, 0, 0, 0], [8, 9])
    np.testing.assert_array_equal(by, [80, 90])
    bx, by = next(it)
    np.testing.assert_array_equal(bx, x[:4])
    assert bx.dtype == np.float32
    assert ImageDataGenerator().flow(x, batch_size=4, shuffle=False)[0].shape == (4, 4, 4, 3)
    with pytest.raises(ValueError, match='Asked to retrieve element 3'):
        it[3]


def test_flow_subset_and_sample_weights():
    x = _coded_images(10)
    y = np.arange(10)
    w = np.arange(10) / 10.
    gen = ImageDataGenerator(validation_split=0.3, horizontal_flip=True)
    val = gen.flow(x, y, sample_weight=w, batch_size=10, subset='validation')
    train = gen.flow(x, y, sample_weight=w, batch_size=10, subset='training', seed=0)
    assert (val.n, train.n) == (3, 7)
    bx, by, bw = val[0]
    assert sorted(by) == [0, 1, 2]
    bx, by, bw = train[0]
    assert sorted(by) == [3, 4, 5, 6, 7, 8, 9]
    np.testing.assert_array_equal(bx[:, 0, 0, 0], by)  # images and labels stay together
    np.testing.assert_allclose(bw, by / 10.)
    with pytest.raises(ValueError, match='Invalid subset name'):
        gen.flow(x, y, subset='test')


def test_flow_misc_inputs_and_errors():
    x = _coded_images(6)
    misc = np.arange(6) * 2
    it = ImageDataGenerator().flow((x, [misc, misc + 1]), np.arange(6), batch_size=3,
                                   shuffle=False)
    (images, m1, m2), labels = it[1]
    np.testing.assert_array_equal(m1, [6, 8, 10])
    np.testing.assert_array_equal(m2, [7, 9, 11])
    with pytest.raises(ValueError, match='should have the same length'):
        ImageDataGenerator().flow(x, np.arange(5))
    with pytest.raises(ValueError, match='should have rank 4'):
        ImageDataGenerator().flow(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match='same length'):
        ImageDataGenerator().flow((x, np.arange(3)))
    with pytest.warns(UserWarning, match='1, 3, or 4 channels'):
        ImageDataGenerator().flow(np.zeros((2, 4, 4, 7)))


def test_flow_seeded_augmentation_is_reproducible():
    x = np.random.rand(12, 6, 6, 3).astype('float32')
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, height_shift_range=1,
                             zoom_range=0.2, horizontal_flip=True, vertical_flip=True)
    a = gen.flow(x, batch_size=4, seed=11)
    b = gen.flow(x, batch_size=4, seed=11)
    c = gen.flow(x, batch_size=4, seed=12)
    for _ in range(5):  # crosses an epoch boundary
        batch = next(a)
        np.testing.assert_array_equal(batch, next(b))
        assert not np.array_equal(batch, next(c))
    # Sequence access: batch i of epoch e does not depend on the order of access.
    s1 = gen.flow(x, batch_size=4, seed=11)
    s2 = gen.flow(x, batch_size=4, seed=11)
    forward = [s1[i] for i in range(3)]
    backward = [s2[i] for i in reversed(range(3))][::-1]
    for f, g in zip(forward, backward):
        np.testing.assert_array_equal(f, g)
    # Read in order, Sequence and iterator access give the same (Keras 2) batches.
    s3 = gen.flow(x, batch_size=4, seed=11)
    np.testing.assert_array_equal(s3[0], forward[0])
    it = gen.flow(x, batch_size=4, seed=11)
    for expected in forward:
        np.testing.assert_array_equal(next(it), expected)
    s1.on_epoch_end()
    epoch2 = [s1[i] for i in range(3)]
    after = [next(it) for _ in range(3)]
    for f, g in zip(epoch2, after):
        np.testing.assert_array_equal(f, g)


def test_seeded_flow_through_two_worker_threads_matches_sequential():
    x = np.random.rand(16, 6, 6, 3).astype('float32')
    gen = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, horizontal_flip=True)
    reference = gen.flow(x, np.arange(16), batch_size=4, seed=3)
    expected = [reference[i] for i in range(4)]
    reference.on_epoch_end()
    expected += [reference[i] for i in range(4)]
    enqueuer = OrderedEnqueuer(gen.flow(x, np.arange(16), batch_size=4, seed=3))
    enqueuer.start(workers=2, max_queue_size=4)
    try:
        stream = enqueuer.get()
        got = [next(stream) for _ in range(8)]
    finally:
        enqueuer.stop()
    for (gx, gy), (ex, ey) in zip(got, expected):
        np.testing.assert_array_equal(gy, ey)
        np.testing.assert_array_equal(gx, ex)


def test_next_is_thread_safe():
    x = _coded_images(64, 2, 2, 1)
    it = ImageDataGenerator().flow(x, batch_size=4, shuffle=True)
    seen = []
    lock = threading.Lock()

    def read():
        for _ in range(8):
            batch = next(it)
            with lock:
                seen.extend(batch[:, 0, 0, 0].astype(int).tolist())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 4 threads x 8 batches x 4 = 128 samples = exactly two epochs.
    assert sorted(seen) == sorted(list(range(64)) * 2)


# ------------------------------------------------------------------------------------------
# Image files
# ------------------------------------------------------------------------------------------

def test_img_array_round_trips(tmp_path):
    rgb = np.random.RandomState(0).randint(0, 256, (5, 7, 3)).astype('float32')
    img = array_to_img(rgb, scale=False)
    assert img.mode == 'RGB' and img.size == (7, 5)
    np.testing.assert_array_equal(img_to_array(img), rgb)
    np.testing.assert_array_equal(img_to_array(img, data_format='channels_first'),
                                  rgb.transpose(2, 0, 1))
    assert array_to_img(rgb.transpose(2, 0, 1), data_format='channels_first',
                        scale=False).size == (7, 5)
    gray = array_to_img(rgb[..., :1], scale=False)
    assert gray.mode == 'L'
    assert img_to_array(gray).shape == (5, 7, 1)
    assert img_to_array(gray, data_format='channels_first').shape == (1, 5, 7)
    rgba = array_to_img(np.concatenate([rgb, rgb[..., :1]], -1), scale=False)
    assert rgba.mode == 'RGBA'
    # scale: shifted to a minimum of 0 and stretched to a maximum of 255.
    scaled = img_to_array(array_to_img(np.array([[[-1.], [0.], [1.]]])))
    np.testing.assert_array_equal(scaled[..., 0], [[0, 127, 255]])
    assert img_to_array(img, dtype='uint8').dtype == np.uint8
    with pytest.raises(ValueError, match='rank 3'):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match='Unsupported channel number'):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match='data_format'):
        img_to_array(img, data_format='nchw')

    path = str(tmp_path / 'a.png')
    save_img(path, rgb, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(path)), rgb)
    with pytest.warns(UserWarning, match='RGBA'):
        save_img(str(tmp_path / 'b.jpg'), np.zeros((3, 3, 4)))
    assert load_img(str(tmp_path / 'b.jpg')).mode == 'RGB'


def test_load_img_modes_and_resizing(tmp_path):
    path = str(tmp_path / 'c.png')
    Image.fromarray(np.full((6, 8, 3), [10, 200, 30], dtype='uint8')).save(path)
    assert load_img(path).mode == 'RGB'
    assert load_img(path, color_mode='rgba').mode == 'RGBA'
    gray = load_img(path, color_mode='grayscale')
    assert gray.mode == 'L'
    with pytest.warns(UserWarning, match='grayscale is deprecated'):
        assert load_img(path, grayscale=True).mode == 'L'
    resized = load_img(path, target_size=(3, 4), interpolation='bilinear')
    assert resized.size == (4, 3)
    np.testing.assert_array_equal(img_to_array(resized)[0, 0], [10, 200, 30])
    with pytest.raises(ValueError, match='Invalid interpolation method'):
        load_img(path, target_size=(3, 4), interpolation='spline')
    with pytest.raises(ValueError, match='color_mode'):
        load_img(path, color_mode='cmyk')
    assert image.list_pictures(str(tmp_path)) == [path]


COLORS = {'cats': (200, 30, 30), 'dogs': (30, 200, 30)}


@pytest.fixture
def image_tree(tmp_path):
    """root/cats: 4 images (PNG RGB, JPEG, PNG grayscale, PNG RGBA in a nested folder);
    root/dogs: 3 images (PNG, JPEG, PNG); plus files that are not images."""
    root = tmp_path / 'tree'
    for cls, color in COLORS.items():
        (root / cls).mkdir(parents=True)
    cats, dogs = root / 'cats', root / 'dogs'
    size = (10, 12, 3)
    Image.fromarray(np.full(size, COLORS['cats'], 'uint8')).save(str(cats / 'c1.png'))
    Image.fromarray(np.full(size, COLORS['cats'], 'uint8')).save(str(cats / 'c2.jpg'),
                                                                  quality=95)
    Image.fromarray(np.full(size[:2], 90, 'uint8'), 'L').save(str(cats / 'c3.png'))
    (cats / 'nested').mkdir()
    Image.fromarray(np.full((8, 8, 4), (200, 30, 30, 128), 'uint8'), 'RGBA').save(
        str(cats / 'nested' / 'c4.png'))
    Image.fromarray(np.full((16, 9, 3), COLORS['dogs'], 'uint8')).save(str(dogs / 'd1.png'))
    Image.fromarray(np.full((16, 9, 3), COLORS['dogs'], 'uint8')).save(str(dogs / 'd2.jpeg'),
                                                                        quality=95)
    Image.fromarray(np.full((5, 5, 3), COLORS['dogs'], 'uint8')).save(str(dogs / 'd3.PNG'))
    (dogs / 'notes.txt').write_text('not an image')
    (root / 'stray.png').write_bytes(b'')  # files at the top level are not a class
    return str(root)


def test_flow_from_directory_real_files(image_tree, capsys):
    gen = ImageDataGenerator(rescale=1. / 255)
    it = gen.flow_from_directory(image_tree, target_size=(4, 5), batch_size=3, shuffle=False)
    assert 'Found 7 images belonging to 2 classes.' in capsys.readouterr().out
    assert isinstance(it, DirectoryIterator)
    assert it.class_indices == {'cats': 0, 'dogs': 1}
    np.testing.assert_array_equal(it.classes, [0, 0, 0, 0, 1, 1, 1])
    assert it.filenames == [os.path.join('cats', 'c1.png'), os.path.join('cats', 'c2.jpg'),
                            os.path.join('cats', 'c3.png'),
                            os.path.join('cats', 'nested', 'c4.png'),
                            os.path.join('dogs', 'd1.png'), os.path.join('dogs', 'd2.jpeg'),
                            os.path.join('dogs', 'd3.PNG')]
    assert len(it) == 3
    x, y = it[0]
    assert x.shape == (3, 4, 5, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [[1, 0], [1, 0], [1, 0]])
    np.testing.assert_allclose(x[0], np.full((4, 5, 3), COLORS['cats']) / 255., atol=1e-6)
    np.testing.assert_allclose(x[1], np.full((4, 5, 3), COLORS['cats']) / 255., atol=0.03)
    np.testing.assert_allclose(x[2], np.full((4, 5, 3), 90 / 255.), atol=1e-6)  # L -> RGB
    x, y = it[2]
    assert x.shape == (1, 4, 5, 3)
    np.testing.assert_allclose(x[0], np.full((4, 5, 3), COLORS['dogs']) / 255., atol=1e-6)


@pytest.mark.parametrize('color_mode, channels', [('grayscale', 1), ('rgb', 3), ('rgba', 4)])
def test_flow_from_directory_color_modes(image_tree, color_mode, channels):
    it = ImageDataGenerator().flow_from_directory(image_tree, target_size=(6, 6),
                                                  color_mode=color_mode, batch_size=7,
                                                  shuffle=False, class_mode=None)
    x = it[0]
    assert x.shape == (7, 6, 6, channels)
    if color_mode == 'grayscale':
        expected = Image.fromarray(np.full((1, 1, 3), COLORS['dogs'], 'uint8')).convert('L')
        np.testing.assert_array_equal(x[4], np.full((6, 6, 1), np.asarray(expected)[0, 0]))
    if color_mode == 'rgba':
        np.testing.assert_array_equal(x[3, 0, 0], [200, 30, 30, 128])
        np.testing.assert_array_equal(x[0, 0, 0], [200, 30, 30, 255])
    cf = ImageDataGenerator(data_format='channels_first').flow_from_directory(
        image_tree, target_size=(6, 6), color_mode=color_mode, class_mode=None,
        shuffle=False)
    np.testing.assert_array_equal(cf[0], x.transpose(0, 3, 1, 2))


def test_flow_from_directory_class_modes(image_tree):
    gen = ImageDataGenerator()
    kwargs = dict(target_size=(3, 3), batch_size=7, shuffle=False)
    _, y = gen.flow_from_directory(image_tree, class_mode='binary', **kwargs)[0]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 0, 0, 0, 1, 1, 1])
    _, y = gen.flow_from_directory(image_tree, class_mode='sparse', **kwargs)[0]
    np.testing.assert_array_equal(y, [0, 0, 0, 0, 1, 1, 1])
    x, y = gen.flow_from_directory(image_tree, class_mode='input', **kwargs)[0]
    np.testing.assert_array_equal(x, y)
    assert y is not x
    x = gen.flow_from_directory(image_tree, class_mode=None, **kwargs)[0]
    assert isinstance(x, np.ndarray) and x.shape == (7, 3, 3, 3)
    with pytest.raises(ValueError, match='Invalid class_mode'):
        gen.flow_from_directory(image_tree, class_mode='multi')
    with pytest.raises(ValueError, match='Invalid color mode'):
        gen.flow_from_directory(image_tree, color_mode='cmyk')
    only_dogs = gen.flow_from_directory(image_tree, classes=['dogs'], **kwargs)
    assert only_dogs.class_indices == {'dogs': 0} and only_dogs.samples == 3
    reordered = gen.flow_from_directory(image_tree, classes=['dogs', 'cats'], **kwargs)
    np.testing.assert_array_equal(reordered.classes, [0, 0, 0, 1, 1, 1, 1])


def test_flow_from_directory_subsets(image_tree):
    gen = ImageDataGenerator(validation_split=0.5)
    val = gen.flow_from_directory(image_tree, target_size=(3, 3), subset='validation',
                                  shuffle=False)
    train = gen.flow_from_directory(image_tree, target_size=(3, 3), subset='training',
                                    shuffle=False)
    # Per class, the first int(0.5 * n) sorted files are validation: cats 2 of 4, dogs 1 of 3.
    assert val.filenames == [os.path.join('cats', 'c1.png'), os.path.join('cats', 'c2.jpg'),
                             os.path.join('dogs', 'd1.png')]
    assert val.samples == 3 and train.samples == 4
    assert sorted(val.filenames + train.filenames) == sorted(
        ImageDataGenerator().flow_from_directory(image_tree).filenames)
    np.testing.assert_array_equal(train.classes, [0, 0, 1, 1])
    with pytest.raises(ValueError, match='Invalid subset name'):
        gen.flow_from_directory(image_tree, subset='testing')


def test_flow_from_directory_shuffle_seed_and_save(image_tree, tmp_path):
    gen = ImageDataGenerator(rotation_range=20, horizontal_flip=True)
    out = tmp_path / 'saved'
    out.mkdir()
    a = gen.flow_from_directory(image_tree, target_size=(5, 5), batch_size=7, seed=4,
                                save_to_dir=str(out), save_prefix='aug')
    b = gen.flow_from_directory(image_tree, target_size=(5, 5), batch_size=7, seed=4)
    xa, ya = next(a)
    xb, yb = next(b)
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(ya, np.eye(2)[[0, 0, 0, 0, 1, 1, 1]])  # shuffled
    saved = os.listdir(str(out))
    assert len(saved) == 7 and all(f.startswith('aug_') and f.endswith('.png') for f in saved)


def test_flow_from_dataframe_duck_typed(image_tree):
    base = os.path.join(image_tree, 'cats')
    frame = {'filename': ['c2.jpg', 'c1.png', 'missing.png', 'c1.png', 'c3.png'],
             'class': ['b', 'a', 'a', 'z', 'b'],
             'score': [0.5, 1.5, 2.5, 3.5, 4.5]}
    gen = ImageDataGenerator()
    it = gen.flow_from_dataframe(frame, base, target_size=(4, 4), shuffle=False)
    # Repeated names dropped (so class 'z' never appears), classes in order of first
    # appearance, missing files left out, images sorted by name.
    assert it.class_indices == {'b': 0, 'a': 1}
    assert it.filenames == ['c1.png', 'c2.jpg', 'c3.png']
    x, y = it[0]
    assert x.shape == (3, 4, 4, 3)
    np.testing.assert_array_equal(y, [[0, 1], [1, 0], [1, 0]])
    np.testing.assert_allclose(x[0], np.full((4, 4, 3), COLORS['cats']))
    only_b = gen.flow_from_dataframe(frame, base, classes=['b'], target_size=(4, 4))
    assert only_b.filenames == ['c2.jpg', 'c3.png']
    it = gen.flow_from_dataframe(frame, base, y_col='score', class_mode='other',
                                 target_size=(4, 4), shuffle=False)
    np.testing.assert_array_equal(it[0][1], [1.5, 0.5, 4.5])
    it = gen.flow_from_dataframe(frame, base, y_col=['score', 'score'], class_mode='other',
                                 target_size=(4, 4), shuffle=False)
    assert it[0][1].shape == (3, 2)
    no_ext = {'filename': ['c1', 'c3'], 'class': ['x', 'y']}
    it = gen.flow_from_dataframe(no_ext, base, has_ext=False, class_mode='sparse',
                                 target_size=(4, 4), shuffle=False)
    assert it.filenames == ['c1.png', 'c3.png']
    np.testing.assert_array_equal(it[0][1], [0, 1])
    absolute = {'filename': [os.path.join(base, 'c1.png')], 'class': ['q']}
    assert gen.flow_from_dataframe(absolute, None, target_size=(4, 4)).samples == 1
    with pytest.raises(ValueError, match='extension not found'):
        gen.flow_from_dataframe(no_ext, base)
    with pytest.raises(TypeError, match='numeric'):
        gen.flow_from_dataframe(frame, base, y_col='class', class_mode='other')
    with pytest.raises(ValueError, match='classes cannot be set'):
        gen.flow_from_dataframe(frame, base, classes=['a'], class_mode='input')
    split = ImageDataGenerator(validation_split=0.34)
    assert split.flow_from_dataframe(frame, base, subset='validation').filenames == [
        'c1.png']


def test_flow_from_dataframe_pandas(image_tree):
    pd = pytest.importorskip('pandas')
    frame = pd.DataFrame({'filename': ['c1.png', 'c2.jpg'], 'class': ['a', 'b']})
    it = ImageDataGenerator().flow_from_dataframe(frame, os.path.join(image_tree, 'cats'),
                                                  target_size=(4, 4), shuffle=False)
    np.testing.assert_array_equal(it[0][1], [[1, 0], [0, 1]])


# ------------------------------------------------------------------------------------------
# End to end
# ------------------------------------------------------------------------------------------

def test_flows_feed_fit_generator(image_tree):
    rng = np.random.RandomState(0)
    x = rng.rand(32, 6, 6, 3).astype('float32')
    y = np.eye(2, dtype='float32')[(x[:, :, :, 0].mean(axis=(1, 2)) > 0.5).astype(int)]
    gen = ImageDataGenerator(horizontal_flip=True, width_shift_range=1, rotation_range=10)
    model = cornu.models.Sequential([cornu.layers.Flatten(input_shape=(6, 6, 3)),
                                     cornu.layers.Dense(2, activation='softmax')])
    model.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])
    history = model.fit_generator(gen.flow(x, y, batch_size=8, seed=0), epochs=2, verbose=0,
                                  validation_data=gen.flow(x, y, batch_size=16))
    assert len(history.history['loss']) == 2 and 'val_loss' in history.history

    directory_model = cornu.models.Sequential([cornu.layers.Flatten(input_shape=(4, 4, 3)),
                                               cornu.layers.Dense(2, activation='softmax')])
    directory_model.compile('sgd', 'categorical_crossentropy')
    flow = ImageDataGenerator(rescale=1. / 255).flow_from_directory(
        image_tree, target_size=(4, 4), batch_size=4)
    history = directory_model.fit_generator(flow, steps_per_epoch=len(flow), epochs=2,
                                            verbose=0, workers=2)
    assert len(history.history['loss']) == 2
    assert directory_model.predict_generator(flow, steps=2).shape == (7, 2)
