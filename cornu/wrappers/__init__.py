"""`cornu.wrappers`: wrappers of cornu models for other libraries' APIs (Keras 2's
`keras.wrappers`)."""
from . import scikit_learn
