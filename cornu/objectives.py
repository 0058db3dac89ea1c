"""`keras.objectives`: Keras 1's name of the `losses` module, kept by Keras 2.2.4 for old code.

Every name of `cornu.losses` is available here (`from cornu.objectives import
categorical_crossentropy`, `objectives.get('mse')`).
"""
from .losses import *  # noqa: F401,F403
