"""An unchanged Keras 2 script whose second process raises in the middle of `fit`."""
import os

import numpy as np

from cornu.callbacks import Callback
from cornu.layers import Dense
from cornu.models import Sequential


class FailOnRankOne(Callback):
    def on_batch_end(self, batch, logs=None):
        if batch == 2 and os.environ['RANK'] == '1':
            raise RuntimeError('deliberate failure in process 1')


x = np.random.normal(size=(64, 4)).astype('float32')
y = np.random.normal(size=(64, 1)).astype('float32')
model = Sequential([Dense(8, input_shape=(4,)), Dense(1)])
model.compile('sgd', 'mse')
model.fit(x, y, batch_size=8, epochs=1000, verbose=0, callbacks=[FailOnRankOne()])
