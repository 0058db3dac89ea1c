"""What streaming costs: `fit` on the same data kept on the device whole and streamed.

    python benchmarks/streaming.py [--samples N] [--batch-size B]
    CORNU_BACKEND=jax python benchmarks/streaming.py

An MLP (784-512-512-10, as Keras 2's mnist_mlp) trains one shuffled epoch on random
MNIST-sized images, fed four ways: float32 arrays copied to the device once (the fast path),
the same arrays streamed (threshold 0), uint8 arrays streamed and converted per batch, and a
uint8 `np.memmap` (always streamed). The ways take turns, run after run; prints samples/s
(best run of each) and each one's ratio to the fast path, in wall time and in process CPU
time (which other processes on a busy machine disturb much less).
"""
import argparse
import os
import tempfile
import time

import numpy as np

from common import pin_threads

pin_threads()

from cornu.backend import streaming  # noqa: E402
from cornu.layers import Dense  # noqa: E402
from cornu.models import Sequential  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--samples', type=int, default=20000)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    pixels = rng.randint(0, 256, size=(args.samples, 784)).astype('uint8')
    images = pixels.astype('float32') / 255.
    labels = np.eye(10, dtype='float32')[rng.randint(0, 10, args.samples)]
    folder = tempfile.mkdtemp()
    stored = np.memmap(os.path.join(folder, 'pixels'), dtype='uint8', mode='w+',
                       shape=pixels.shape)
    stored[:] = pixels
    stored.flush()

    model = Sequential([Dense(512, activation='relu', input_shape=(784,)),
                        Dense(512, activation='relu'), Dense(10, activation='softmax')])
    model.compile('rmsprop', 'categorical_crossentropy', metrics=['accuracy'])

    def fit(x, threshold):
        def run():
            streaming.set_streaming_threshold(threshold)
            try:
                model.fit(x, labels, batch_size=args.batch_size, epochs=1, verbose=0)
            finally:
                streaming.set_streaming_threshold(None)
        return run

    ways = [('float32, on the device whole', images, None),
            ('float32, streamed', images, 0),
            ('uint8, streamed, converted per batch', pixels, 0),
            ('uint8 np.memmap (always streamed)', stored, None)]
    runs = [fit(x, threshold) for _, x, threshold in ways]
    for run in runs:
        run()  # warm-up: compiles the steps
    wall = [float('inf')] * len(ways)
    cpu = [float('inf')] * len(ways)
    for _ in range(args.repeats):
        for i, run in enumerate(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[i] = min(wall[i], time.perf_counter() - start)
            cpu[i] = min(cpu[i], time.process_time() - start_cpu)
    print('%-42s %11s %7s %9s' % ('data', 'samples/s', 'ratio', 'CPU ratio'))
    for (name, _, _), seconds, cpu_seconds in zip(ways, wall, cpu):
        print('%-42s %11.0f %6.3fx %8.3fx' % (name, args.samples / seconds, wall[0] / seconds,
                                              cpu[0] / cpu_seconds))


if __name__ == '__main__':
    main()
