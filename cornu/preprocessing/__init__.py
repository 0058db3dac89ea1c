"""`cornu.preprocessing`: Keras 2.2.4's `keras.preprocessing` (data preprocessing and
augmentation): `image`, `sequence` and `text`."""
from . import image  # noqa: F401
from . import sequence  # noqa: F401
from . import text  # noqa: F401
