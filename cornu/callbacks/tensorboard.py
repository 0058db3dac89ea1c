"""`TensorBoard`: training logs for TensorBoard, written as Keras 2 wrote them with TensorFlow.

Scalars (the logs), histograms of the weights, of the layers' outputs and of the gradients,
weights as images, the model's layer graph and embeddings for the projector, through the
`tensorboard` package (an optional extra: `pip install 'cornu[tensorboard]'`).
"""
import os

import numpy as np

from .. import backend as K
from .logs import to_python
from .base import Callback
from . import embeddings_projector
from .event_summaries import (SummaryWriter, histogram_value, image_values, scalar_value,
                              tensorboard_modules, weight_image_batch)
from .model_graph import model_graph_def
from .validation_values import LayerOutputs, LossGradients, states_kept


class TensorBoard(Callback):
    """TensorBoard basic visualizations.

    Writes a log for TensorBoard, the visualization tool that comes with TensorFlow (and as
    the `tensorboard` package without it), to show the curves of the training and test
    metrics, histograms of the weights and of the layers' activations, the model's graph
    and embeddings. Start TensorBoard from the command line to see them:

    ```sh
    tensorboard --logdir=/full_path_to_your_logs
    ```

    The event files are written by the `tensorboard` package (TensorFlow is not needed:
    `pip install 'cornu[tensorboard]'`). What is written, with the tags and steps Keras 2
    used:

    - the logs at the end of each epoch (step: the epoch), or of batches (see
      `update_freq`; step: the number of samples seen), tagged by their names (`loss`,
      `acc`, `val_loss`...);
    - every `histogram_freq` epochs, for each batch of `batch_size` rows of the validation
      data, at the epoch as step: histograms of each weight (`dense_1/kernel_0`), of each
      layer's output (`dense_1_out`, or `<layer>_out_<i>` for several outputs), with
      `write_grads` of the gradient of the loss for each trainable weight
      (`dense_1/kernel_0_grad`), and with `write_images` the weights as grayscale images
      (`dense_1/kernel_0/image/0`; a matrix as one image, a 3D kernel as one image per
      filter, a vector as a column; at most 3 images per weight; other ranks are left out),
      all computed in the test phase;
    - with `write_graph`, once, the graph of the model's layers (TensorBoard's Graphs tab);
    - every `embeddings_freq` epochs, the outputs of the layers named in
      `embeddings_layer_names` on `embeddings_data`, one row per sample, as
      `<layer>_embedding.tsv`, with `projector_config.pbtxt` (TensorBoard's Projector tab).

    # Arguments
        log_dir: the path of the directory where to save the log files to be parsed by
            TensorBoard.
        histogram_freq: frequency (in epochs) at which to compute activation and weight
            histograms for the layers of the model. If set to 0, histograms won't be
            computed. Validation data (or split) must be specified for histogram
            visualizations.
        batch_size: size of batch of inputs to feed to the network for histograms
            computation.
        write_graph: whether to visualize the graph in TensorBoard.
        write_grads: whether to visualize gradient histograms in TensorBoard.
            `histogram_freq` must be greater than 0.
        write_images: whether to write model weights to visualize as image in TensorBoard.
        embeddings_freq: frequency (in epochs) at which selected embedding layers will be
            saved. If set to 0, embeddings won't be computed. Data to be visualized in
            TensorBoard's Embedding tab must be passed as `embeddings_data`.
        embeddings_layer_names: a list of names of layers to keep eye on. If None or empty
            list all the embedding layer will be watched.
        embeddings_metadata: a dictionary which maps layer name to a file name in which
            metadata for this embedding layer is saved (a path relative to `log_dir`, or
            absolute). In case if the same metadata file is used for all embedding layers,
            string can be passed.
        embeddings_data: data to be embedded at layers specified in
            `embeddings_layer_names`. Numpy array (if the model has a single input) or list
            of Numpy arrays (if the model has multiple inputs).
        update_freq: `'batch'` or `'epoch'` or integer. When using `'batch'`, writes the
            losses and metrics to TensorBoard after each batch. The same applies for
            `'epoch'`. If using an integer, let's say `10000`, the callback will write the
            metrics and losses to TensorBoard every 10000 samples. Note that writing too
            frequently to TensorBoard can slow down your training.

    # Raises
        ImportError: when the `tensorboard` package is not installed.
        ValueError: for an `update_freq` that is none of `'batch'`, `'epoch'` or a
            positive integer.
    """

    _chief_only = True

    def __init__(self, log_dir='./logs', histogram_freq=0, batch_size=32, write_graph=True,
                 write_grads=False, write_images=False, embeddings_freq=0,
                 embeddings_layer_names=None, embeddings_metadata=None, embeddings_data=None,
                 update_freq='epoch'):
        super(TensorBoard, self).__init__()
        # Fails here, before any training, when the package is missing.
        self._tb = tensorboard_modules()
        if update_freq not in ('batch', 'epoch') and not (
                isinstance(update_freq, (int, np.integer)) and
                not isinstance(update_freq, bool) and update_freq > 0):
            raise ValueError("`update_freq` should be 'batch', 'epoch' or a positive number "
                             "of samples, but is %r." % (update_freq,))
        self.log_dir = log_dir
        self.histogram_freq = histogram_freq
        self.merged = None
        self.write_graph = write_graph
        self.write_grads = write_grads
        self.write_images = write_images
        self.embeddings_freq = embeddings_freq
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
        self._layer_outputs = self._gradients = None
        self._embedded_layers = self._embedding_inputs = self._embedding_function = None

    def set_model(self, model):
        self.model = model
        # Made again for each model, when first needed.
        self._layer_outputs = self._gradients = self._embedding_function = None
        if self.writer is None or self.writer.closed:
            self.writer = SummaryWriter(self.log_dir, self._tb)
            if self.write_graph:
                self.writer.add_graph(model_graph_def(model, self._tb))
                self.writer.flush()
        if self.embeddings_freq and self.embeddings_data is not None:
            self._embedding_inputs = embeddings_projector.embedding_inputs(
                self.embeddings_data, model.input_names)
            self._embedded_layers = self._watched_layers(model)

    def _watched_layers(self, model):
        """The layers whose embeddings are written: those named, else every `Embedding`."""
        names = self.embeddings_layer_names
        if not names:
            return [layer for layer in model.layers if type(layer).__name__ == 'Embedding']
        known = [layer.name for layer in model.layers]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError('`embeddings_layer_names` names %s, which the model has no '
                             'layer of; its layers are %s.' % (unknown, known))
        return [layer for layer in model.layers if layer.name in names]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not self.validation_data and self.histogram_freq:
            raise ValueError('If printing histograms, validation_data must be provided, and '
                             'cannot be a generator.')
        if self.embeddings_data is None and self.embeddings_freq:
            raise ValueError('To visualize embeddings, embeddings_data must be provided.')
        if self.validation_data and self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings()
        index = epoch if self.update_freq == 'epoch' else self.samples_seen
        self._write_logs(logs, index)

    # ------------------------------------------------------------------ histograms, images

    def _split_validation_data(self):
        """`validation_data` as `(inputs, targets, sample weights)` lists (the learning
        phase value that may end it left out)."""
        data = list(self.validation_data)
        if data and np.ndim(data[-1]) == 0:
            data = data[:-1]
        n_inputs = len(self.model.inputs)
        rest = data[n_inputs:]
        half = len(rest) // 2
        return data[:n_inputs], rest[:half], rest[half:]

    def _weight_values(self):
        """`[(tag, weight, value)]` for each weight of each layer, tagged as Keras 2 did:
        the weight's name with `:` as `_` (`dense_1/kernel_0`)."""
        weights = [w for layer in self.model.layers for w in layer.weights]
        values = K.batch_get_value(weights)
        return [(str(w.name).replace(':', '_'), w, v) for w, v in zip(weights, values)]

    def _write_histograms(self, epoch):
        """For each validation batch, one event at `epoch` with the histograms (and images)
        of the weights, of the layers' outputs and of the gradients."""
        if self._layer_outputs is None:
            self._layer_outputs = LayerOutputs(self.model)
        if self.write_grads and self._gradients is None:
            self._gradients = LossGradients(self.model)
        tb = self._tb
        weights = self._weight_values()
        weight_summaries = []
        for tag, _, value in weights:
            weight_summaries.append(histogram_value(tb, tag, value))
            if self.write_images:
                batch = weight_image_batch(value, K.image_data_format())
                if batch is not None:
                    weight_summaries.extend(image_values(tb, tag, batch))
        tags = {id(weight): tag for tag, weight, _ in weights}
        inputs, targets, sample_weights = self._split_validation_data()
        size = len(inputs[0])
        for start in range(0, size, self.batch_size):
            rows = slice(start, start + self.batch_size)
            values = list(weight_summaries)
            if self.write_grads:
                grads = self._gradients([x[rows] for x in inputs], [y[rows] for y in targets],
                                        [w[rows] for w in sample_weights])
                values.extend(histogram_value(tb, tags[id(w)] + '_grad', g)
                              for w, g in grads if id(w) in tags)
            values.extend(histogram_value(tb, tag, output) for tag, output in
                          self._layer_outputs([x[rows] for x in inputs]))
            self.writer.add_values(values, epoch)
        self.writer.flush()

    # ------------------------------------------------------------------ embeddings

    def _write_embeddings(self):
        """The watched layers' outputs on `embeddings_data`, flattened to one row per
        sample, as TSV files, and the projector config naming them."""
        layers = self._embedded_layers
        if not layers:
            return
        inputs = self._embedding_inputs
        feeds_phase = self.model.uses_learning_phase and \
            not isinstance(K.learning_phase(), int)
        if self._embedding_function is None:
            fed = list(self.model.inputs) + ([K.learning_phase()] if feeds_phase else [])
            self._embedding_function = K.function(fed, [layer.output for layer in layers])
        size = len(inputs[0])
        with states_kept(self.model):
            batches = [self._embedding_function([x[start:start + self.batch_size]
                                                 for x in inputs] +
                                                ([0.] if feeds_phase else []))
                       for start in range(0, size, self.batch_size)]
        shapes = {}
        for layer, parts in zip(layers, zip(*batches)):
            values = np.concatenate(parts).reshape(size, -1)
            embeddings_projector.write_tensor_tsv(
                os.path.join(self.log_dir, embeddings_projector.tensor_file_name(layer.name)),
                values)
            shapes[layer.name] = values.shape
        metadata = self.embeddings_metadata
        if isinstance(metadata, str):
            metadata = {name: metadata for name in shapes}
        embeddings_projector.write_projector_config(self.log_dir, self._tb, shapes, metadata)

    # ------------------------------------------------------------------ scalars

    def _write_logs(self, logs, index):
        for name, value in logs.items():
            if name in ['batch', 'size']:
                continue
            value = to_python(value)
            if isinstance(value, (np.ndarray, np.generic)):
                value = value.item()
            self.writer.add_values([scalar_value(self._tb, name, value)], index)
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
