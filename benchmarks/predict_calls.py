"""Python function calls per `predict` batch, counted by `cProfile`: a measure of what the
framework adds to each batch that a busy machine does not disturb (the kernels' own time
swings by tens of per cent on a shared machine).

    python benchmarks/predict_calls.py
    python benchmarks/predict_calls.py --workloads imdb_lstm --impls cornu-torch

For each implementation and workload of the peer benchmark (`peer_bench`) the model is built
and run once, then `predict` is profiled on `--batches` and on 10 fewer batches; the
difference divided by 10 is the calls of one batch (the call's own set-up cancels out).
For cornu, the calls of a one-sample `predict` and `predict_on_batch` (serving) are printed
too. One torch thread.
"""
import argparse
import cProfile
import os
import pstats
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# This checkout's cornu, not another one installed in the environment.
sys.path[:0] = [HERE, os.path.dirname(HERE)]

from peer_bench import keras_api, raw_torch, workloads  # noqa: E402


def _calls(fn, *args):
    profile = cProfile.Profile()
    profile.enable()
    fn(*args)
    profile.disable()
    return pstats.Stats(profile).total_calls


def _model_of(predict):
    """The Keras model a `keras_api` runner's `predict` closes over."""
    cells = dict(zip(predict.__code__.co_freevars, predict.__closure__))
    return cells['model'].cell_contents


def measure(impl, name, batches):
    """`(calls per batch, one-sample predict calls, predict_on_batch calls)`; the last two
    `None` for raw torch."""
    workload = workloads.WORKLOADS[name]
    workload = workloads.sized(workload, samples=batches * workload.batch_size)
    data = workloads.make_data(workload)
    make_runner = raw_torch.make_runner if impl == 'torch' else keras_api.make_runner
    _, predict = make_runner(impl, workload, data, 1)
    predict(workload.samples)
    whole = _calls(predict, workload.samples)
    fewer = _calls(predict, workload.samples - 10 * workload.batch_size)
    per_batch = (whole - fewer) / 10.
    if impl == 'torch':
        return per_batch, None, None
    model = _model_of(predict)
    one = data['x'][:1]
    model.predict(one)
    model.predict_on_batch(one)
    return per_batch, _calls(model.predict, one), _calls(model.predict_on_batch, one)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--impls', default='torch,cornu-torch')
    parser.add_argument('--workloads', default='mnist_mlp,imdb_lstm,tiny_mlp')
    parser.add_argument('--batches', type=int, default=20)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    for name in args.workloads.split(','):
        for impl in args.impls.split(','):
            per_batch, one, on_batch = measure(impl, name, max(args.batches, 11))
            text = '%-12s %-10s %6.1f calls per batch' % (impl, name, per_batch)
            if one is not None:
                text += '; predict(x[:1]) %d calls, predict_on_batch %d' % (one, on_batch)
            print(text)


if __name__ == '__main__':
    main()
