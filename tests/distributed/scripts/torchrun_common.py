"""Data and models shared by the torchrun scripts and the lone-process references."""
import numpy as np

from cornu import backend as K
from cornu.layers import Dense
from cornu.models import Sequential
from cornu.optimizers import Optimizer
from cornu.utils import Sequence

SHUFFLE_SEED = 1234
PLAIN_SAMPLES = 43   # the last batch of 10 has 3 rows: 2 in process 0, 1 in process 1
CUSTOM_SAMPLES = 41  # the last batch has 1 row: process 1 runs it without rows
PLAIN_BATCH = 10


def data(samples, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(samples, 8)).astype('float32')
    y = np.eye(3, dtype='float32')[rng.randint(0, 3, samples)]
    return x, y


def plain_model(optimizer='sgd'):
    model = Sequential([Dense(16, activation='tanh', input_shape=(8,)),
                        Dense(3, activation='softmax')])
    model.compile(optimizer, 'categorical_crossentropy', metrics=['accuracy'])
    return model


class KerasTwoSGD(Optimizer):
    """Plain SGD written as a Keras 2 script would, through `get_updates`."""

    def __init__(self, lr=0.01, **kwargs):
        super(KerasTwoSGD, self).__init__(**kwargs)
        self.lr = K.variable(lr, name='lr')

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_sub(p, self.lr * g) for p, g in zip(params, grads)]
        return self.updates


class ArraySequence(Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]
