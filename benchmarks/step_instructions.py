"""Instructions per training step, counted by callgrind: a measure of a step's own cost that
a busy machine does not disturb (wall and CPU times of a ~100 us step swing by tens of per
cent on a shared machine).

    python benchmarks/step_instructions.py                       # tiny_mlp, raw torch and cornu
    python benchmarks/step_instructions.py --impls cornu-torch --workload tiny_mlp --steps 200

For each implementation a fresh process runs under `valgrind --tool=callgrind` with
collection off; it builds the peer benchmark's model (`peer_bench`), warms up with two epochs
of `--steps` batches, then collects over one more epoch of `--steps` batches only (a small C
helper, compiled here, toggles callgrind's collection around it). The count divided by the
steps is printed: instructions per step, the epoch's own setup (shuffling, callbacks) spread
over it, as a user's `fit` pays it. One torch thread, so that no OpenMP worker's spinning is
counted. Needs valgrind (with its `callgrind.h`) and a C compiler.
"""
import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

_HELPER = r'''
#include <valgrind/callgrind.h>
void collect_on(void) { CALLGRIND_ZERO_STATS; CALLGRIND_TOGGLE_COLLECT; }
void collect_off(void) { CALLGRIND_TOGGLE_COLLECT; }
'''


def _build_helper(directory):
    source = os.path.join(directory, 'toggle.c')
    library = os.path.join(directory, 'libtoggle.so')
    with open(source, 'w') as f:
        f.write(_HELPER)
    subprocess.check_call(['cc', '-O1', '-shared', '-fPIC', source, '-o', library])
    return library


def _measure_here(impl, workload_name, steps, library):
    """Runs inside valgrind: builds the runner, warms up, collects over one epoch."""
    sys.path.insert(0, HERE)
    from peer_bench import keras_api, raw_torch, workloads
    toggle = ctypes.CDLL(library)
    workload = workloads.WORKLOADS[workload_name]
    workload = workloads.sized(workload, samples=steps * workload.batch_size)
    data = workloads.make_data(workload)
    if impl == 'torch':
        fit, _ = raw_torch.make_runner(impl, workload, data, 1)
    else:
        fit, _ = keras_api.make_runner(impl, workload, data, 1)
    fit(workload.samples)
    fit(workload.samples)
    toggle.collect_on()
    fit(workload.samples)
    toggle.collect_off()


def _count(impl, workload, steps, library, directory):
    out = os.path.join(directory, 'callgrind.%s.out' % impl)
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='',
               CORNU_BACKEND='torch')
    subprocess.check_call(
        ['valgrind', '--tool=callgrind', '--collect-atstart=no', '--callgrind-out-file=' + out,
         sys.executable, os.path.abspath(__file__), '--inside', impl, '--workload', workload,
         '--steps', str(steps), '--library', library],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        text = f.read()
    totals = re.findall(r'^(?:summary|totals): (\d+)', text, re.M)
    return int(totals[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--impls', default='torch,cornu-torch')
    parser.add_argument('--workload', default='tiny_mlp')
    parser.add_argument('--steps', type=int, default=100)
    parser.add_argument('--keep', metavar='DIR',
                        help='write the callgrind profiles there (for callgrind_annotate)')
    parser.add_argument('--inside', help=argparse.SUPPRESS)
    parser.add_argument('--library', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        _measure_here(args.inside, args.workload, args.steps, args.library)
        return
    with tempfile.TemporaryDirectory() as directory:
        library = _build_helper(directory)
        for impl in args.impls.split(','):
            count = _count(impl, args.workload, args.steps, library, args.keep or directory)
            print('%-12s %-10s %10.1fk instructions per step (%d steps)'
                  % (impl, args.workload, count / args.steps / 1000., args.steps))


if __name__ == '__main__':
    main()
