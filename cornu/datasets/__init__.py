"""`cornu.datasets`: the Keras 2 datasets, loaded from (and cached in) the same files, with
the same arrays, as `keras.datasets` in Keras 2.2.4."""
from . import mnist
from . import fashion_mnist
from . import cifar10
from . import cifar100
from . import imdb
from . import reuters
from . import boston_housing
