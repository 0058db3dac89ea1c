"""Former name of `mobilenet_v2`, kept (as in Keras 2.2.4) for code that imports it."""
from .mobilenet_v2 import (MobileNetV2, decode_predictions,  # noqa: F401
                           preprocess_input)
