"""`model.fit` throughput on the JAX engine against a hand-written JAX + optax loop and Keras 3.

    python benchmarks/jax_fit.py [--repeats N] [--rounds N] [--only NAME]

The script runs cornu on its JAX engine (it sets `CORNU_BACKEND=jax` itself and refuses to run
if another engine is asked for). Each framework is timed in a process of its own (the script
runs itself with `--worker`), since cornu and Keras 3 each pick their engine from the
environment when imported:

- cornu: `model.fit(verbose=0)` on the workloads of `benchmarks/fit.py` (the CNN on fewer
  samples, to keep the run short);
- a hand-written loop: one `jax.jit`-compiled step (`jax.value_and_grad` of the
  cross-entropy of the logits, an `optax` update, the running loss and accuracy summed on the
  device; parameters, optimizer state, PRNG key and sums donated), the data on the device once,
  each batch gathered inside the step from a per-epoch permutation;
- Keras 3 with `KERAS_BACKEND=jax`, `model.fit(verbose=0)`: the Keras 3 row runs when
  keras>=3 is installed, and is reported as skipped otherwise.

Same data, same initial weights, the same optimizers and hyperparameters everywhere (Keras 3's
RMSprop adds epsilon under the square root, Keras 2's after it: the same work); batches are
shuffled from the same NumPy seed (cornu and the hand-written loop with `np.random.shuffle`,
Keras 3 with `np.random.permutation`). Every worker compiles in an untimed epoch first, then
reports the best of `--repeats` timed `fit`s of a few epochs each (`WORKLOADS` says how
many); `--rounds` runs the workers that many times, alternating, and keeps the best. Ratios
are of samples/s (above 1: cornu is faster), from wall time and from process CPU time
(robust to a busy machine).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

Workload = collections.namedtuple(
    'Workload', 'name label sizes samples batch_size optimizer epochs')
WORKLOADS = [
    # `sizes`: the MLP's layer sizes; None for the CNN. `epochs`: per timed fit.
    Workload('mlp', 'MLP 784-512-512-10, batch 128, RMSprop', (784, 512, 512, 10), 12800, 128,
             'rmsprop', 2),
    Workload('small_mlp', 'MLP 32-64-10, batch 32, RMSprop', (32, 64, 10), 12800, 32,
             'rmsprop', 3),
    Workload('cnn', 'mnist_cnn, batch 128, Adadelta', None, 640, 128, 'adadelta', 2),
]
FRAMEWORKS = ('cornu', 'handwritten', 'keras3')
RMSPROP_LR = 0.001
ADADELTA_LR = 1.0
EPSILON = 1e-7
RESULT_MARK = 'JAX_FIT_RESULT '


# ---------------------------------------------------------------- data and initial weights

def make_data(sizes, samples):
    """Inputs, integer labels and one-hot targets (float32), the same in every worker."""
    rng = np.random.RandomState(0)
    if sizes is None:
        x = rng.rand(samples, 28, 28, 1).astype('float32')
        classes = 10
    else:
        x = rng.rand(samples, sizes[0]).astype('float32')
        classes = sizes[-1]
    y_int = rng.randint(0, classes, size=samples).astype('int32')
    return x, y_int, np.eye(classes, dtype='float32')[y_int]


def weight_shapes(sizes):
    """Kernel and bias shapes in Keras order (kernels `(in, out)`, conv kernels HWIO)."""
    if sizes is None:
        pairs = [((3, 3, 1, 32), 32), ((3, 3, 32, 64), 64), ((9216, 128), 128), ((128, 10), 10)]
    else:
        pairs = [((n_in, n_out), n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return pairs


def initial_weights(sizes):
    """Glorot-uniform kernels and zero biases, as Keras initialises them."""
    rng = np.random.RandomState(1)
    weights = []
    for kernel_shape, units in weight_shapes(sizes):
        receptive = int(np.prod(kernel_shape[:-2])) if len(kernel_shape) > 2 else 1
        fan_in, fan_out = kernel_shape[-2] * receptive, kernel_shape[-1] * receptive
        limit = np.sqrt(6. / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, kernel_shape).astype('float32'))
        weights.append(np.zeros(units, dtype='float32'))
    return weights


# ---------------------------------------------------------------- workers

def time_workloads(make_fit, repeats, only):
    """For each workload, `fit = make_fit(workload)`: one untimed epoch (compiling), then the
    best wall and CPU time of `repeats` calls `fit(workload.epochs)`."""
    results = {}
    for workload in WORKLOADS:
        if only and workload.name != only:
            continue
        fit = make_fit(workload)
        np.random.seed(2)  # the same shuffled batch order everywhere
        fit(1)
        best_wall = best_cpu = float('inf')
        for _ in range(repeats):
            start, cpu = time.perf_counter(), time.process_time()
            fit(workload.epochs)
            best_wall = min(best_wall, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        results[workload.name] = {'wall': best_wall, 'cpu': best_cpu}
    return results


def build_sequential(layers, sequential, sizes, optimizer):
    """The workload's model in the Keras API of `layers` (cornu's or Keras 3's)."""
    model = sequential()
    if sizes is None:
        # The classic Keras 2 mnist_cnn example.
        model.add(layers.Conv2D(32, kernel_size=(3, 3), activation='relu',
                                input_shape=(28, 28, 1)))
        model.add(layers.Conv2D(64, (3, 3), activation='relu'))
        model.add(layers.MaxPooling2D(pool_size=(2, 2)))
        model.add(layers.Dropout(0.25))
        model.add(layers.Flatten())
        model.add(layers.Dense(128, activation='relu'))
        model.add(layers.Dropout(0.5))
        model.add(layers.Dense(10, activation='softmax'))
    else:
        model.add(layers.Dense(sizes[1], activation='relu', input_shape=(sizes[0],)))
        for units in sizes[2:-1]:
            model.add(layers.Dense(units, activation='relu'))
        model.add(layers.Dense(sizes[-1], activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=optimizer, metrics=['accuracy'])
    model.set_weights(initial_weights(sizes))
    return model


def keras_api_fit(layers, sequential, make_optimizer):
    """`make_fit` for an API of Keras (cornu's or Keras 3's): `model.fit(verbose=0)`."""
    def make_fit(workload):
        x, _, y = make_data(workload.sizes, workload.samples)
        model = build_sequential(layers, sequential, workload.sizes,
                                 make_optimizer(workload.optimizer))
        return lambda epochs: model.fit(x, y, batch_size=workload.batch_size, epochs=epochs,
                                        verbose=0)
    return make_fit


def cornu_worker(repeats, only):
    from cornu import backend as K
    if K.backend() != 'jax':
        raise SystemExit('cornu came up on the %r engine; this benchmark is for jax '
                         '(CORNU_BACKEND=jax).' % K.backend())
    from cornu import layers, optimizers
    from cornu.models import Sequential

    def make_optimizer(kind):
        if kind == 'rmsprop':
            return optimizers.RMSprop(lr=RMSPROP_LR)
        return optimizers.Adadelta(lr=ADADELTA_LR)

    return time_workloads(keras_api_fit(layers, Sequential, make_optimizer), repeats, only)


def keras3_worker(repeats, only):
    try:
        import keras
    except ImportError:
        return {'skipped': 'keras is not installed'}
    if int(keras.__version__.split('.')[0]) < 3:
        return {'skipped': 'keras %s is not Keras 3' % keras.__version__}
    if keras.backend.backend() != 'jax':
        raise SystemExit('Keras 3 came up on %r, not jax.' % keras.backend.backend())
    warnings.filterwarnings('ignore', message='.*input_shape.*')

    def make_optimizer(kind):
        if kind == 'rmsprop':
            return keras.optimizers.RMSprop(learning_rate=RMSPROP_LR, rho=0.9,
                                            epsilon=EPSILON)
        return keras.optimizers.Adadelta(learning_rate=ADADELTA_LR, rho=0.95, epsilon=EPSILON)

    return time_workloads(keras_api_fit(keras.layers, keras.Sequential, make_optimizer),
                          repeats, only)


def handwritten_worker(repeats, only):
    import jax
    import optax

    def make_fit(workload):
        x, y_int, _ = make_data(workload.sizes, workload.samples)
        return handwritten_fit(jax, optax, workload, x, y_int)

    return time_workloads(make_fit, repeats, only)


def handwritten_forward(jax, sizes):
    """`forward(params, x, key)` returning logits; params are `(kernel, bias)` pairs."""
    jnp = jax.numpy

    def dense_stack(params, x):
        for kernel, bias in params[:-1]:
            x = jax.nn.relu(x @ kernel + bias)
        kernel, bias = params[-1]
        return x @ kernel + bias

    if sizes is not None:
        return lambda params, x, key: dense_stack(params, x)

    def dropout(x, rate, key):
        keep = jax.random.uniform(key, x.shape) >= rate
        return jnp.where(keep, x / (1. - rate), 0.)

    def conv_relu(x, kernel, bias):
        y = jax.lax.conv_general_dilated(x, kernel, (1, 1), 'VALID',
                                         dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
        return jax.nn.relu(y + bias)

    def cnn(params, x, key):
        first, second = jax.random.split(key)
        x = conv_relu(x, *params[0])
        x = conv_relu(x, *params[1])
        x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), 'VALID')
        x = dropout(x, 0.25, first).reshape(x.shape[0], -1)
        x = dropout(jax.nn.relu(x @ params[2][0] + params[2][1]), 0.5, second)
        return x @ params[3][0] + params[3][1]

    return cnn


def handwritten_fit(jax, optax, workload, x, y_int):
    """`fit(epochs)` for one workload, written as a JAX user writes a training loop."""
    jnp = jax.numpy
    sizes, batch_size = workload.sizes, workload.batch_size
    forward = handwritten_forward(jax, sizes)
    if workload.optimizer == 'rmsprop':
        transform = optax.rmsprop(RMSPROP_LR, decay=0.9, eps=EPSILON, eps_in_sqrt=False)
    else:
        transform = optax.adadelta(ADADELTA_LR, rho=0.95, eps=EPSILON)
    flat = [jnp.asarray(w) for w in initial_weights(sizes)]
    state = {'params': list(zip(flat[::2], flat[1::2]))}
    state['opt'] = transform.init(state['params'])
    state['key'] = jax.random.PRNGKey(0)
    x_all, y_all = jnp.asarray(x), jnp.asarray(y_int)

    def step(params, opt_state, key, sums, order, start, size):
        index = jax.lax.dynamic_slice_in_dim(order, start, size)
        xb, yb = x_all[index], y_all[index]
        key, dropout_key = jax.random.split(key)

        def loss_fn(p):
            logits = forward(p, xb, dropout_key)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean(), logits

        (loss, logits), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        updates, opt_state = transform.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        correct = jnp.sum(jnp.argmax(logits, -1) == yb)
        sums = sums + jnp.stack([loss * size, correct.astype(loss.dtype)])
        return params, opt_state, key, sums

    train_step = jax.jit(step, static_argnums=(6,), donate_argnums=(0, 1, 2, 3))
    n = x.shape[0]

    def fit(epochs):
        order = np.arange(n)
        for _ in range(epochs):
            np.random.shuffle(order)  # the permutation cornu's fit draws
            device_order = jnp.asarray(order)
            sums = jnp.zeros(2, jnp.float32)
            params, opt_state, key = state['params'], state['opt'], state['key']
            for start in range(0, n, batch_size):
                params, opt_state, key, sums = train_step(
                    params, opt_state, key, sums, device_order, start,
                    min(batch_size, n - start))
            state['params'], state['opt'], state['key'] = params, opt_state, key
            np.asarray(sums)  # the epoch's loss and accuracy, read once as fit's History does
    return fit


WORKERS = {'cornu': cornu_worker, 'handwritten': handwritten_worker, 'keras3': keras3_worker}


# ---------------------------------------------------------------- the driver

def run_worker(framework, args):
    env = dict(os.environ, CORNU_BACKEND='jax', KERAS_BACKEND='jax')
    command = [sys.executable, os.path.abspath(__file__), '--worker', framework,
               '--repeats', str(args.repeats)]
    if args.only:
        command += ['--only', args.only]
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        raise SystemExit('The %s worker failed (exit status %d).' % (framework,
                                                                    completed.returncode))
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise SystemExit('The %s worker reported nothing.' % framework)


def best_of(rounds, framework, name, measure):
    return min(r[framework][name][measure] for r in rounds)


def print_table(rounds, args):
    skipped = rounds[0]['keras3'].get('skipped')
    frameworks = FRAMEWORKS[:2] if skipped else FRAMEWORKS
    print('fit(verbose=0) on JAX: cornu vs a hand-written JAX + optax loop and Keras 3 '
          '(best of %d fits x %d round(s))' % (args.repeats, args.rounds))
    print('%-40s %9s %9s %9s %17s %17s' % ('', 'cornu', 'hand', 'keras3', 'cornu/hand',
                                           'cornu/keras3'))
    print('%-40s %9s %9s %9s %17s %17s' % ('workload', 'samp/s', 'samp/s', 'samp/s',
                                           'wall (CPU)', 'wall (CPU)'))
    for workload in WORKLOADS:
        if args.only and workload.name != args.only:
            continue
        samples = workload.samples * workload.epochs
        rate, ratio = {}, {}
        for framework in frameworks:
            wall = best_of(rounds, framework, workload.name, 'wall')
            cpu = best_of(rounds, framework, workload.name, 'cpu')
            rate[framework] = '%9.0f' % (samples / wall)
            ratio[framework] = '%6.3fx (%6.3fx)' % (
                wall / best_of(rounds, 'cornu', workload.name, 'wall'),
                cpu / best_of(rounds, 'cornu', workload.name, 'cpu'))
        print('%-40s %9s %9s %9s %17s %17s' % (
            workload.label, rate['cornu'], rate['handwritten'], rate.get('keras3', 'skipped'),
            ratio['handwritten'], ratio.get('keras3', 'skipped')))
    if skipped:
        print('Keras 3 row skipped: %s.' % skipped)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--only', choices=[w.name for w in WORKLOADS])
    parser.add_argument('--worker', choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = WORKERS[args.worker](args.repeats, args.only)
        print(RESULT_MARK + json.dumps(result))
        return
    requested = os.environ.get('CORNU_BACKEND', 'jax')
    if requested != 'jax':
        raise SystemExit('benchmarks/jax_fit.py times the JAX engine; CORNU_BACKEND=%s asks '
                         'for another. Unset it or set CORNU_BACKEND=jax.' % requested)
    rounds = [{framework: run_worker(framework, args) for framework in FRAMEWORKS}
              for _ in range(args.rounds)]
    print_table(rounds, args)


if __name__ == '__main__':
    main()
