"""Callbacks: objects called at given points of training (`keras.callbacks`).

Pass a list of them to `fit` (`callbacks=[...]`); each hook receives the logs of its moment.
"""
from .base import Callback, CallbackList
from .loggers import BaseLogger, History, ProgbarLogger, CSVLogger, RemoteMonitor
from .control import (TerminateOnNaN, ModelCheckpoint, EarlyStopping, LearningRateScheduler,
                      ReduceLROnPlateau, LambdaCallback)
from .tensorboard import TensorBoard

__all__ = ['Callback', 'CallbackList', 'BaseLogger', 'TerminateOnNaN', 'ProgbarLogger',
           'History', 'ModelCheckpoint', 'EarlyStopping', 'RemoteMonitor',
           'LearningRateScheduler', 'TensorBoard', 'ReduceLROnPlateau', 'CSVLogger',
           'LambdaCallback']
