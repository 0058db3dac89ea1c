"""Data-parallel `fit` under torchrun: scaling from 1 to 2 processes on a compute-bound MLP.

    python benchmarks/distributed_fit.py [--samples N] [--epochs N] [--processes 1 2]

Launches itself with `torchrun --nproc_per_node=P` for each P, on the CPU (Gloo), each
process with one torch thread, and prints cornu's samples/s (a 784-2048-2048-10 MLP,
synthetic data, `fit(batch_size=256)` with the global batch split over the processes), the
same for a hand-written PyTorch DDP loop on the same work, and the scaling efficiency:
samples/s of P processes / (P x samples/s of 1 process). A first epoch (untimed) warms up.
"""
import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

SIZES = (784, 2048, 2048, 10)


def _arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument('--samples', type=int, default=4096)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--epochs', type=int, default=2, help='timed epochs')
    parser.add_argument('--processes', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    return parser.parse_args()


def _data(samples):
    import numpy as np
    rng = np.random.RandomState(0)
    x = rng.normal(size=(samples, SIZES[0])).astype('float32')
    y = np.eye(SIZES[-1], dtype='float32')[rng.randint(0, SIZES[-1], samples)]
    return x, y


def _cornu_rate(args, x, y):
    from cornu.layers import Dense
    from cornu.models import Sequential
    model = Sequential([Dense(SIZES[1], activation='relu', input_shape=(SIZES[0],)),
                        Dense(SIZES[2], activation='relu'),
                        Dense(SIZES[3], activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    return len(x) * args.epochs / (time.perf_counter() - start)


def _torch_ddp_rate(args, x, y):
    import numpy as np
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    rank, world = dist.get_rank(), dist.get_world_size()
    net = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                              torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
                              torch.nn.Linear(SIZES[2], SIZES[3]))
    ddp = torch.nn.parallel.DistributedDataParallel(net)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.01)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y.argmax(1))
    local = args.batch_size // world

    def epoch():
        order = torch.from_numpy(np.random.permutation(len(x)))
        dist.broadcast(order, 0)
        for start in range(0, len(x), args.batch_size):
            rows = order[start:start + args.batch_size][rank * local:(rank + 1) * local]
            optimizer.zero_grad()
            F.cross_entropy(ddp(x_t[rows]), y_t[rows]).backward()
            optimizer.step()

    epoch()
    start = time.perf_counter()
    for _ in range(args.epochs):
        epoch()
    return len(x) * args.epochs / (time.perf_counter() - start)


def _worker(args):
    import torch
    torch.set_num_threads(1)
    import torch.distributed as dist
    import cornu.distribute
    cornu.distribute.initialize()
    if not dist.is_initialized():
        # One process: cornu trains alone; the DDP loop still wants a process group.
        dist.init_process_group('gloo')
    x, y = _data(args.samples)
    cornu_rate = _cornu_rate(args, x, y)
    torch_rate = _torch_ddp_rate(args, x, y)
    if cornu.distribute.is_chief():
        print('RESULT %d %.1f %.1f' % (cornu.distribute.world_size(), cornu_rate, torch_rate))


def _launch(args, processes):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS='1', CORNU_DEVICE='cpu')
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node=%d' % processes, os.path.abspath(__file__), '--worker',
               '--samples', str(args.samples), '--batch-size', str(args.batch_size),
               '--epochs', str(args.epochs)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = [l for l in output.stdout.splitlines() if l.startswith('RESULT')][-1]
    _, _, cornu_rate, torch_rate = line.split()
    return float(cornu_rate), float(torch_rate)


def main():
    args = _arguments()
    if args.worker:
        return _worker(args)
    rates = {p: _launch(args, p) for p in args.processes}
    print('MLP %s, %d samples, global batch %d, 1 torch thread per process'
          % ('-'.join(map(str, SIZES)), args.samples, args.batch_size))
    print('%-10s %14s %14s %10s %10s' % ('processes', 'cornu samp/s', 'DDP samp/s',
                                         'cornu eff', 'DDP eff'))
    base = rates[min(rates)]
    for processes, (cornu_rate, torch_rate) in sorted(rates.items()):
        scale = processes / min(rates)
        print('%-10d %14.1f %14.1f %10.3f %10.3f'
              % (processes, cornu_rate, torch_rate, cornu_rate / (scale * base[0]),
                 torch_rate / (scale * base[1])))


if __name__ == '__main__':
    main()
