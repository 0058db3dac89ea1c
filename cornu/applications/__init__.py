"""`cornu.applications`: the Keras 2.2.4 ImageNet models (keras_applications 1.0.6).

Each model function has Keras 2's signature, defaults, layer names and parameter counts, and
its module (`cornu.applications.vgg16`, ...) has the matching `preprocess_input` and
`decode_predictions`. `weights='imagenet'` reads Keras' own weight files from the Keras
cache (`~/.keras/models/`, downloaded there when missing), so a cache filled by Keras 2
works offline.
"""
from . import imagenet_utils
from . import vgg16
from . import vgg19
from . import resnet50
from . import inception_v3
from . import inception_resnet_v2
from . import xception
from . import mobilenet
from . import mobilenet_v2
from . import mobilenetv2
from . import densenet
from . import nasnet

from .vgg16 import VGG16
from .vgg19 import VGG19
from .resnet50 import ResNet50
from .inception_v3 import InceptionV3
from .inception_resnet_v2 import InceptionResNetV2
from .xception import Xception
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .nasnet import NASNetMobile, NASNetLarge
