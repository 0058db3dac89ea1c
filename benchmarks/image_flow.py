"""Augmented-image throughput: `ImageDataGenerator.flow` read through the `OrderedEnqueuer`
that `fit_generator` uses, with 1 and 2 worker threads (and 2 worker processes, for
comparison), against reading the batches in the calling thread.

    python benchmarks/image_flow.py [--images N] [--repeats R]

Workload: 32x32x3 float32 images, rotation_range=20, width/height_shift_range=0.1,
horizontal_flip, batch size 32. For each configuration the script reports batches/s (best
of R passes over the data) and "cores busy": the CPU time of this process (all its threads)
plus that of finished worker processes, divided by the wall time. With 2 workers, a value
near 2 means both cores are kept busy.
"""
import argparse
import os
import resource
import time

import numpy as np

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

from cornu.preprocessing.image import ImageDataGenerator  # noqa: E402
from cornu.utils.data_utils import OrderedEnqueuer  # noqa: E402


def _cpu_seconds():
    own = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + children.ru_utime + children.ru_stime


def read_inline(iterator, batches):
    for i in range(batches):
        iterator[i % len(iterator)]


def read_enqueued(iterator, batches, workers, use_multiprocessing):
    enqueuer = OrderedEnqueuer(iterator, use_multiprocessing=use_multiprocessing)
    enqueuer.start(workers=workers, max_queue_size=10)
    try:
        stream = enqueuer.get()
        for _ in range(batches):
            next(stream)
    finally:
        enqueuer.stop()


def measure(run, batches, repeats):
    """(best batches/s, cores busy during that pass)."""
    best = None
    for _ in range(repeats):
        cpu0, wall0 = _cpu_seconds(), time.perf_counter()
        run()
        wall = time.perf_counter() - wall0
        cpu = _cpu_seconds() - cpu0
        if best is None or wall < best[0]:
            best = (wall, cpu / wall)
    return batches / best[0], best[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=2048)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()

    x = np.random.RandomState(0).rand(args.images, 32, 32, 3).astype('float32') * 255
    y = np.arange(args.images)
    datagen = ImageDataGenerator(rotation_range=20, width_shift_range=0.1,
                                 height_shift_range=0.1, horizontal_flip=True)
    iterator = datagen.flow(x, y, batch_size=32, shuffle=True)
    batches = len(iterator)  # one epoch per pass

    configurations = [
        ('in the calling thread (workers=0)', lambda: read_inline(iterator, batches)),
        ('OrderedEnqueuer, 1 worker thread',
         lambda: read_enqueued(iterator, batches, 1, False)),
        ('OrderedEnqueuer, 2 worker threads',
         lambda: read_enqueued(iterator, batches, 2, False)),
        ('OrderedEnqueuer, 2 worker processes',
         lambda: read_enqueued(iterator, batches, 2, True)),
    ]
    print('ImageDataGenerator.flow: %d images 32x32x3, rotation+shift+flip, batch 32, '
          '%d CPU cores' % (args.images, os.cpu_count()))
    print('%-40s %12s %12s' % ('reader', 'batches/s', 'cores busy'))
    results = {}
    for name, run in configurations:
        results[name] = measure(run, batches, args.repeats)
        print('%-40s %12.1f %12.2f' % ((name,) + results[name]))
    one, _ = results['OrderedEnqueuer, 1 worker thread']
    two, busy = results['OrderedEnqueuer, 2 worker threads']
    print('2 threads / 1 thread: %.2fx; both cores busy with 2 threads: %s (%.2f cores)'
          % (two / one, 'yes' if busy > 1.7 else 'no', busy))
    # scipy.ndimage's affine_transform, the bulk of the work, holds the GIL: worker threads
    # take turns instead of running in parallel. Worker processes do run in parallel, at
    # the price of a pool per epoch and of sending every batch back through a pipe.


if __name__ == '__main__':
    main()
