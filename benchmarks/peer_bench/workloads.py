"""The four workloads of the peer benchmark, their seeded synthetic data and their Keras 2
models.

- `mnist_mlp`: Dense 784-512-512-10 (relu, Dropout 0.2 after each hidden layer, softmax),
  RMSprop, categorical cross-entropy, batch 128, 60000 samples.
- `mnist_cnn`: the Keras 2 MNIST CNN (Conv2D 32 and 64 3x3 relu, MaxPooling 2x2,
  Dropout 0.25, Flatten, Dense 128 relu, Dropout 0.5, Dense 10 softmax) on 28x28x1 images,
  Adadelta, batch 128, 6000 samples.
- `imdb_lstm`: Embedding(20000, 128), LSTM(128, dropout=0.2) with Keras 2's defaults,
  Dense(1, sigmoid), Adam, binary cross-entropy, batch 32, sequences of 80 token ids,
  2500 samples.
- `tiny_mlp`: Dense 32-64-10 (relu, softmax), SGD, batch 32, 20000 samples: so little
  arithmetic that a step's time is the framework's own overhead.

Optimizer settings are those a string name gives in Keras 3 (`OPTIMIZER_SETTINGS`); the
hand-written loops use the same numbers. Labels come from a fixed random linear "teacher",
so the tasks can be learnt.
"""
import collections
import importlib

Workload = collections.namedtuple(
    'Workload', 'name batch_size samples input_shape classes loss optimizer label')

WORKLOADS = collections.OrderedDict((w.name, w) for w in [
    Workload('mnist_mlp', 128, 60000, (784,), 10, 'categorical_crossentropy', 'rmsprop',
             'mnist_mlp (784-512-512-10, dropout, RMSprop, b128)'),
    Workload('mnist_cnn', 128, 6000, (28, 28, 1), 10, 'categorical_crossentropy', 'adadelta',
             'mnist_cnn (Keras 2 example, Adadelta, b128)'),
    Workload('imdb_lstm', 32, 2500, (80,), 1, 'binary_crossentropy', 'adam',
             'imdb_lstm (Embedding 20000x128, LSTM 128, b32)'),
    Workload('tiny_mlp', 32, 20000, (32,), 10, 'categorical_crossentropy', 'sgd',
             'tiny_mlp (32-64-10, SGD, b32: per-step overhead)'),
])

VOCABULARY = 20000
SEQUENCE_LENGTH = 80
OPTIMIZER_SETTINGS = {
    'rmsprop': {'lr': 1e-3, 'rho': 0.9, 'epsilon': 1e-7},
    'adadelta': {'lr': 1e-3, 'rho': 0.95, 'epsilon': 1e-7},
    'adam': {'lr': 1e-3, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-7},
    'sgd': {'lr': 1e-2},
}


def sized(workload, scale=1.0, samples=None):
    """The workload with `samples` rows if given, else its own count times `scale` but at
    least two batches and one row (so that an epoch has full batches and a ragged last one)."""
    if samples is not None:
        return workload._replace(samples=max(int(samples), 1))
    count = int(round(workload.samples * scale))
    return workload._replace(samples=max(count, 2 * workload.batch_size + 1))


def make_data(workload, seed=0):
    """Seeded synthetic data of the workload's shapes: a dict with `x` (float32 features or
    int32 token ids, channels-last images), `labels` (int64 class indices) and `targets`
    (what a Keras model is fitted on: float32 one-hot rows, or a (n, 1) column of 0/1)."""
    import numpy as np
    rng = np.random.RandomState(seed)
    n = workload.samples
    if workload.name == 'imdb_lstm':
        # Token ids with a word-frequency-like long tail, left-padded with 0 as
        # pad_sequences does for reviews shorter than the sequence length.
        x = np.minimum(rng.zipf(1.3, size=(n, SEQUENCE_LENGTH)), VOCABULARY - 1)
        lengths = rng.randint(10, 400, size=n)
        padding = SEQUENCE_LENGTH - np.minimum(lengths, SEQUENCE_LENGTH)
        x[np.arange(SEQUENCE_LENGTH)[None, :] < padding[:, None]] = 0
        x = x.astype(np.int32)
        polarity = rng.randn(VOCABULARY).astype(np.float32)
        polarity[0] = 0.0
        labels = (polarity[x].sum(axis=1) > 0).astype(np.int64)
    else:
        features = int(np.prod(workload.input_shape))
        if workload.name.startswith('mnist'):
            # Pixels in [0, 1], about a fifth of them lit, as in MNIST.
            flat = rng.rand(n, features).astype(np.float32)
            flat *= rng.rand(n, features) < 0.19
        else:
            flat = rng.randn(n, features).astype(np.float32)
        teacher = rng.randn(features, workload.classes).astype(np.float32)
        labels = np.argmax(flat @ teacher, axis=1).astype(np.int64)
        x = flat.reshape((n,) + workload.input_shape)
    if workload.classes == 1:
        targets = labels.astype(np.float32).reshape(n, 1)
    else:
        targets = np.eye(workload.classes, dtype=np.float32)[labels]
    return {'x': np.ascontiguousarray(x), 'labels': labels, 'targets': targets}


def build_keras_model(workload, package, compile_options=None):
    """The workload's model written with the Keras 2 API of `package` ('cornu', 'keras' or
    'tf_keras'), compiled with the optimizer's string name and `metrics=['accuracy']` (and
    `compile_options`, further keyword arguments of `compile`, if given)."""
    Sequential = importlib.import_module(package + '.models').Sequential
    layers = importlib.import_module(package + '.layers')
    model = Sequential()
    if workload.name == 'mnist_mlp':
        model.add(layers.Dense(512, activation='relu', input_shape=(784,)))
        model.add(layers.Dropout(0.2))
        model.add(layers.Dense(512, activation='relu'))
        model.add(layers.Dropout(0.2))
        model.add(layers.Dense(10, activation='softmax'))
    elif workload.name == 'mnist_cnn':
        model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
        model.add(layers.Conv2D(64, (3, 3), activation='relu'))
        model.add(layers.MaxPooling2D((2, 2)))
        model.add(layers.Dropout(0.25))
        model.add(layers.Flatten())
        model.add(layers.Dense(128, activation='relu'))
        model.add(layers.Dropout(0.5))
        model.add(layers.Dense(10, activation='softmax'))
    elif workload.name == 'imdb_lstm':
        model.add(layers.Embedding(VOCABULARY, 128))
        model.add(layers.LSTM(128, dropout=0.2))
        model.add(layers.Dense(1, activation='sigmoid'))
    else:
        model.add(layers.Dense(64, activation='relu', input_shape=(32,)))
        model.add(layers.Dense(10, activation='softmax'))
    model.compile(optimizer=workload.optimizer, loss=workload.loss, metrics=['accuracy'],
                  **(compile_options or {}))
    return model
