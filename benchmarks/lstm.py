"""`model.fit` of Keras 2's imdb_lstm example against a hand-written PyTorch loop, and the
LSTM recurrence alone against torch's fused `nn.LSTM`.

    python benchmarks/lstm.py [--epochs N] [--samples N] [--activations hard_sigmoid]
                              [--dropout 0.2 --recurrent-dropout 0.2]
    python benchmarks/lstm.py --recurrence [--rounds N] [--cell gru] [--shape B,T,U]
                              [--flush-denormals] [--omp-wait-default]

The model of `examples/imdb_lstm.py` (Keras 2.2.4): Embedding(20000, 128), LSTM(128),
Dense(1, sigmoid), binary crossentropy, Adam, batch 32, sequences of 80 word ids, here on
synthetic data. The PyTorch loop is what a PyTorch user writes: `nn.Embedding`, `nn.LSTM`,
`nn.Linear`, `BCEWithLogitsLoss`, `torch.optim.Adam(foreach=True)`, batches gathered by
indexing tensors, accuracy accumulated on the device, the same initial weights and the same
shuffled batch order.

Rows:
- `recurrent_activation='sigmoid'`: the LSTM's formula is nn.LSTM's, so cornu runs it in the
  same native kernel;
- Keras 2's default `hard_sigmoid`: no native kernel has it; cornu runs its own recurrence
  (on the CPU its compiled C loops, `cornu/backend/torch/lstm_loops.py`; the PyTorch side
  still runs nn.LSTM, i.e. a different formula: this row says what keeping Keras 2's
  default costs).

`--recurrence` times the layer's work alone on the model's shapes (batch 32, 80 steps, 128
inputs and units; `--shape` gives others): `kernels.lstm_input_recurrence` (what the LSTM
layer calls: the input projection and the recurrence) with hard-sigmoid gates (through the C
loops, and through engine ops as `CORNU_COMPILE_KERNELS=0` has it) against `nn.LSTM`,
training (forward and backward) and inference. Where the C loops have their fused float32
path (AVX-512), the row "BLAS gemm" has them run as without it: the whole sequence projected
first, each step's product by the BLAS gemm. `CORNU_KERNELS_MARCH=x86-64-v3` builds the
loops for AVX2 with FMA (their 8-lane fused path), as on CPUs without AVX-512. With more
than one thread (`BENCH_THREADS`) the C loops split the batch on torch's OpenMP team; the
row "own threads" has them start threads of their own instead, as they did before. `--least`
reports each row's least time rather than its median: on a machine busy with other work, the
least disturbed run.

The benchmarks run torch's OpenMP workers with `OMP_WAIT_POLICY=PASSIVE` (they sleep as soon
as an op ends); `--omp-wait-default` leaves libgomp's default, which users' processes get:
after each parallel op its workers wait busily for a while, competing for the cores with
any other thread. The three run in turn, round after
round, in one process; the table has the median of each's rounds, wall and CPU time, and the
ratio of nn.LSTM's median time to each's (above 1: faster than nn.LSTM). With `--cell gru`
the same for Keras 2's default GRU (`reset_after=False`, hard sigmoid gates: its reset gate
acts before the recurrent product, which nn.GRU's formula does not) against nn.GRU; its C
loops have no fused path (`kernels.gru_recurrence` after the input projection).
Over long sequences the gradients reach the denormal range, where torch's ops (nn.LSTM's
too) take the CPU's slow path and cornu's C loops do not (they flush denormals, as
TensorFlow and XLA do); `--flush-denormals` flushes them in the whole process, so that
the rows compare the arithmetic alone.
"""
import argparse
import contextlib
import io
import os
import statistics
import sys
import time

import numpy as np

_USER_WAIT_POLICY = os.environ.get('OMP_WAIT_POLICY')
from common import pin_threads, compare, print_table  # noqa: E402

if '--omp-wait-default' in sys.argv and _USER_WAIT_POLICY is None:
    # (Before torch loads OpenMP, which reads the variable once.)
    os.environ.pop('OMP_WAIT_POLICY', None)
pin_threads()

import torch  # noqa: E402
from cornu.models import Sequential  # noqa: E402
from cornu.layers import Embedding, LSTM, Dense  # noqa: E402
from cornu.optimizers import Adam  # noqa: E402

MAX_FEATURES, MAXLEN, BATCH_SIZE, UNITS = 20000, 80, 32, 128


def build_cornu(recurrent_activation, dropout=0., recurrent_dropout=0.):
    model = Sequential()
    model.add(Embedding(MAX_FEATURES, 128, input_length=MAXLEN))
    model.add(LSTM(UNITS, recurrent_activation=recurrent_activation, dropout=dropout,
                   recurrent_dropout=recurrent_dropout))
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


def recurrence_table(rounds, cell='lstm', least=False, shape=(BATCH_SIZE, MAXLEN, UNITS)):
    """Medians of `rounds` alternating runs of the recurrence of `cell` ('lstm' or 'gru')
    through cornu's C loops, its engine ops and torch's nn.LSTM or nn.GRU; prints the table.
    (The GRU's loops have no fused path: no row "BLAS gemm".) `shape`: batch, steps and units
    (the inputs' size too)."""
    batch_size, steps, units = shape
    from cornu.backend import kernels
    torch.manual_seed(0)
    gates = 4 if cell == 'lstm' else 3
    native = 'nn.LSTM' if cell == 'lstm' else 'nn.GRU'
    inputs = torch.randn(batch_size, steps, units)
    net = (torch.nn.LSTM if cell == 'lstm' else torch.nn.GRU)(units, units, batch_first=True)
    kernel, recurrent, bias = (torch.randn(units, gates * units) * 0.1,
                               torch.randn(units, gates * units) * 0.1,
                               torch.zeros(gates * units))
    weights = [w.clone().requires_grad_() for w in (kernel, recurrent, bias)]
    states = torch.zeros(batch_size, units)

    from cornu.backend.torch import lstm_loops
    enabled = lstm_loops._ENABLED

    def cornu_run(training, loops):
        # (What `CORNU_COMPILE_KERNELS=0` at import sets.)
        lstm_loops._ENABLED = loops
        x = inputs.clone().requires_grad_() if training else inputs
        w_in, w_rec, b = weights if training else (kernel, recurrent, bias)
        with contextlib.nullcontext() if training else torch.inference_mode():
            if cell == 'lstm':
                # (What the LSTM layer calls.)
                _, h, _ = kernels.lstm_input_recurrence(x, w_in, b, states, states, w_rec,
                                                        'hard_sigmoid')
            else:
                projected = torch.addmm(b, x.reshape(-1, units), w_in).view(
                    batch_size, steps, gates * units)
                _, h = kernels.gru_recurrence(projected, states, w_rec, 'hard_sigmoid')
        if training:
            h.sum().backward()

    def own_threads_run(training):
        use_team = lstm_loops._use_team
        lstm_loops._use_team = lambda: False
        try:
            cornu_run(training, True)
        finally:
            lstm_loops._use_team = use_team

    def blas_run(training):
        library = lstm_loops.loops_for(torch.float32)
        library.set_fused(0)
        try:
            cornu_run(training, True)
        finally:
            library.set_fused(1)

    def torch_run(training):
        x = inputs.clone().requires_grad_() if training else inputs
        with contextlib.nullcontext() if training else torch.inference_mode():
            _, h = net(x)
        if training:
            (h[0] if cell == 'lstm' else h).sum().backward()

    fused = False
    if cell == 'lstm':
        library = lstm_loops.loops_for(torch.float32)
        fused = library is not None and bool(library.set_fused(1))
    print('%s recurrence, batch %d, %d steps, %d units, hard sigmoid gates (%d threads, '
          'OMP_WAIT_POLICY=%s): %s of %d rounds' % (
              cell.upper(), batch_size, steps, units, torch.get_num_threads(),
              os.environ.get('OMP_WAIT_POLICY', 'default'), 'least' if least else 'median',
              rounds))
    if fused:
        print('C loops built for -march=%s: fused loops on %d-lane vectors' % (
            lstm_loops._MARCH, library.fused_lanes()))
    print('%-9s %-26s %10s %10s %14s %14s' % ('', '', 'wall ms', 'CPU ms',
                                               'vs %s wall' % native, 'vs %s CPU' % native))
    for training in (True, False):
        runs = {native: lambda: torch_run(training)}
        runs['cornu C loops'] = lambda: cornu_run(training, True)
        if torch.get_num_threads() > 1:
            runs['cornu C loops, own threads'] = lambda: own_threads_run(training)
        if fused:
            runs['cornu C loops, BLAS gemm'] = lambda: blas_run(training)
        runs['cornu engine ops'] = lambda: cornu_run(training, False)
        times = {name: ([], []) for name in runs}
        for fn in runs.values():
            fn()
        for _ in range(rounds):
            for name, fn in runs.items():
                wall, cpu = time.perf_counter(), time.process_time()
                fn()
                times[name][0].append(time.perf_counter() - wall)
                times[name][1].append(time.process_time() - cpu)
        medians = {name: (statistics.median(w), statistics.median(c))
                   for name, (w, c) in times.items()}
        if least:
            medians = {name: (min(w), min(c)) for name, (w, c) in times.items()}
        reference = medians[native]
        for name, (wall, cpu) in medians.items():
            print('%-9s %-26s %10.2f %10.2f %13.3fx %13.3fx' % (
                'train' if training else 'predict', name, wall * 1e3, cpu * 1e3,
                reference[0] / wall, reference[1] / cpu))
    lstm_loops._ENABLED = enabled


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--samples', type=int, default=3200)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--activations', nargs='+', default=['sigmoid', 'hard_sigmoid'],
                        choices=['sigmoid', 'hard_sigmoid'],
                        help='the recurrent_activation rows to run')
    parser.add_argument('--dropout', type=float, default=0.,
                        help="the cornu LSTM's dropout (the PyTorch loop's is unchanged)")
    parser.add_argument('--recurrent-dropout', type=float, default=0.,
                        help="the cornu LSTM's recurrent_dropout (Keras 2's example has 0.2 "
                             "for both; nn.LSTM has no recurrent dropout: the fit row then "
                             "says what it costs)")
    parser.add_argument('--recurrence', action='store_true',
                        help='time the LSTM recurrence alone against nn.LSTM instead')
    parser.add_argument('--rounds', type=int, default=15,
                        help='alternating rounds of --recurrence')
    parser.add_argument('--least', action='store_true',
                        help='--recurrence reports each run\'s least time instead of the '
                             'median (the least disturbed on a busy machine)')
    parser.add_argument('--omp-wait-default', action='store_true',
                        help='leave libgomp\'s default wait policy (read before parsing)')
    parser.add_argument('--flush-denormals', action='store_true',
                        help='--recurrence: run the whole process with denormals flushed to '
                             'zero (torch.set_flush_denormal), nn.LSTM and nn.GRU included')
    parser.add_argument('--shape', default='%d,%d,%d' % (BATCH_SIZE, MAXLEN, UNITS),
                        help='--recurrence: batch, steps and units, comma-separated (say '
                             '128,240,32 for a long sequence of a small layer)')
    parser.add_argument('--cell', default='lstm', choices=['lstm', 'gru'],
                        help='the recurrence --recurrence times (the GRU: Keras 2\'s default, '
                             'reset_after=False, against nn.GRU)')
    args = parser.parse_args()
    if args.recurrence:
        shape = tuple(int(size) for size in args.shape.split(','))
        if len(shape) != 3 or min(shape) < 1:
            raise SystemExit('lstm.py: --shape takes three positive sizes, batch,steps,units '
                             '(got %r)' % args.shape)
        if args.flush_denormals:
            torch.set_flush_denormal(True)
        recurrence_table(args.rounds, args.cell, args.least, shape)
        return
    x = np.random.randint(1, MAX_FEATURES, size=(args.samples, MAXLEN)).astype('int64')
    y = np.random.randint(0, 2, size=args.samples).astype('float32')
    rows = []
    for activation in args.activations:
        model = build_cornu(activation, args.dropout, args.recurrent_dropout)
        net, optimizer = build_torch(model)
        label = 'fit, recurrent_activation=%s' % activation
        if args.dropout or args.recurrent_dropout:
            label = 'fit, %s, dropout %g, rec. dropout %g' % (activation, args.dropout,
                                                              args.recurrent_dropout)
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
