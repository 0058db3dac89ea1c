"""The hand-written JAX + optax implementation: plain functions of a parameter dict (no
neural-network library), one jitted training step per batch fed from a shuffled NumPy
index gather, channels-last convolutions, an LSTM as a `lax.scan` with the input
projection taken out of the loop and one input-dropout mask per sequence; predict jits
the forward pass with the output activation."""
import functools

from peer_bench.workloads import OPTIMIZER_SETTINGS, VOCABULARY


def initial_params(workload, key):
    import jax
    import jax.numpy as jnp
    keys = iter(jax.random.split(key, 8))
    f32 = jnp.float32  # explicit, for processes where JAX defaults to 64 bits

    def glorot(shape, fan_in, fan_out):
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        return jax.random.uniform(next(keys), shape, jnp.float32, -limit, limit)

    def dense(n_in, n_out):
        return {'w': glorot((n_in, n_out), n_in, n_out), 'b': jnp.zeros((n_out,), f32)}

    if workload.name == 'mnist_mlp':
        return {'h1': dense(784, 512), 'h2': dense(512, 512), 'out': dense(512, 10)}
    if workload.name == 'mnist_cnn':
        return {'c1': {'w': glorot((3, 3, 1, 32), 9, 288), 'b': jnp.zeros((32,), f32)},
                'c2': {'w': glorot((3, 3, 32, 64), 288, 576), 'b': jnp.zeros((64,), f32)},
                'h1': dense(9216, 128), 'out': dense(128, 10)}
    if workload.name == 'imdb_lstm':
        return {'embedding': jax.random.uniform(next(keys), (VOCABULARY, 128), jnp.float32,
                                                -0.05, 0.05),
                'kernel': glorot((128, 512), 128, 512),
                'recurrent': glorot((128, 512), 128, 512), 'bias': jnp.zeros((512,), f32),
                'out': dense(128, 1)}
    return {'h1': dense(32, 64), 'out': dense(64, 10)}


def logits(workload, params, x, training, key):
    import jax
    import jax.numpy as jnp
    from jax import lax

    def dense(p, h):
        return h @ p['w'] + p['b']

    def dropout(h, rate, key, shape=None):
        if not training:
            return h
        keep = jax.random.bernoulli(key, 1.0 - rate, shape or h.shape)
        return jnp.where(keep, h / (1.0 - rate), 0.0)

    keys = jax.random.split(key, 2)
    if workload.name == 'mnist_mlp':
        h = dropout(jax.nn.relu(dense(params['h1'], x)), 0.2, keys[0])
        h = dropout(jax.nn.relu(dense(params['h2'], h)), 0.2, keys[1])
        return dense(params['out'], h)
    if workload.name == 'mnist_cnn':
        def conv(p, h):
            return lax.conv_general_dilated(h, p['w'], (1, 1), 'VALID',
                                            dimension_numbers=('NHWC', 'HWIO', 'NHWC')) + p['b']
        h = jax.nn.relu(conv(params['c2'], jax.nn.relu(conv(params['c1'], x))))
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), 'VALID')
        h = dropout(h, 0.25, keys[0]).reshape(x.shape[0], -1)
        h = dropout(jax.nn.relu(dense(params['h1'], h)), 0.5, keys[1])
        return dense(params['out'], h)
    if workload.name == 'imdb_lstm':
        embedded = params['embedding'][x]
        embedded = dropout(embedded, 0.2, keys[0], (x.shape[0], 1, 128))
        inputs = jnp.swapaxes(embedded @ params['kernel'] + params['bias'], 0, 1)

        def step(carry, projected):
            h, c = carry
            i, f, g, o = jnp.split(projected + h @ params['recurrent'], 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((x.shape[0], 128), jnp.float32)
        (h, _), _ = lax.scan(step, (zeros, zeros), inputs)
        return dense(params['out'], h)
    return dense(params['out'], jax.nn.relu(dense(params['h1'], x)))


def _optimizer(name):
    import optax
    s = OPTIMIZER_SETTINGS[name]
    if name == 'rmsprop':
        return optax.rmsprop(s['lr'], decay=s['rho'], eps=s['epsilon'])
    if name == 'adadelta':
        return optax.adadelta(s['lr'], rho=s['rho'], eps=s['epsilon'])
    if name == 'adam':
        return optax.adam(s['lr'], b1=s['beta_1'], b2=s['beta_2'], eps=s['epsilon'])
    return optax.sgd(s['lr'])


def make_runner(impl, workload, data, threads):
    """Returns `(fit, predict)`: one training epoch over, and a prediction of, the first
    `count` rows of the data, as functions of `count`."""
    import jax
    import numpy as np
    import optax
    key = jax.random.PRNGKey(0)
    optimizer = _optimizer(workload.optimizer)
    state = {'params': initial_params(workload, key), 'step': 0}
    state['optimizer'] = optimizer.init(state['params'])
    x, labels = data['x'], data['labels']
    batch_size = workload.batch_size
    forward = functools.partial(logits, workload)

    def loss(params, xb, yb, step_key):
        out = forward(params, xb, True, step_key)
        if workload.classes == 1:
            return optax.sigmoid_binary_cross_entropy(out[:, 0], yb.astype(out.dtype)).mean()
        return optax.softmax_cross_entropy_with_integer_labels(out, yb).mean()

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def train_step(params, optimizer_state, xb, yb, step):
        value, grads = jax.value_and_grad(loss)(params, xb, yb, jax.random.fold_in(key, step))
        updates, optimizer_state = optimizer.update(grads, optimizer_state, params)
        return optax.apply_updates(params, updates), optimizer_state, value

    @jax.jit
    def predict_step(params, xb):
        out = forward(params, xb, False, key)
        return jax.nn.sigmoid(out) if workload.classes == 1 else jax.nn.softmax(out)

    shuffle = np.random.RandomState(0)

    def fit(count):
        params, optimizer_state, step = state['params'], state['optimizer'], state['step']
        order = shuffle.permutation(count)
        losses = []
        for start in range(0, count, batch_size):
            index = order[start:start + batch_size]
            params, optimizer_state, value = train_step(params, optimizer_state, x[index],
                                                        labels[index], step)
            losses.append(value)
            step += 1
        jax.block_until_ready(losses)
        state.update(params=params, optimizer=optimizer_state, step=step)

    def predict(count):
        batches = (x[start:min(start + batch_size, count)]
                   for start in range(0, count, batch_size))
        return np.concatenate([np.asarray(predict_step(state['params'], batch))
                               for batch in batches])

    return fit, predict


def version():
    import jax
    import optax
    return 'jax %s, optax %s' % (jax.__version__, optax.__version__)
