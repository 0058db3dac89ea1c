"""`model.fit` of Keras 2's imdb_lstm example against a hand-written PyTorch loop.

    python benchmarks/lstm.py [--epochs N] [--samples N] [--activations hard_sigmoid]

The model of `examples/imdb_lstm.py` (Keras 2.2.4): Embedding(20000, 128), LSTM(128),
Dense(1, sigmoid), binary crossentropy, Adam, batch 32, sequences of 80 word ids, here on
synthetic data. The PyTorch loop is what a PyTorch user writes: `nn.Embedding`, `nn.LSTM`,
`nn.Linear`, `BCEWithLogitsLoss`, `torch.optim.Adam(foreach=True)`, batches gathered by
indexing tensors, accuracy accumulated on the device, the same initial weights and the same
shuffled batch order.

Rows:
- `recurrent_activation='sigmoid'`: the LSTM's formula is nn.LSTM's, so cornu runs it in the
  same native kernel;
- Keras 2's default `hard_sigmoid`: no native kernel has it; cornu runs its step loop (the
  PyTorch side still runs nn.LSTM, i.e. a different, cheaper formula: this row says what
  keeping Keras 2's default costs).
"""
import argparse
import contextlib
import io

import numpy as np

from common import pin_threads, compare, print_table

pin_threads()

import torch  # noqa: E402
from cornu.models import Sequential  # noqa: E402
from cornu.layers import Embedding, LSTM, Dense  # noqa: E402
from cornu.optimizers import Adam  # noqa: E402

MAX_FEATURES, MAXLEN, BATCH_SIZE, UNITS = 20000, 80, 32, 128


def build_cornu(recurrent_activation):
    model = Sequential()
    model.add(Embedding(MAX_FEATURES, 128, input_length=MAXLEN))
    model.add(LSTM(UNITS, recurrent_activation=recurrent_activation))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer=Adam(lr=0.001), metrics=['accuracy'])
    return model


class TorchNet(torch.nn.Module):
    def __init__(self):
        super(TorchNet, self).__init__()
        self.embedding = torch.nn.Embedding(MAX_FEATURES, 128)
        self.lstm = torch.nn.LSTM(128, UNITS, batch_first=True)
        self.linear = torch.nn.Linear(UNITS, 1)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.embedding(ids))
        return self.linear(h[-1]).squeeze(-1)


def build_torch(model):
    """The PyTorch model with the cornu model's initial weights (gate order i, f, c/g, o is
    the same; Keras' single LSTM bias goes to `bias_ih`, `bias_hh` is zero)."""
    net = TorchNet()
    (table,), (kernel, recurrent, bias), (dense_kernel, dense_bias) = [
        layer.get_weights() for layer in model.layers]
    with torch.no_grad():
        net.embedding.weight.copy_(torch.from_numpy(table))
        net.lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T))
        net.lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent.T))
        net.lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
        net.lstm.bias_hh_l0.zero_()
        net.linear.weight.copy_(torch.from_numpy(dense_kernel.T))
        net.linear.bias.copy_(torch.from_numpy(dense_bias))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7, foreach=True)
    return net, optimizer


def torch_fit(net, optimizer, x, y, epochs):
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n = xt.shape[0]
    for _ in range(epochs):
        order = torch.from_numpy(np.random.permutation(n))
        loss_sum = torch.zeros(())
        correct = torch.zeros(())
        for start in range(0, n, BATCH_SIZE):
            index = order[start:start + BATCH_SIZE]
            xb, yb = xt[index], yt[index]
            logits = net(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach() * xb.shape[0]
                correct += ((logits > 0).float() == yb).sum()
        float(loss_sum), float(correct)


def cornu_fit(model, x, y, epochs):
    with contextlib.redirect_stdout(io.StringIO()):
        model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, verbose=0)


def torch_predict(net, x):
    with torch.inference_mode():
        xt = torch.from_numpy(x)
        outputs = [torch.sigmoid(net(xt[start:start + BATCH_SIZE]))
                   for start in range(0, xt.shape[0], BATCH_SIZE)]
        torch.cat(outputs).numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--samples', type=int, default=3200)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--activations', nargs='+', default=['sigmoid', 'hard_sigmoid'],
                        choices=['sigmoid', 'hard_sigmoid'],
                        help='the recurrent_activation rows to run')
    args = parser.parse_args()
    x = np.random.randint(1, MAX_FEATURES, size=(args.samples, MAXLEN)).astype('int64')
    y = np.random.randint(0, 2, size=args.samples).astype('float32')
    rows = []
    for activation in args.activations:
        model = build_cornu(activation)
        net, optimizer = build_torch(model)
        label = 'fit, recurrent_activation=%s' % activation
        rows.append(compare(label, args.samples * args.epochs,
                            lambda: cornu_fit(model, x, y, args.epochs),
                            lambda: torch_fit(net, optimizer, x, y, args.epochs),
                            repeats=args.repeats))
        rows.append(compare('predict, recurrent_activation=%s' % activation,
                            args.samples,
                            lambda: model.predict(x, batch_size=BATCH_SIZE),
                            lambda: torch_predict(net, x), repeats=args.repeats))
    print_table('imdb_lstm (%d samples, batch %d): cornu vs a hand-written PyTorch loop '
                '(%d threads, %s)'
                % (args.samples, BATCH_SIZE, torch.get_num_threads(),
                   'cuda' if torch.cuda.is_available() else 'cpu'),
                rows)


if __name__ == '__main__':
    main()
