"""`model.predict` throughput against the same network written in plain PyTorch.

    python benchmarks/predict.py

Same weights, same data, same batch size; PyTorch runs under `inference_mode` with a plain
loop over batch slices and one concatenation.
"""
import numpy as np

from common import pin_threads, compare, print_table

pin_threads()

import torch  # noqa: E402
from cornu.models import Sequential  # noqa: E402
from cornu.layers import Dense  # noqa: E402


def cornu_mlp(sizes):
    model = Sequential()
    model.add(Dense(sizes[1], activation='relu', input_shape=(sizes[0],)))
    for units in sizes[2:-1]:
        model.add(Dense(units, activation='relu'))
    model.add(Dense(sizes[-1], activation='softmax'))
    return model


def torch_mlp(model):
    modules = []
    dense_layers = model.layers
    for index, layer in enumerate(dense_layers):
        kernel, bias = layer.get_weights()
        linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        modules.append(torch.nn.ReLU() if index < len(dense_layers) - 1 else
                       torch.nn.Softmax(dim=-1))
    return torch.nn.Sequential(*modules).eval()


def torch_predict(net, x, batch_size):
    with torch.inference_mode():
        xt = torch.from_numpy(x)
        outputs = [net(xt[start:start + batch_size])
                   for start in range(0, xt.shape[0], batch_size)]
        return torch.cat(outputs).numpy()


def main():
    rows = []
    for sizes, samples, batch_size in (((784, 512, 512, 10), 10000, 128),
                                       ((32, 64, 10), 20000, 32)):
        model = cornu_mlp(sizes)
        net = torch_mlp(model)
        x = np.random.rand(samples, sizes[0]).astype('float32')
        expected = torch_predict(net, x, batch_size)
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size), expected,
                                   rtol=1e-4, atol=1e-6)
        name = 'MLP %s, batch %d' % ('-'.join(map(str, sizes)), batch_size)
        rows.append(compare(name, samples,
                            lambda: model.predict(x, batch_size=batch_size),
                            lambda: torch_predict(net, x, batch_size), repeats=7))
    print_table('predict() vs plain PyTorch (%d threads)' % torch.get_num_threads(), rows)


if __name__ == '__main__':
    main()
