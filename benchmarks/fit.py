"""`model.fit` throughput against a hand-written PyTorch training loop on the same work.

    python benchmarks/fit.py [--epochs N]

Same initial weights, same data, the same shuffled batch order (one NumPy permutation per
epoch) and the same optimizer formula. The PyTorch loop is written the way a PyTorch user
would: logits with `F.cross_entropy`, `torch.optim.RMSprop(foreach=True)`, batches gathered by
indexing tensors, the accuracy accumulated on the device. cornu runs `fit(verbose=0)` and
`fit(verbose=1)` (stdout redirected, as in a log file), and for the MLPs also
`fit(verbose=0)` after `compile(..., jit_compile=True)` (the forward and loss in
`torch.compile`; compiling happens in the untimed warm-up run).
"""
import argparse
import contextlib
import io
import os

import numpy as np

from common import pin_threads, compare, print_table

pin_threads()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from cornu.models import Sequential  # noqa: E402
from cornu.layers import Dense  # noqa: E402
from cornu.optimizers import RMSprop, Adadelta  # noqa: E402
from cornu.layers import Conv2D, MaxPooling2D, Dropout, Flatten  # noqa: E402


def build_cornu(sizes, lr, jit_compile=False):
    model = Sequential()
    model.add(Dense(sizes[1], activation='relu', input_shape=(sizes[0],)))
    for units in sizes[2:-1]:
        model.add(Dense(units, activation='relu'))
    model.add(Dense(sizes[-1], activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(lr=lr),
                  metrics=['accuracy'], jit_compile=jit_compile)
    return model


def build_torch(model, lr):
    modules = []
    layers = model.layers
    for index, layer in enumerate(layers):
        kernel, bias = layer.get_weights()
        linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if index < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*modules)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=lr, alpha=0.9, eps=1e-7, foreach=True)
    return net, optimizer


def torch_fit(net, optimizer, x, y_int, batch_size, epochs):
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y_int)
    n = xt.shape[0]
    for _ in range(epochs):
        order = torch.from_numpy(np.random.permutation(n))
        loss_sum = torch.zeros(())
        correct = torch.zeros(())
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            xb, yb = xt[index], yt[index]
            logits = net(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach() * xb.shape[0]
                correct += (logits.argmax(-1) == yb).sum()
        float(loss_sum), float(correct)


def cornu_fit(model, x, y, batch_size, epochs, verbose):
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)


def build_cornu_cnn():
    """The classic Keras 2 mnist_cnn example."""
    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
    model.add(Conv2D(64, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=Adadelta(), metrics=['accuracy'])
    return model


def build_torch_cnn():
    """The same network as a PyTorch user writes it (NCHW input, logits out)."""
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(9216, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adadelta(net.parameters(), lr=1.0, rho=0.95, eps=1e-7,
                                     foreach=True)
    return net, optimizer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=1)
    args = parser.parse_args()
    rows = []
    for sizes, samples, batch_size in (((784, 512, 512, 10), 12800, 128),
                                       ((32, 64, 10), 12800, 32)):
        x = np.random.rand(samples, sizes[0]).astype('float32')
        y_int = np.random.randint(0, sizes[-1], size=samples).astype('int64')
        y = np.eye(sizes[-1], dtype='float32')[y_int]
        model = build_cornu(sizes, lr=0.001)
        net, optimizer = build_torch(model, lr=0.001)
        label = 'MLP %s, batch %d, RMSprop' % ('-'.join(map(str, sizes)), batch_size)
        for verbose in (0, 1):
            rows.append(compare(
                '%s, verbose=%d' % (label, verbose), samples * args.epochs,
                lambda: cornu_fit(model, x, y, batch_size, args.epochs, verbose),
                lambda: torch_fit(net, optimizer, x, y_int, batch_size, args.epochs),
                repeats=3))
        jit_model = build_cornu(sizes, lr=0.001, jit_compile=True)
        jit_model.set_weights(model.get_weights())
        rows.append(compare(
            '%s, jit_compile, verbose=0' % label, samples * args.epochs,
            lambda: cornu_fit(jit_model, x, y, batch_size, args.epochs, 0),
            lambda: torch_fit(net, optimizer, x, y_int, batch_size, args.epochs),
            repeats=3))
    samples = 1280
    x = np.random.rand(samples, 28, 28, 1).astype('float32')
    y_int = np.random.randint(0, 10, size=samples).astype('int64')
    y = np.eye(10, dtype='float32')[y_int]
    model = build_cornu_cnn()
    net, optimizer = build_torch_cnn()
    x_nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    for verbose in (0, 1):
        rows.append(compare(
            'mnist_cnn, batch 128, Adadelta, verbose=%d' % verbose, samples * args.epochs,
            lambda: cornu_fit(model, x, y, 128, args.epochs, verbose),
            lambda: torch_fit(net, optimizer, x_nchw, y_int, 128, args.epochs), repeats=2))
    print_table('fit() vs a hand-written PyTorch loop (%d threads)' % torch.get_num_threads(),
                rows)


if __name__ == '__main__':
    main()
