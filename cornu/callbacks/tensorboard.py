"""`TensorBoard`: scalar and histogram summaries in TensorBoard's event file format."""
import warnings

import numpy as np

from .. import backend as K
from .logs import to_python
from .base import Callback
from .event_file import EventFileWriter, histogram_summary, scalar_summary


class TensorBoard(Callback):
    """TensorBoard basic visualizations.

    TensorBoard is a visualization tool provided with TensorFlow. This callback writes a log
    for TensorBoard, which allows you to visualize dynamic graphs of your training and test
    metrics, as well as histograms of the weights of the layers.

    If you have installed TensorBoard, you can start it from the command line:

    ```sh
    tensorboard --logdir=/full_path_to_your_logs
    ```

    The event files are written directly (TensorFlow is not needed). Written: a scalar for
    every value of the epoch logs (or of the batch logs, see `update_freq`), and histograms
    of the weights of every layer every `histogram_freq` epochs. A model graph, gradient
    histograms, weight images and embeddings have no counterpart here: asking for
    `write_grads`, `write_images` or `embeddings_freq` gives a warning and the option is
    turned off, as Keras 2 did on its non-TensorFlow backends.

    # Arguments
        log_dir: the path of the directory where to save the log files to be parsed by
            TensorBoard.
        histogram_freq: frequency (in epochs) at which to write weight histograms for the
            layers of the model. If set to 0, histograms won't be written. Validation data
            (or split) must be specified for histogram visualizations.
        batch_size: size of batch of inputs to feed to the network for histogram
            computation.
        write_graph: whether to visualize the graph in TensorBoard (no graph is written:
            cornu models have no TensorFlow graph).
        write_grads: whether to visualize gradient histograms (not supported).
        write_images: whether to write model weights to visualize as image (not supported).
        embeddings_freq: frequency (in epochs) at which selected embedding layers are saved
            (not supported).
        embeddings_layer_names: a list of names of layers to keep eye on.
        embeddings_metadata: a dictionary which maps layer name to a file name in which
            metadata for this embedding layer is saved.
        embeddings_data: data to be embedded at layers specified in
            `embeddings_layer_names`.
        update_freq: `'batch'` or `'epoch'` or integer. When using `'batch'`, writes the
            losses and metrics to TensorBoard after each batch. The same applies for
            `'epoch'`. If using an integer, let's say `10000`, the callback will write the
            metrics and losses to TensorBoard every 10000 samples. Note that writing too
            frequently to TensorBoard can slow down your training.
    """

    _chief_only = True

    def __init__(self, log_dir='./logs', histogram_freq=0, batch_size=32, write_graph=True,
                 write_grads=False, write_images=False, embeddings_freq=0,
                 embeddings_layer_names=None, embeddings_metadata=None, embeddings_data=None,
                 update_freq='epoch'):
        super(TensorBoard, self).__init__()
        for name, value, off in (('write_grads', write_grads, False),
                                 ('write_images', write_images, False),
                                 ('embeddings_freq', embeddings_freq, 0)):
            if value:
                warnings.warn('`%s` is not supported by cornu\'s TensorBoard callback: '
                              '%s was set to %r' % (name, name, off))
        self.log_dir = log_dir
        self.histogram_freq = histogram_freq
        self.merged = None
        self.write_graph = write_graph
        self.write_grads = False
        self.write_images = False
        self.embeddings_freq = 0
        self.embeddings_layer_names = embeddings_layer_names
        self.embeddings_metadata = embeddings_metadata or {}
        self.batch_size = batch_size
        self.embeddings_data = embeddings_data
        if update_freq == 'batch':
            # Writing after every batch: after at least one sample.
            self.update_freq = 1
        else:
            self.update_freq = update_freq
        self.samples_seen = 0
        self.samples_seen_at_last_write = 0
        self.writer = None

    def set_model(self, model):
        self.model = model
        if self.writer is None or self.writer.closed:
            self.writer = EventFileWriter(self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not self.validation_data and self.histogram_freq:
            raise ValueError('If printing histograms, validation_data must be provided, and '
                             'cannot be a generator.')
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weight_histograms(epoch)
        index = epoch if self.update_freq == 'epoch' else self.samples_seen
        self._write_logs(logs, index)

    def _write_weight_histograms(self, step):
        for layer in getattr(self.model, 'layers', []):
            weights = list(getattr(layer, 'weights', []))
            if not weights:
                continue
            values = K.batch_get_value(weights)
            for weight, value in zip(weights, values):
                tag = str(getattr(weight, 'name', 'weight')).replace(':', '_')
                self.writer.add_summary(histogram_summary(tag, value), step)
        self.writer.flush()

    def _write_logs(self, logs, index):
        for name, value in logs.items():
            if name in ['batch', 'size']:
                continue
            value = to_python(value)
            if isinstance(value, (np.ndarray, np.generic)):
                value = value.item()
            self.writer.add_summary(scalar_summary(name, value), index)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()

    def on_batch_end(self, batch, logs=None):
        if self.update_freq != 'epoch':
            logs = logs or {}
            self.samples_seen += logs['size']
            samples_seen_since = self.samples_seen - self.samples_seen_at_last_write
            if samples_seen_since >= self.update_freq:
                self._write_logs(logs, self.samples_seen)
                self.samples_seen_at_last_write = self.samples_seen
