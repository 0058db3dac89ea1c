"""The cost of PyTorch interop: a cornu model driven as a `torch.nn.Module`, a `torch.nn.Module`
driven as a cornu layer, and what per-layer modules would cost.

    python benchmarks/torch_interop.py

Rows compare, on the same weights and data:

- a hand-written PyTorch training loop over `model.as_torch_module()` against the same loop
  over the network written as `torch.nn.Sequential` (the view's forward runs the model's
  execution plan through cornu's layers);
- the view's forward alone (eval mode, `inference_mode`) against `torch.nn.Sequential`;
- `fit` of a model whose hidden layer is a wrapped `torch.nn.Linear` (`TorchModuleLayer`)
  against `fit` of the same model with `Dense`.

Then the per-call prices that a design with one `nn.Module` per layer would pay on every
layer call (`nn.Module.__setattr__`, `nn.Module.__call__`), against the plain-object
equivalents cornu's layers use.
"""
import timeit

import numpy as np

from common import pin_threads, compare, print_table

pin_threads()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from cornu.models import Sequential  # noqa: E402
from cornu.layers import Dense, Activation, TorchModuleLayer  # noqa: E402
from cornu.optimizers import SGD  # noqa: E402

SIZES = (32, 64, 64, 10)


def cornu_mlp(sizes, first=None):
    """Dense layers with relu between them, logits out (what a torch loss takes)."""
    model = Sequential()
    if first is None:
        model.add(Dense(sizes[1], activation='relu', input_shape=(sizes[0],)))
    else:
        model.add(TorchModuleLayer(first, input_shape=(sizes[0],)))
        model.add(Activation('relu'))
    for units in sizes[2:-1]:
        model.add(Dense(units, activation='relu'))
    model.add(Dense(sizes[-1]))
    return model


def torch_twin(model):
    """The same network as `torch.nn.Sequential`, with copies of the model's weights."""
    modules = []
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    for index, layer in enumerate(dense):
        kernel, bias = layer.get_weights()
        linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if index < len(dense) - 1:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def train_loop(net, x, y, batch_size):
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    net.train()
    loss_sum = torch.zeros(())
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        loss = F.cross_entropy(net(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach()
    float(loss_sum)


def forward_loop(net, x, batch_size):
    net.eval()
    with torch.inference_mode():
        for start in range(0, x.shape[0], batch_size):
            net(x[start:start + batch_size])


def per_call_prices():
    """Nanoseconds per operation of what a module-per-layer design runs on each layer call."""
    class Plain(object):
        pass

    class Identity(torch.nn.Module):
        def forward(self, x):
            return x

    plain, module, identity = Plain(), torch.nn.Module(), Identity()
    value = [1]
    x = torch.ones(1)
    number = 200000

    def ns(statement):
        return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e9

    return [
        ('object attribute store', ns(lambda: setattr(plain, 'state', value))),
        ('nn.Module.__setattr__', ns(lambda: setattr(module, 'state', value))),
        ('plain function call', ns(lambda: identity.forward(x))),
        ('nn.Module.__call__ (no hooks)', ns(lambda: identity(x))),
    ]


def main():
    rows = []
    samples, batch_size = 6400, 32
    x_np = np.random.rand(samples, SIZES[0]).astype('float32')
    y_int = np.random.randint(0, SIZES[-1], size=samples).astype('int64')
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_int)

    model = cornu_mlp(SIZES)
    view, twin = model.as_torch_module(), torch_twin(model)
    label = 'MLP %s, batch %d' % ('-'.join(map(str, SIZES)), batch_size)
    rows.append(compare('as_torch_module: torch train loop', samples,
                        lambda: train_loop(view, x, y, batch_size),
                        lambda: train_loop(twin, x, y, batch_size)))
    rows.append(compare('as_torch_module: forward, inference_mode', samples,
                        lambda: forward_loop(view, x, batch_size),
                        lambda: forward_loop(twin, x, batch_size)))

    # fit with a wrapped torch.nn.Linear as the first layer, against Dense there.
    y_onehot = np.eye(SIZES[-1], dtype='float32')[y_int]
    wrapped = cornu_mlp(SIZES, first=torch.nn.Linear(SIZES[0], SIZES[1]))
    plain = cornu_mlp(SIZES)
    for m in (wrapped, plain):
        m.compile(SGD(lr=0.01), 'mse')

    def fit(m):
        return lambda: m.fit(x_np, y_onehot, batch_size=batch_size, epochs=1, verbose=0)
    rows.append(compare('fit: TorchModuleLayer(Linear) vs Dense', samples, fit(wrapped),
                        fit(plain), repeats=3))
    print_table('PyTorch interop, %s (%d threads); the "torch" column is torch.nn.Sequential, '
                'or the all-Dense model for the fit row' % (label, torch.get_num_threads()),
                rows)

    print()
    print('Per-call prices of a module-per-layer design (ns per operation):')
    for name, value in per_call_prices():
        print('  %-34s %8.0f' % (name, value))
    layer_calls = sum(1 for _ in model.layers)
    print('  (this %d-layer model makes %d layer calls per batch; the view makes one '
          'nn.Module call)' % (layer_calls, layer_calls))


if __name__ == '__main__':
    main()
