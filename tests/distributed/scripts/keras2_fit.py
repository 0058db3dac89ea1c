"""An unchanged Keras 2 script, run by `torchrun` in tests/distributed/test_torchrun.py.

It trains, evaluates and predicts, and writes what each process ended with into the folder
named by its first argument (`<name>_rank<r>.npy`, a JSON summary per process). The reference
numbers of a lone process come from the test itself, from the same initial weights
(`initial_<model>.npz` in that folder) and the same shuffle seed.
"""
import json
import os
import sys

import numpy as np

import cornu as keras
from cornu import backend as K
from cornu.callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint
from cornu.layers import BatchNormalization, Dense, Dropout
from cornu.models import Sequential
from cornu.utils import Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchrun_common as common  # noqa: E402

out = sys.argv[1]
rank = int(os.environ['RANK'])
summary = {}


def save(name, values):
    np.save(os.path.join(out, '%s_rank%d.npy' % (name, rank)),
            np.concatenate([np.ravel(v) for v in values]))


# 1. Dropout and BatchNormalization, weights drawn unseeded (different in each process).
x, y = common.data(64)
model = Sequential([Dense(16, activation='relu', input_shape=(8,)), BatchNormalization(),
                    Dropout(0.3), Dense(3, activation='softmax')])
model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
# The files are named after the process, to tell which process wrote them.
model.fit(x, y, batch_size=16, epochs=2, verbose=1, validation_split=0.25, callbacks=[
    ModelCheckpoint(os.path.join(out, 'checkpoint_rank%d.h5' % rank)),
    CSVLogger(os.path.join(out, 'log_rank%d.csv' % rank))])
save('bn', model.get_weights())

# 2. No Dropout nor BatchNormalization: equals one process on the same global batches.
plain = common.plain_model()
plain.set_weights(list(np.load(os.path.join(out, 'initial_plain.npz')).values()))
np.random.seed(common.SHUFFLE_SEED)
x, y = common.data(common.PLAIN_SAMPLES)
history = plain.fit(x, y, batch_size=common.PLAIN_BATCH, epochs=2, verbose=0)
save('plain', plain.get_weights())
summary['plain_loss'] = history.history['loss']

# 3. evaluate and predict.
x, y = common.data(37, seed=5)
summary['evaluate'] = plain.evaluate(x, y, batch_size=8, verbose=0)
save('predict', [plain.predict(x, batch_size=8)])

# 4. A Keras 2-style optimizer with its own `get_updates`.
custom = common.plain_model(optimizer=common.KerasTwoSGD(lr=0.1))
custom.set_weights(list(np.load(os.path.join(out, 'initial_plain.npz')).values()))
np.random.seed(common.SHUFFLE_SEED)
x, y = common.data(common.CUSTOM_SAMPLES)
custom.fit(x, y, batch_size=common.PLAIN_BATCH, epochs=1, verbose=0)
save('custom', custom.get_weights())


# 4b. HDF5Matrix inputs, read batch by batch, whole batches shuffled.
from cornu.utils.io_utils import HDF5Matrix  # noqa: E402
from_hdf5 = common.plain_model()
from_hdf5.set_weights(list(np.load(os.path.join(out, 'initial_plain.npz')).values()))
np.random.seed(common.SHUFFLE_SEED)
path = os.path.join(out, 'data.h5')
from_hdf5.fit(HDF5Matrix(path, 'x'), HDF5Matrix(path, 'y'), batch_size=common.PLAIN_BATCH,
              epochs=2, shuffle='batch', verbose=0)
save('hdf5', from_hdf5.get_weights())

# 5. EarlyStopping, and a decision that process 0 alone takes.
class StopOnChief(Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1 and rank == 0:
            self.model.stop_training = True


x, y = common.data(32)
history = plain.fit(x, y, batch_size=8, epochs=10, verbose=0, callbacks=[
    EarlyStopping(monitor='loss', patience=2, baseline=0.)])  # never improves: stops after 2
summary['early_stopping_epochs'] = len(history.epoch)
history = plain.fit(x, y, batch_size=8, epochs=10, verbose=0, callbacks=[StopOnChief()])
summary['chief_stop_epochs'] = len(history.epoch)


# A decision that process 1 alone takes in the middle of an epoch (as a wall-clock limit
# might): every process stops after the same batch.
class StopMidEpochOnRank1(Callback):
    def __init__(self):
        super(StopMidEpochOnRank1, self).__init__()
        self.batches = 0

    def on_batch_end(self, batch, logs=None):
        self.batches += 1
        if rank == 1 and self.batches == 6:
            self.model.stop_training = True


counter = StopMidEpochOnRank1()
history = plain.fit(x, y, batch_size=8, epochs=10, verbose=0, callbacks=[counter])
summary['mid_epoch_stop'] = [len(history.epoch), counter.batches]

# 6. A Sequence, sharded by batch index.
sequence = common.ArraySequence(*common.data(36), batch_size=4)
by_sequence = common.plain_model()
by_sequence.set_weights(list(np.load(os.path.join(out, 'initial_plain.npz')).values()))
by_sequence.fit_generator(sequence, epochs=2, shuffle=False, verbose=0, workers=0)
save('sequence', by_sequence.get_weights())
summary['evaluate_generator'] = by_sequence.evaluate_generator(sequence, workers=0)
save('predict_generator', [by_sequence.predict_generator(sequence, workers=0)])

# 7. Bad input: a batch size the processes cannot share, a Sequence of another length.
try:
    plain.fit(x, y, batch_size=7, epochs=1, verbose=0)
except ValueError as error:
    summary['bad_batch_size'] = str(error)
try:
    plain.fit_generator(common.ArraySequence(*common.data(36 + 4 * rank), batch_size=4),
                        epochs=1, verbose=0, workers=0)
except ValueError as error:
    summary['bad_sequence'] = str(error)

summary['world_size'] = keras.distribute.world_size()
summary['is_chief'] = keras.distribute.is_chief()
summary['device'] = K.backend()
with open(os.path.join(out, 'summary_rank%d.json' % rank), 'w') as f:
    json.dump(summary, f)
