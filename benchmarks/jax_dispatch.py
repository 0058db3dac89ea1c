"""Where a small JAX training step's time goes on the CPU: the calling (Python) thread against
XLA's own threads, for the hand-written JAX + optax loop and for cornu on JAX, per step.

    python benchmarks/jax_dispatch.py                          # tiny_mlp, both, async dispatch
    python benchmarks/jax_dispatch.py --inline                 # every execution on the caller
    python benchmarks/jax_dispatch.py --workload mnist_mlp --samples 3200

Both run in one process, alternating epochs (A B A B ...), and the table gives medians per
step of: wall time; the process's CPU time; the CPU time of the calling thread (`caller`) and
of all other threads (`xla`, XLA's thread pools); and how many times per step those other
threads were put on a CPU (`xla runs`, from the kernel's per-thread schedstat). CPU times and
counts are much less disturbed by a busy machine than wall times.

What it shows: by default the XLA CPU client runs every execution that is not trivially small
(a cost-model estimate of 1000 flops or more) on a thread of its own work pool, not on the
caller. The caller flattens the arguments and enqueues the step, and returns while the pool
runs it. The pool has as many threads as the machine has cores. A thread that finishes a task
spins looking for work before it sleeps: with the steps of a small model only tens of
microseconds apart, the pool's threads keep the CPUs busy between steps (`xla` time larger
than the step's own run, `xla runs` well under one per step). On a machine with as few cores
as the pool has threads, they compete with the caller for the CPUs, and the step time swings
with the load and with where the kernel places the threads. `--inline` turns the client's
asynchronous dispatch off (`jax_cpu_enable_async_dispatch`, to be set before JAX's CPU
backend starts): each execution then runs on the caller and the pool stays idle, at the cost
of no overlap between Python and XLA (which larger models need). The pool size follows the
`NPROC` environment variable when it is set (read by XLA when its CPU client starts).
"""
import argparse
import glob
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def _thread_cpu_ns(thread):
    """CPU time of thread `thread` (any thread of this process, by its kernel id), exact to
    the moment: the kernel's per-thread CPU clock (schedstat's total lags a running thread
    by up to a scheduler tick)."""
    return time.clock_gettime_ns(((~thread) << 3) | 6)  # (the clock id of a thread's CPU)


def thread_times():
    """`{thread id: (CPU nanoseconds, times put on a CPU)}` of this process's threads."""
    times = {}
    for path in glob.glob('/proc/self/task/*/schedstat'):
        thread = int(path.split('/')[-2])
        try:
            with open(path) as f:
                runs = int(f.read().split()[2])
            times[thread] = (_thread_cpu_ns(thread), runs)
        except OSError:  # (a thread that ended meanwhile)
            continue
    return times


def measure(run, steps, caller):
    """Runs `run()` (one epoch of `steps` steps); returns per-step wall, process CPU, caller
    CPU, other threads' CPU (microseconds) and the other threads' runs."""
    before = thread_times()
    mine = time.thread_time_ns()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mine = time.thread_time_ns() - mine
    after = thread_times()
    others = runs = 0
    for thread, (ns, count) in after.items():
        if thread != caller:
            ns0, count0 = before.get(thread, (0, 0))
            others += ns - ns0
            runs += count - count0
    per = 1e6 / steps
    return (wall * per, cpu * per, mine / 1e3 / steps, others / 1e3 / steps, runs / steps)


def _impls(text):
    impls = text.split(',')
    unknown = [impl for impl in impls if impl not in ('jax', 'cornu-jax')]
    if unknown:
        raise argparse.ArgumentTypeError('unknown implementation %r (expected jax and/or '
                                         'cornu-jax)' % unknown[0])
    return impls


def main():
    from peer_bench import workloads
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workload', default='tiny_mlp', choices=list(workloads.WORKLOADS))
    parser.add_argument('--samples', type=int, default=None,
                        help='rows per epoch (default: 400 batches)')
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--impls', default='jax,cornu-jax', type=_impls)
    parser.add_argument('--inline', action='store_true',
                        help='run every XLA execution on the calling thread')
    args = parser.parse_args()
    os.environ['CORNU_BACKEND'] = 'jax'
    import jax
    if args.inline:
        jax.config.update('jax_cpu_enable_async_dispatch', False)
    from peer_bench import keras_api, raw_jax
    workload = workloads.WORKLOADS[args.workload]
    workload = workloads.sized(workload, samples=args.samples or 400 * workload.batch_size)
    data = workloads.make_data(workload)
    steps = -(-workload.samples // workload.batch_size)
    runners = {}
    for impl in args.impls:
        if impl == 'jax':
            fit, _ = raw_jax.make_runner(impl, workload, data, 2)
        else:
            # One compiled call per step, as the hand-written loop makes: the dispatch of
            # each step is what is measured (`fit` would otherwise run a small model's steps
            # in groups, `steps_per_execution='auto'`).
            fit, _ = keras_api.make_runner(impl, workload, data, 2,
                                           compile_options={'steps_per_execution': 1})
        runners[impl] = fit
    # Untimed epochs of each: they compile the steps and the epochs' other ops, and XLA
    # finishes compiling on its own threads, which would count against the next timed one.
    for _ in range(2):
        for fit in runners.values():
            fit(workload.samples)
    caller = threading.get_native_id()
    rows = {impl: [] for impl in runners}
    for _ in range(args.rounds):
        for impl, fit in runners.items():
            rows[impl].append(measure(lambda: fit(workload.samples), steps, caller))

    def median(values):
        return sorted(values)[len(values) // 2]

    print('%s, %d steps of %d rows, %s dispatch, NPROC=%s; medians of %d epochs per step:'
          % (workload.name, steps, workload.batch_size, 'inline' if args.inline else 'async',
             os.environ.get('NPROC', '(unset)'), args.rounds))
    print('%-10s %9s %9s %9s %9s %9s' % ('', 'wall us', 'cpu us', 'caller', 'xla', 'xla runs'))
    for impl, measured in rows.items():
        print('%-10s %9.1f %9.1f %9.1f %9.1f %9.2f'
              % ((impl,) + tuple(median([m[i] for m in measured]) for i in range(5))))


if __name__ == '__main__':
    main()
