"""TensorBoard summaries (scalars, histograms, images) and the event file writer.

Events are written by the `tensorboard` package's own writer and protocol buffers, imported
only when a `TensorBoard` callback is made (the package is an optional extra:
`pip install 'cornu[tensorboard]'`). Histograms use TensorFlow's default buckets and images
TensorFlow's scaling of float images, so the files read as TensorFlow 1 wrote them for
Keras 2.
"""
import io
import os
import time

import numpy as np

_INSTALL_HINT = ("TensorBoard logging needs the `tensorboard` package, which is not "
                 "installed: run `pip install 'cornu[tensorboard]'` (or "
                 "`pip install tensorboard`).")


def tensorboard_modules():
    """The `tensorboard` package's writer and protocol buffer modules, as a namespace.

    # Returns
        An object with the attributes `EventFileWriter`, `event_pb2`, `summary_pb2`,
        `graph_pb2`, `node_def_pb2`, `attr_value_pb2`, `tensor_shape_pb2` and
        `projector_config_pb2`.

    # Raises
        ImportError: when the `tensorboard` package is not installed, naming the
            `pip install` to run.
    """
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.compat.proto import (event_pb2, summary_pb2, graph_pb2,
                                              node_def_pb2, attr_value_pb2,
                                              tensor_shape_pb2)
        from tensorboard.plugins.projector import projector_config_pb2
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error

    class Modules(object):
        pass

    modules = Modules()
    for name, value in (('EventFileWriter', EventFileWriter), ('event_pb2', event_pb2),
                        ('summary_pb2', summary_pb2), ('graph_pb2', graph_pb2),
                        ('node_def_pb2', node_def_pb2), ('attr_value_pb2', attr_value_pb2),
                        ('tensor_shape_pb2', tensor_shape_pb2),
                        ('projector_config_pb2', projector_config_pb2)):
        setattr(modules, name, value)
    return modules


# --- histograms --------------------------------------------------------------------------------

def _default_bucket_limits():
    # TensorFlow's default histogram buckets: limits growing by 10% from 1e-12 to 1e20,
    # mirrored for negative values, with 0 and +-DBL_MAX.
    positive = []
    limit = 1.0e-12
    while limit < 1.0e20:
        positive.append(limit)
        limit *= 1.1
    positive.append(np.finfo(np.float64).max)
    negative = [-x for x in reversed(positive)]
    return np.array(negative + [0.0] + positive, dtype=np.float64)


_BUCKET_LIMITS = _default_bucket_limits()


def histogram_buckets(values):
    """TensorFlow's histogram of `values`: `(min, max, num, sum, sum_squares, bucket_limit,
    bucket)`, the empty buckets between two non-empty ones collapsed as TensorFlow does.

    Non-finite values are left out (TensorFlow refuses them).
    """
    limits = _BUCKET_LIMITS
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    # Bucket i counts the values in [limits[i - 1], limits[i]).
    index = np.minimum(np.searchsorted(limits, values, side='right'), len(limits) - 1)
    counts = np.bincount(index, minlength=len(limits)).astype(np.float64)
    # Runs of empty buckets collapse into one entry ending at the run's last limit.
    nonempty = counts > 0
    run_end = np.zeros(len(limits), dtype=bool)
    run_end[:-1] = nonempty[:-1] | nonempty[1:]
    run_end[-1] = True
    keep = nonempty | run_end
    if values.size:
        low, high = values.min(), values.max()
    else:
        low, high = limits[-1], -limits[-1]
    return (float(low), float(high), float(values.size), float(values.sum()),
            float(np.dot(values, values)), limits[keep], counts[keep])


def histogram_value(tb, tag, values):
    """A `Summary.Value` holding TensorFlow's histogram of `values`.

    # Arguments
        tb: `tensorboard_modules()`.
        tag: the summary's tag.
        values: an array of any shape.
    """
    low, high, num, total, squares, limits, counts = histogram_buckets(values)
    histo = tb.summary_pb2.HistogramProto(min=low, max=high, num=num, sum=total,
                                          sum_squares=squares,
                                          bucket_limit=limits.tolist(),
                                          bucket=counts.tolist())
    return tb.summary_pb2.Summary.Value(tag=tag, histo=histo)


def scalar_value(tb, tag, value):
    """A `Summary.Value` holding the float `value`."""
    return tb.summary_pb2.Summary.Value(tag=tag, simple_value=float(value))


# --- images ------------------------------------------------------------------------------------

# TensorFlow 1's image summary wrote at most this many images of a batch.
MAX_IMAGES = 3


def weight_image_batch(value, data_format):
    """A weight as the batch of one-channel images Keras 2 showed for it, or `None`.

    Squeezed first; a 2D kernel becomes one image, wider than tall (transposed when it has
    more rows than columns); a 3D kernel one image per channel (channels first for
    `'channels_last'`); a vector one image one pixel wide. Other ranks have no image.

    # Arguments
        value: the weight's value (NumPy array).
        data_format: `K.image_data_format()`.

    # Returns
        A `(batch, height, width, 1)` array, or `None`.
    """
    image = np.squeeze(np.asarray(value))
    if image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        return image.reshape((1,) + image.shape + (1,))
    if image.ndim == 3:
        if data_format == 'channels_last':
            image = np.transpose(image, (2, 0, 1))
        return image.reshape(image.shape + (1,))
    if image.ndim == 1:
        return image.reshape((1, image.shape[0], 1, 1))
    return None


def image_pixels(image):
    """A float image as TensorFlow's image summary turns it into bytes, in float32: when no
    value is negative, the largest maps to 255; otherwise the largest magnitude maps to 127
    and zero to 128 (a range under 1e-6 maps everything to the offset); the result is
    truncated. Non-finite values are left out of the range and drawn as 255 (the first
    channel of TensorFlow's default "bad color", red).

    # Arguments
        image: a `(height, width, 1)` float array.

    # Returns
        A `uint8` array of the same shape.
    """
    image = np.asarray(image, dtype=np.float32)
    finite = np.isfinite(image)
    low = image[finite].min() if finite.any() else np.float32(np.inf)
    high = image[finite].max() if finite.any() else np.float32(-np.inf)
    if low < 0:
        largest = max(abs(low), abs(high))
        scale = np.float32(0.) if largest < 1e-6 else np.float32(127.) / largest
        offset = np.float32(128.)
    else:
        scale = np.float32(0.) if high < 1e-6 else np.float32(255.) / high
        offset = np.float32(0.)
    with np.errstate(invalid='ignore'):
        scaled = np.where(finite, image * scale + offset, 255)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def png_bytes(pixels):
    """A `(height, width, 1)` `uint8` array encoded as a grayscale PNG."""
    from PIL import Image  # Pillow comes with the `tensorboard` package
    buffer = io.BytesIO()
    Image.fromarray(pixels[:, :, 0], mode='L').save(buffer, format='PNG')
    return buffer.getvalue()


def image_values(tb, tag, batch):
    """The `Summary.Value`s of the first `MAX_IMAGES` images of `batch`, tagged
    `<tag>/image/<i>` as TensorFlow 1's image summary tagged them.

    # Arguments
        tb: `tensorboard_modules()`.
        tag: the base tag.
        batch: a `(batch, height, width, 1)` float array.
    """
    values = []
    for i, image in enumerate(batch[:MAX_IMAGES]):
        encoded = tb.summary_pb2.Summary.Image(height=image.shape[0], width=image.shape[1],
                                               colorspace=1,
                                               encoded_image_string=png_bytes(
                                                   image_pixels(image)))
        values.append(tb.summary_pb2.Summary.Value(tag='%s/image/%d' % (tag, i),
                                                   image=encoded))
    return values


# --- the writer --------------------------------------------------------------------------------

class SummaryWriter(object):
    """Writes summaries and graphs as events to `<log_dir>/events.out.tfevents.*`, through
    the `tensorboard` package's `EventFileWriter`.

    # Arguments
        log_dir: directory of the event file, created if needed.
        tb: `tensorboard_modules()`.
    """

    def __init__(self, log_dir, tb):
        if not os.path.isdir(log_dir):
            os.makedirs(log_dir)
        self.tb = tb
        self._writer = tb.EventFileWriter(log_dir)
        self.closed = False

    def add_values(self, values, step):
        """Writes one event at `step` holding the `Summary.Value`s `values`."""
        if not values:
            return
        summary = self.tb.summary_pb2.Summary(value=list(values))
        self._writer.add_event(self.tb.event_pb2.Event(summary=summary, step=int(step),
                                                       wall_time=time.time()))

    def add_graph(self, graph_def):
        """Writes the `GraphDef` `graph_def` (what TensorBoard's graph tab shows)."""
        self._writer.add_event(self.tb.event_pb2.Event(
            graph_def=graph_def.SerializeToString(), wall_time=time.time()))

    def flush(self):
        self._writer.flush()

    def close(self):
        if not self.closed:
            self._writer.close()
            self.closed = True

