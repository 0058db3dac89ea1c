"""Trains a simple deep MLP on Fashion-MNIST: the classic Keras 2 `mnist_mlp` recipe.

Unchanged Keras 2 code but for the imports. The data comes from the Keras cache or, on Debian,
the `dataset-fashion-mnist` package, so no network is needed. A 2-hidden-layer MLP reaches
about 0.88-0.89 test accuracy.

Usage: python examples/fashion_mnist_mlp.py [--epochs N]
"""
from __future__ import print_function

import argparse
import time

import cornu as keras
from cornu.datasets import fashion_mnist
from cornu.models import Sequential
from cornu.layers import Dense, Dropout
from cornu.optimizers import RMSprop

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--epochs', type=int, default=20)
parser.add_argument('--batch-size', type=int, default=128)
args = parser.parse_args()

num_classes = 10

(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
x_train = x_train.reshape(60000, 784).astype('float32') / 255
x_test = x_test.reshape(10000, 784).astype('float32') / 255
print(x_train.shape[0], 'train samples')
print(x_test.shape[0], 'test samples')

y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = Sequential()
model.add(Dense(512, activation='relu', input_shape=(784,)))
model.add(Dropout(0.2))
model.add(Dense(512, activation='relu'))
model.add(Dropout(0.2))
model.add(Dense(num_classes, activation='softmax'))

model.summary()

model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])

start = time.time()
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    verbose=1, validation_data=(x_test, y_test))
elapsed = time.time() - start
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
print('Training time: %.1fs (%.2fs per epoch)' % (elapsed, elapsed / args.epochs))
