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
    """Times both functions alternately; returns a result row.

    Besides wall time (samples/s and their ratio), the row has the ratio of process CPU time,
    which a busy or virtualised machine disturbs much less (time stolen by other processes is
    not counted).
    """
    cornu_fn()
    torch_fn()
    cornu_best = torch_best = float('inf')
    cornu_cpu = torch_cpu = float('inf')
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        torch_fn()
        torch_best = min(torch_best, time.perf_counter() - start)
        torch_cpu = min(torch_cpu, time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        cornu_fn()
        cornu_best = min(cornu_best, time.perf_counter() - start)
        cornu_cpu = min(cornu_cpu, time.process_time() - cpu)
    return {'name': name, 'cornu': samples / cornu_best, 'torch': samples / torch_best,
            'ratio': torch_best / cornu_best, 'cpu_ratio': torch_cpu / cornu_cpu}


def print_table(title, rows):
    print(title)
    print('%-50s %13s %13s %7s %9s' % ('workload', 'cornu samp/s', 'torch samp/s', 'ratio',
                                       'CPU ratio'))
    for row in rows:
        print('%-50s %13.0f %13.0f %6.3fx %8.3fx' % (row['name'][:50], row['cornu'],
                                                     row['torch'], row['ratio'],
                                                     row['cpu_ratio']))
