"""One benchmark run in a process of its own: `python worker.py '<json>'`, where the JSON
names `impl`, `workload`, `samples`, `threads`, `warmup_batches` and `seed`. Prints one line,
`PEER_RESULT <json>`, with the seconds of each phase:

- `build_s`: building and compiling the model;
- `compile_fit_s`, `compile_predict_s`: the warm-up `fit` of one epoch and `predict` on a
  subset of a few full batches plus a batch of the full epoch's ragged size, so that
  compilation, caches and every batch shape are done before the timing;
- `fit_s`, `fit_cpu_s`, `predict_s`, `predict_cpu_s`: one epoch of `fit` and one `predict`
  over all the rows, wall time and this process's CPU time (`time.process_time`).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from peer_bench import workloads  # noqa: E402

RESULT_MARK = 'PEER_RESULT '


def _family(impl):
    if impl == 'torch':
        from peer_bench import raw_torch
        return raw_torch.make_runner, raw_torch.version
    if impl == 'jax':
        from peer_bench import raw_jax
        return raw_jax.make_runner, raw_jax.version
    from peer_bench import keras_api
    return keras_api.make_runner, lambda: keras_api.version(impl)


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def warmup_count(samples, batch_size, batches):
    """Rows of the warm-up subset: `batches` full batches plus a last batch of the size the
    full epoch ends with (none when it ends with a full batch)."""
    return min(samples, batches * batch_size + samples % batch_size)


def run(spec):
    workload = workloads.sized(workloads.WORKLOADS[spec['workload']],
                               samples=spec['samples'])
    data = workloads.make_data(workload, seed=spec.get('seed', 0))
    make_runner, version = _family(spec['impl'])
    start = time.perf_counter()
    fit, predict = make_runner(spec['impl'], workload, data, spec['threads'])
    result = {'build_s': time.perf_counter() - start}
    warm = warmup_count(workload.samples, workload.batch_size, spec['warmup_batches'])
    result['compile_fit_s'] = _timed(fit, warm)[0]
    result['compile_predict_s'] = _timed(predict, warm)[0]
    result['fit_s'], result['fit_cpu_s'] = _timed(fit, workload.samples)
    result['predict_s'], result['predict_cpu_s'] = _timed(predict, workload.samples)
    result.update(samples=workload.samples, warmup_samples=warm, version=version())
    return result


if __name__ == '__main__':
    print(RESULT_MARK + json.dumps(run(json.loads(sys.argv[1]))), flush=True)
