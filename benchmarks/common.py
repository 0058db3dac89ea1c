"""Shared helpers of the benchmarks: thread pinning, timing, and the results table.

Every benchmark times cornu and a hand-written PyTorch equivalent of the same work in one
process, alternating runs, and reports the best of several repeats for each (the least
disturbed measurement) and their ratio: cornu samples/s divided by PyTorch samples/s.
"""
import os
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
THREADS = int(os.environ.get('BENCH_THREADS', '2'))


def pin_threads():
    import torch
    torch.set_num_threads(THREADS)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


def best_time(fn, repeats):
    """Best wall time of `repeats` calls of `fn` (after one warm-up call)."""
    fn()
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def compare(name, samples, cornu_fn, torch_fn, repeats=5):
    """Times both functions alternately; returns a result row."""
    cornu_fn()
    torch_fn()
    cornu_best = torch_best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        torch_fn()
        torch_best = min(torch_best, time.perf_counter() - start)
        start = time.perf_counter()
        cornu_fn()
        cornu_best = min(cornu_best, time.perf_counter() - start)
    return {'name': name, 'cornu': samples / cornu_best, 'torch': samples / torch_best,
            'ratio': torch_best / cornu_best}


def print_table(title, rows):
    print(title)
    print('%-44s %14s %14s %8s' % ('workload', 'cornu samp/s', 'torch samp/s', 'ratio'))
    for row in rows:
        print('%-44s %14.0f %14.0f %7.3fx' % (row['name'], row['cornu'], row['torch'],
                                             row['ratio']))
