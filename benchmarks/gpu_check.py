"""The GPU check: the tests most likely to differ on CUDA, and cornu against hand-written
PyTorch and JAX loops, on both engines, in one run of under 10 minutes.

    python benchmarks/gpu_check.py --out results/          # on a GPU machine
    python benchmarks/gpu_check.py --quick --no-tests      # a smoke run on a CPU

Two parts, each step in a subprocess of its own with a timeout, all within `--budget`
seconds (570 by default); a step that fails or runs out of time is reported and the check
goes on (the exit status is 1 if any failed):

1. Tests: the test files of the operations, layers and loops whose numbers or placement can
   change on a GPU (`TEST_GROUPS`; those not in this checkout are left out), one pytest
   process per group and engine. An engine's groups share `--test-timeout` seconds; a group
   cut by its timeout still reports the outcomes of the tests it finished.
2. Benchmarks, one subprocess per implementation and precision (an error in one workload is
   reported and the next one runs): four Keras 2 workloads (`WORKLOADS`: mnist_mlp,
   mnist_cnn, imdb_lstm and a ResNet-style CNN on 32x32x3 images), each in float32 and in
   mixed precision, timed as
   - `cornu-torch`, `cornu-jax`: `model.fit(verbose=0)` of the Keras 2 model, on each engine;
     mixed precision with `cornu.mixed_precision.set_global_policy`: 'mixed_float16' for
     PyTorch on CUDA (as the raw loop's float16 autocast), 'mixed_bfloat16' for JAX and on
     a CPU (as the raw loops' bfloat16); reported as skipped where this checkout has no
     `cornu.mixed_precision`;
   - `torch`: a hand-written PyTorch loop (logits with the fused cross-entropy, batches
     gathered on the device from a per-epoch permutation, the loss summed on the device and
     read once per epoch); mixed precision with `torch.autocast` (float16 and a
     `GradScaler` on CUDA, bfloat16 on a CPU);
   - `jax`: a hand-written JAX + optax loop, one jitted step per batch; mixed precision
     computes in bfloat16 from float32 parameters;
   - with several GPUs, `torch-ddp` and `cornu-torch-ddp`: the same under `torchrun`, one
     process per GPU (`DistributedDataParallel` for the raw loop; the unchanged Keras 2 script
     for cornu).

Every benchmark worker builds its model, trains one untimed epoch (compilation, cuDNN
autotuning, warm caches), then times `--repeats` epochs one by one and reports their medians:
samples per second of wall time and samples per second of process CPU time (the number a busy
machine disturbs least). The table's ratio divides cornu's samples/s by the hand-written
loop's on the same engine in the same precision (above 1: cornu is faster). The results,
with the devices and library versions, are written as JSON to `--out` (default: the current
directory), so a remote run can ship them back.

The workloads are the Keras 2 examples' models on seeded synthetic data of the examples'
shapes (no download). imdb_lstm keeps the example's `LSTM(128, dropout=0.2,
recurrent_dropout=0.2)`, whose Keras 2 defaults (hard-sigmoid gates, recurrent dropout)
rule out the fused cuDNN kernel, while the hand-written loops run `torch.nn.LSTM` (cuDNN) and a
`lax.scan` LSTM without recurrent dropout: that row measures what the Keras 2 script costs,
not the same arithmetic.
"""
import argparse
import collections
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT_MARK = 'GPU_CHECK_RESULT '

# The test files most likely to differ on CUDA, in groups run as one pytest process each
# (files missing from this checkout are left out).
TEST_GROUPS = collections.OrderedDict([
    ('backend', ['tests/backend/test_math.py', 'tests/backend/test_nn.py',
                 'tests/backend/test_rnn.py', 'tests/backend/test_random.py',
                 'tests/backend/test_device_placement.py']),
    ('layers', ['tests/layers/test_convolutional.py', 'tests/layers/test_recurrent.py',
                'tests/layers/test_cudnn_recurrent.py', 'tests/layers/test_normalization.py',
                'tests/layers/test_embeddings.py']),
    ('training', ['tests/test_optimizers.py', 'tests/test_losses.py',
                  'tests/engine/test_training.py', 'tests/engine/test_saving.py',
                  'tests/engine/test_host_reads.py']),
    ('devices', ['tests/utils/test_multi_gpu_utils.py', 'tests/interop/test_torch_interop.py',
                 'tests/test_mixed_precision.py']),
])
# Tests of mixed precision, data parallelism and streaming, wherever they live, join the
# 'devices' group.
TEST_PATTERNS = ('distributed', 'data_parallel', 'torchrun', 'streaming', 'mixed_precision')

Workload = collections.namedtuple('Workload', 'name label samples quick_samples batch_size')
WORKLOADS = collections.OrderedDict((w.name, w) for w in [
    Workload('mnist_mlp', 'MLP 784-512-512-10, dropout, RMSprop, batch 128', 30000, 256, 128),
    Workload('mnist_cnn', 'mnist_cnn (2 conv, pool, dropout), Adadelta, batch 128', 15000,
             128, 128),
    Workload('imdb_lstm', 'Embedding + LSTM(128) on 80 steps, Adam, batch 32', 4000, 64, 32),
    Workload('resnet', 'ResNet-20 style CNN (9 residual blocks, BN), 32x32x3, SGD, batch 128',
             10000, 128, 128),
])
IMPLS = ('cornu-torch', 'torch', 'cornu-jax', 'jax')
DDP_IMPLS = ('cornu-torch-ddp', 'torch-ddp')
PRECISIONS = ('float32', 'mixed')
BASELINE = {'cornu-torch': 'torch', 'cornu-jax': 'jax', 'cornu-torch-ddp': 'torch-ddp'}
MAX_FEATURES, MAXLEN = 20000, 80


# ---------------------------------------------------------------- data (every worker alike)

def make_data(workload, samples):
    """Seeded synthetic inputs and integer labels of the workload's shapes."""
    import numpy as np
    rng = np.random.RandomState(0)
    if workload.name == 'mnist_mlp':
        x = rng.rand(samples, 784).astype('float32')
    elif workload.name == 'mnist_cnn':
        x = rng.rand(samples, 28, 28, 1).astype('float32')
    elif workload.name == 'imdb_lstm':
        x = rng.randint(1, MAX_FEATURES, (samples, MAXLEN)).astype('int64')
    else:
        x = rng.rand(samples, 32, 32, 3).astype('float32')
    classes = 2 if workload.name == 'imdb_lstm' else 10
    labels = rng.randint(0, classes, samples).astype('int64')
    return x, labels


# ---------------------------------------------------------------- cornu (the Keras 2 scripts)

def cornu_model(workload):
    from cornu import layers as L
    from cornu import optimizers
    from cornu.models import Model, Sequential
    name = workload.name
    if name == 'mnist_mlp':
        model = Sequential([L.Dense(512, activation='relu', input_shape=(784,)),
                            L.Dropout(0.2), L.Dense(512, activation='relu'), L.Dropout(0.2),
                            L.Dense(10, activation='softmax')])
        return model, optimizers.RMSprop(), 'categorical_crossentropy'
    if name == 'mnist_cnn':
        model = Sequential([L.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)),
                            L.Conv2D(64, (3, 3), activation='relu'), L.MaxPooling2D((2, 2)),
                            L.Dropout(0.25), L.Flatten(), L.Dense(128, activation='relu'),
                            L.Dropout(0.5), L.Dense(10, activation='softmax')])
        return model, optimizers.Adadelta(), 'categorical_crossentropy'
    if name == 'imdb_lstm':
        model = Sequential([L.Embedding(MAX_FEATURES, 128, input_length=MAXLEN),
                            L.LSTM(128, dropout=0.2, recurrent_dropout=0.2),
                            L.Dense(1, activation='sigmoid')])
        return model, optimizers.Adam(), 'binary_crossentropy'

    def conv_bn(x, filters, strides=1, activation=True):
        x = L.Conv2D(filters, 3, strides=strides, padding='same', use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.Activation('relu')(x) if activation else x

    inputs = L.Input((32, 32, 3))
    x = conv_bn(inputs, 16)
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            strides = 2 if stage > 0 and block == 0 else 1
            shortcut = x
            y = conv_bn(x, filters, strides)
            y = conv_bn(y, filters, activation=False)
            if strides != 1:
                shortcut = L.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
                shortcut = L.BatchNormalization()(shortcut)
            x = L.Activation('relu')(L.add([y, shortcut]))
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Dense(10, activation='softmax')(x)
    return Model(inputs, outputs), optimizers.SGD(lr=0.05, momentum=0.9), \
        'categorical_crossentropy'


def cornu_worker(workload, samples, precision, repeats, on_cuda):
    import numpy as np
    if precision == 'mixed':
        try:
            from cornu import mixed_precision
        except ImportError:
            return {'status': 'skipped',
                    'reason': 'cornu.mixed_precision is not in this checkout'}
        # The precision of the hand-written loop it is compared with (run_worker gives
        # on_cuda only to the PyTorch engine).
        policy = 'mixed_float16' if on_cuda else 'mixed_bfloat16'
        mixed_precision.set_global_policy(policy)
    x, labels = make_data(workload, samples)
    model, optimizer, loss = cornu_model(workload)
    model.compile(optimizer=optimizer, loss=loss, metrics=['accuracy'])
    y = labels.astype('float32') if workload.name == 'imdb_lstm' else \
        np.eye(10, dtype='float32')[labels]

    def epoch():
        model.fit(x, y, batch_size=workload.batch_size, epochs=1, verbose=0)
    result = time_epochs(epoch, samples, repeats)
    from cornu.backend import kernels
    result['device'] = kernels.device()
    if int(os.environ.get('WORLD_SIZE', 1)) > 1:
        import torch.distributed
        if not torch.distributed.is_initialized():
            # Each process trained alone on all the data: no data-parallel number to give.
            return {'status': 'skipped', 'reason': 'cornu in this checkout does not train '
                    'data-parallel under torchrun'}
        result['world_size'] = torch.distributed.get_world_size()
    if precision == 'mixed':
        result['policy'] = policy
    return result


# ---------------------------------------------------------------- hand-written PyTorch

def torch_net(workload):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, inputs, filters, strides):
            super().__init__()
            self.conv1 = nn.Conv2d(inputs, filters, 3, strides, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01)
            self.conv2 = nn.Conv2d(filters, filters, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01)
            self.shortcut = nn.Identity() if strides == 1 else nn.Sequential(
                nn.Conv2d(inputs, filters, 1, strides, bias=False),
                nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01))

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    class LSTMNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(MAX_FEATURES, 128)
            self.dropout = nn.Dropout(0.2)
            self.lstm = nn.LSTM(128, 128, batch_first=True)
            self.out = nn.Linear(128, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(self.dropout(self.embedding(x)))
            return self.out(h[-1]).squeeze(-1)

    name = workload.name
    if name == 'mnist_mlp':
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                            nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
        return net, lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7,
                                                  foreach=True)
    if name == 'mnist_cnn':
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                            nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                            nn.Linear(128, 10))
        return net, lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-7, foreach=True)
    if name == 'imdb_lstm':
        return LSTMNet(), lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7, foreach=True)
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16, eps=1e-3,
                                                                     momentum=0.01), nn.ReLU()]
    inputs = 16
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            layers.append(Block(inputs, filters, 2 if stage > 0 and block == 0 else 1))
            inputs = filters
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9,
                                                             foreach=True)


def torch_worker(workload, samples, precision, repeats, distributed=False):
    import numpy as np
    import torch
    import torch.nn.functional as F
    rank, world = 0, 1
    if distributed:
        import torch.distributed as dist
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True
    else:
        device = torch.device('cpu')
    x_host, labels = make_data(workload, samples)
    if workload.name in ('mnist_cnn', 'resnet'):
        x_host = np.ascontiguousarray(x_host.transpose(0, 3, 1, 2))
    torch.manual_seed(0)
    net, make_optimizer = torch_net(workload)
    image = workload.name in ('mnist_cnn', 'resnet')
    memory_format = torch.channels_last if image else torch.contiguous_format
    net = net.to(device, memory_format=memory_format)
    optimizer = make_optimizer(net.parameters())
    if distributed:
        net = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == 'cuda' else None)
    x = torch.as_tensor(x_host, device=device)
    if image:
        x = x.contiguous(memory_format=torch.channels_last)
    binary = workload.name == 'imdb_lstm'
    y = torch.as_tensor(labels, device=device)
    y = y.float() if binary else y
    mixed = precision == 'mixed'
    on_cuda = device.type == 'cuda'
    amp_dtype = torch.float16 if on_cuda else torch.bfloat16
    scaler = torch.amp.GradScaler('cuda') if mixed and on_cuda else None
    batch = workload.batch_size
    local = samples // world

    def epoch():
        net.train()
        generator = torch.Generator(device='cpu').manual_seed(int(time.time() * 1e6) % 2**31)
        order = torch.randperm(samples, generator=generator).to(device)
        order = order[rank * local:(rank + 1) * local]
        total = torch.zeros((), device=device)
        for start in range(0, local, batch // world):
            rows = order[start:start + batch // world]
            with torch.autocast(device.type, dtype=amp_dtype, enabled=mixed):
                out = net(x[rows])
                loss = F.binary_cross_entropy_with_logits(out.float(), y[rows]) if binary \
                    else F.cross_entropy(out.float(), y[rows])
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            total += loss.detach()
        total.item()  # one read per epoch, as fit's logs
    result = time_epochs(epoch, samples, repeats, sync=torch.cuda.synchronize if on_cuda
                         else None)
    result['device'] = str(device)
    if mixed:
        result['policy'] = 'autocast ' + str(amp_dtype).replace('torch.', '') + \
            (' + GradScaler' if scaler is not None else '')
    if distributed:
        result['world_size'] = world
        torch.distributed.destroy_process_group()
        if rank != 0:
            return None
    return result


# ---------------------------------------------------------------- hand-written JAX

def jax_worker(workload, samples, precision, repeats):
    import numpy as np
    import jax
    import jax.numpy as jnp
    import optax
    compute = jnp.bfloat16 if precision == 'mixed' else jnp.float32
    rng = np.random.RandomState(1)

    def glorot(*shape):
        fan_in = int(np.prod(shape[:-1]))
        fan_out = shape[-1] * (int(np.prod(shape[:-2])) if len(shape) > 2 else 1)
        limit = np.sqrt(6. / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-limit, limit, shape).astype('float32'))

    def dense(n_in, n_out):
        return {'w': glorot(n_in, n_out), 'b': jnp.zeros(n_out)}

    def dropout(h, rate, key):
        return jnp.where(jax.random.bernoulli(key, 1 - rate, h.shape), h / (1 - rate), 0)

    def conv(h, w, strides=1, padding='SAME'):
        return jax.lax.conv_general_dilated(h, w.astype(h.dtype), (strides, strides), padding,
                                            dimension_numbers=('NHWC', 'HWIO', 'NHWC'))

    def affine(h, p):
        return h @ p['w'].astype(h.dtype) + p['b'].astype(h.dtype)

    def batch_norm(h, p, stats):
        h32 = h.astype(jnp.float32)
        mean, var = h32.mean((0, 1, 2)), h32.var((0, 1, 2))
        new = {'mean': 0.99 * stats['mean'] + 0.01 * mean,
               'var': 0.99 * stats['var'] + 0.01 * var}
        out = (h32 - mean) * jax.lax.rsqrt(var + 1e-3) * p['gamma'] + p['beta']
        return out.astype(h.dtype), new

    def bn_params(filters):
        return ({'gamma': jnp.ones(filters), 'beta': jnp.zeros(filters)},
                {'mean': jnp.zeros(filters), 'var': jnp.ones(filters)})

    name = workload.name
    params, stats = {}, {}
    if name == 'mnist_mlp':
        params = {'l1': dense(784, 512), 'l2': dense(512, 512), 'l3': dense(512, 10)}
        optimizer = optax.rmsprop(1e-3, decay=0.9, eps=1e-7)

        def forward(p, s, h, key):
            k1, k2 = jax.random.split(key)
            h = dropout(jax.nn.relu(affine(h, p['l1'])), 0.2, k1)
            h = dropout(jax.nn.relu(affine(h, p['l2'])), 0.2, k2)
            return affine(h, p['l3']), s
    elif name == 'mnist_cnn':
        params = {'c1': {'w': glorot(3, 3, 1, 32), 'b': jnp.zeros(32)},
                  'c2': {'w': glorot(3, 3, 32, 64), 'b': jnp.zeros(64)},
                  'd1': dense(9216, 128), 'd2': dense(128, 10)}
        optimizer = optax.adadelta(1.0, rho=0.95, eps=1e-7)

        def forward(p, s, h, key):
            k1, k2 = jax.random.split(key)
            h = jax.nn.relu(conv(h, p['c1']['w'], padding='VALID') + p['c1']['b'].astype(h.dtype))
            h = jax.nn.relu(conv(h, p['c2']['w'], padding='VALID') + p['c2']['b'].astype(h.dtype))
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                      'VALID')
            h = dropout(h, 0.25, k1).reshape(h.shape[0], -1)
            h = dropout(jax.nn.relu(affine(h, p['d1'])), 0.5, k2)
            return affine(h, p['d2']), s
    elif name == 'imdb_lstm':
        params = {'emb': jnp.asarray(rng.uniform(-0.05, 0.05, (MAX_FEATURES, 128))
                                     .astype('float32')),
                  'wx': glorot(128, 512), 'wh': glorot(128, 512), 'b': jnp.zeros(512),
                  'out': dense(128, 1)}
        optimizer = optax.adam(1e-3, eps=1e-7)

        def forward(p, s, tokens, key):
            h = dropout(p['emb'][tokens].astype(compute), 0.2, key)
            xs = jnp.swapaxes(h @ p['wx'].astype(compute) + p['b'].astype(compute), 0, 1)
            wh = p['wh'].astype(compute)

            def step(carry, xt):
                hidden, cell = carry
                i, f, g, o = jnp.split(xt + hidden @ wh, 4, axis=-1)
                cell = jax.nn.sigmoid(f) * cell + jax.nn.sigmoid(i) * jnp.tanh(g)
                hidden = jax.nn.sigmoid(o) * jnp.tanh(cell)
                return (hidden, cell), None
            zeros = jnp.zeros((tokens.shape[0], 128), compute)
            (hidden, _), _ = jax.lax.scan(step, (zeros, zeros), xs)
            return affine(hidden, p['out'])[:, 0], s
    else:
        params['stem'] = glorot(3, 3, 3, 16)
        params['stem_bn'], stats['stem_bn'] = bn_params(16)
        inputs, blocks = 16, []
        for stage, filters in enumerate((16, 32, 64)):
            for block in range(3):
                strides = 2 if stage > 0 and block == 0 else 1
                key = 'b%d%d' % (stage, block)
                p = {'c1': glorot(3, 3, inputs, filters), 'c2': glorot(3, 3, filters, filters)}
                s = {}
                p['bn1'], s['bn1'] = bn_params(filters)
                p['bn2'], s['bn2'] = bn_params(filters)
                if strides != 1:
                    p['sc'] = glorot(1, 1, inputs, filters)
                    p['sc_bn'], s['sc_bn'] = bn_params(filters)
                params[key], stats[key] = p, s
                blocks.append((key, strides))
                inputs = filters
        params['out'] = dense(64, 10)
        optimizer = optax.sgd(0.05, momentum=0.9)

        def forward(p, s, h, key):
            new = {}
            h, new['stem_bn'] = batch_norm(conv(h, p['stem']), p['stem_bn'], s['stem_bn'])
            h = jax.nn.relu(h)
            for name_, strides in blocks:
                bp, bs, ns = p[name_], s[name_], {}
                y, ns['bn1'] = batch_norm(conv(h, bp['c1'], strides), bp['bn1'], bs['bn1'])
                y, ns['bn2'] = batch_norm(conv(jax.nn.relu(y), bp['c2']), bp['bn2'], bs['bn2'])
                shortcut = h
                if strides != 1:
                    shortcut, ns['sc_bn'] = batch_norm(conv(h, bp['sc'], strides),
                                                       bp['sc_bn'], bs['sc_bn'])
                h = jax.nn.relu(y + shortcut)
                new[name_] = ns
            return affine(h.mean((1, 2)), p['out']), new

    binary = name == 'imdb_lstm'

    def loss_fn(p, s, x, y, key):
        h = x if binary else x.astype(compute)
        logits, new_stats = forward(p, s, h, key)
        logits = logits.astype(jnp.float32)
        loss = optax.sigmoid_binary_cross_entropy(logits, y).mean() if binary else \
            optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        return loss, new_stats

    def train_step(p, s, opt_state, total, key, x, y, rows):
        key, sub = jax.random.split(key)
        (loss, s), grads = jax.value_and_grad(loss_fn, has_aux=True)(p, s, x[rows], y[rows],
                                                                      sub)
        updates, opt_state = optimizer.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), s, opt_state, total + loss, key
    train_step = jax.jit(train_step, donate_argnums=(0, 1, 2, 3, 4))

    x_host, labels = make_data(workload, samples)
    x = jax.device_put(x_host)
    y = jax.device_put(labels.astype('float32') if binary else labels.astype('int32'))
    state = {'p': params, 's': stats, 'opt': optimizer.init(params),
             'key': jax.random.PRNGKey(0)}
    batch = workload.batch_size

    def epoch():
        order = np.random.permutation(samples)
        total = jnp.zeros(())
        p, s, opt_state, key = state['p'], state['s'], state['opt'], state['key']
        for start in range(0, samples, batch):
            rows = jax.device_put(order[start:start + batch])
            p, s, opt_state, total, key = train_step(p, s, opt_state, total, key, x, y, rows)
        state.update(p=p, s=s, opt=opt_state, key=key)
        float(total)  # one read per epoch, as fit's logs
    result = time_epochs(epoch, samples, repeats)
    result['device'] = str(x.devices().pop())
    if precision == 'mixed':
        result['policy'] = 'bfloat16 compute, float32 parameters'
    return result


# ---------------------------------------------------------------- timing

def time_epochs(epoch, samples, repeats, sync=None):
    """Runs one untimed epoch, then `repeats` timed ones; their median samples/s."""
    epoch()
    walls, cpus = [], []
    for _ in range(repeats):
        if sync is not None:
            sync()
        wall, cpu = time.perf_counter(), time.process_time()
        epoch()
        if sync is not None:
            sync()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {'status': 'ok', 'samples': samples, 'epochs_timed': repeats,
            'samples_per_s': samples / statistics.median(walls),
            'samples_per_cpu_s': samples / max(statistics.median(cpus), 1e-9),
            'epoch_wall_s': walls, 'epoch_cpu_s': cpus}


def run_worker(args):
    """The body of a benchmark subprocess: one implementation in one precision on each
    workload of `args.workload` in turn, one result line each (an error in one workload is
    reported for it, and the next one runs)."""
    import traceback
    impl = args.worker
    threads = os.environ.get('BENCH_THREADS')
    on_cuda = False
    if not impl.endswith('jax'):
        import torch
        if threads:
            torch.set_num_threads(int(threads))
        on_cuda = torch.cuda.is_available() and os.environ.get('CORNU_DEVICE') != 'cpu'
    for name in args.workload.split(','):
        workload = WORKLOADS[name]
        samples = workload.quick_samples if args.quick else workload.samples
        try:
            if impl.startswith('cornu'):
                result = cornu_worker(workload, samples, args.precision, args.repeats,
                                      on_cuda)
            elif impl.startswith('torch'):
                result = torch_worker(workload, samples, args.precision, args.repeats,
                                      distributed=impl == 'torch-ddp')
            else:
                result = jax_worker(workload, samples, args.precision, args.repeats)
        except Exception as error:  # reported in the table; the next workload still runs
            result = {'status': 'error: %s: %s' % (type(error).__name__, error),
                      'output_tail': traceback.format_exc()[-3000:]}
        if result is not None and int(os.environ.get('RANK', 0)) == 0:
            result['workload'] = name
            print(RESULT_MARK + json.dumps(result), flush=True)


# ---------------------------------------------------------------- the driver

def run_step(command, env, timeout):
    """Runs `command`; returns (status, seconds, output) and never raises."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        status = 'ok' if done.returncode == 0 else 'failed (exit %d)' % done.returncode
        output = done.stdout
    except subprocess.TimeoutExpired as error:
        status = 'timed out after %d s' % timeout
        output = error.stdout if isinstance(error.stdout, str) else \
            (error.stdout or b'').decode('utf-8', 'replace')
    return status, time.perf_counter() - start, output or ''


def engine_env(engine, on_gpu):
    env = dict(os.environ)
    env['CORNU_BACKEND'] = engine
    env['PYTHONUNBUFFERED'] = '1'  # what a step printed before its timeout is kept
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '') \
        if env.get('PYTHONPATH') else REPO
    if engine == 'jax' and not on_gpu:
        # Fast compiles on a CPU, as the test suite runs there.
        env.setdefault('XLA_FLAGS', '--xla_backend_optimization_level=0')
    if engine == 'jax':
        env.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
    return env


def run_benchmarks(args, on_gpu, gpu_count, deadline, report):
    """Runs every implementation in every precision, each in a subprocess of its own that
    goes through the workloads; returns one result per (workload, precision,
    implementation)."""
    impls = [(impl, 1) for impl in IMPLS
             if ('jax' if impl.endswith('jax') else 'torch') in args.engines]
    if gpu_count > 1 and 'torch' in args.engines:
        impls += [(impl, gpu_count) for impl in DDP_IMPLS]
    results = []
    for precision in args.precisions:
        for impl, processes in impls:
            engine = 'jax' if impl.endswith('jax') else 'torch'
            if importlib.util.find_spec(engine) is None:
                for workload in args.workloads:
                    results.append(dict(status='skipped', reason=engine + ' is not installed',
                                        workload=workload, precision=precision, impl=impl,
                                        processes=processes))
                report('      (%s, %s: skipped, %s is not installed)' % (impl, precision,
                                                                          engine))
                continue
            worker = [os.path.abspath(__file__), '--worker', impl, '--workload',
                      ','.join(args.workloads), '--precision', precision, '--repeats',
                      str(args.repeats)] + (['--quick'] if args.quick else [])
            if processes > 1:
                command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
                           '--nproc_per_node', str(processes)] + worker
            else:
                command = [sys.executable] + worker
            timeout = min(args.bench_timeout * len(args.workloads), deadline - time.time())
            if timeout < 10:
                status, seconds, output = 'not run: out of time (--budget)', 0., ''
            else:
                status, seconds, output = run_step(command, engine_env(engine, on_gpu),
                                                   timeout)
            reported = {}
            for line in output.splitlines():
                if line.startswith(RESULT_MARK):
                    result = json.loads(line[len(RESULT_MARK):])
                    reported[result['workload']] = result
            for workload in args.workloads:
                result = reported.get(workload) or {
                    'status': status if status != 'ok' else 'failed (no result)',
                    'output_tail': output[-3000:]}
                result.update(workload=workload, precision=precision, impl=impl,
                              processes=processes)
                results.append(result)
                shown = '%10.0f samples/s' % result['samples_per_s'] \
                    if result['status'] == 'ok' else result['status'] + (
                        ': ' + result['reason'] if 'reason' in result else '')
                report('bench %-10s %-8s %-16s %s' % (workload, precision, impl, shown))
                if result['status'] not in ('ok', 'skipped') and result['output_tail']:
                    report('    ' + '\n    '.join(result['output_tail'].splitlines()[-8:]))
            report('      (%s, %s: %s in %.1f s)' % (impl, precision, status, seconds))
    return results


def add_ratios(results):
    found = {(r['workload'], r['precision'], r['impl']): r for r in results}
    for result in results:
        baseline = found.get((result['workload'], result['precision'],
                              BASELINE.get(result['impl'])))
        if result['status'] == 'ok' and baseline is not None and baseline['status'] == 'ok':
            result['ratio'] = result['samples_per_s'] / baseline['samples_per_s']
            result['cpu_ratio'] = result['samples_per_cpu_s'] / baseline['samples_per_cpu_s']
            result['baseline'] = baseline['impl']


def table(results):
    lines = ['%-10s %-8s %-16s %13s %13s %8s %9s  %s' % (
        'workload', 'precision', 'implementation', 'samples/s', 'samp/CPU-s', 'ratio',
        'CPU ratio', 'note')]
    order = list(WORKLOADS), list(PRECISIONS), list(IMPLS + DDP_IMPLS)
    for r in sorted(results, key=lambda r: (order[0].index(r['workload']),
                                            order[1].index(r['precision']),
                                            order[2].index(r['impl']))):
        if r['status'] == 'ok':
            ratio = ('%7.3fx' % r['ratio']) if 'ratio' in r else '%8s' % '-'
            cpu_ratio = ('%8.3fx' % r['cpu_ratio']) if 'cpu_ratio' in r else '%9s' % '-'
            note = ' '.join(filter(None, [r.get('device'), r.get('policy')]))
            if r.get('processes', 1) > 1:
                note = ('%d processes ' % r['processes']) + note
            lines.append('%-10s %-8s %-16s %13.0f %13.0f %s %s  %s' % (
                r['workload'], r['precision'], r['impl'], r['samples_per_s'],
                r['samples_per_cpu_s'], ratio, cpu_ratio, note))
        else:
            lines.append('%-10s %-8s %-16s %13s %13s %8s %9s  %s' % (
                r['workload'], r['precision'], r['impl'], '-', '-', '-', '-',
                r['status'].splitlines()[0][:70] + (': ' + r['reason'] if 'reason' in r
                                                     else '')))
    return '\n'.join(lines)


def groups_of_tests():
    """`TEST_GROUPS` with the files of this checkout, the pattern-matched ones added."""
    groups = collections.OrderedDict(
        (name, [f for f in files if os.path.exists(os.path.join(REPO, f))])
        for name, files in TEST_GROUPS.items())
    listed = set(f for files in TEST_GROUPS.values() for f in files)
    for root, _, names in os.walk(os.path.join(REPO, 'tests')):
        for name in sorted(names):
            path = os.path.relpath(os.path.join(root, name), REPO)
            if name.startswith('test_') and name.endswith('.py') and path not in listed \
                    and any(pattern in name for pattern in TEST_PATTERNS):
                groups['devices'].append(path)
    return collections.OrderedDict((k, v) for k, v in groups.items() if v)


def run_tests(engines, engine_timeout, on_gpu, deadline, report):
    """Runs each group of test files on each engine. An engine has `engine_timeout` seconds
    for all its groups; each group may use an equal share of what is left of them (time a
    quick group leaves is handed on to the next)."""
    groups = groups_of_tests()
    rows = []
    for engine in engines:
        if importlib.util.find_spec(engine) is None:
            report('tests on %s: skipped, %s is not installed' % (engine, engine))
            continue
        engine_deadline = min(time.time() + engine_timeout, deadline)
        for index, (group, files) in enumerate(groups.items()):
            # -vv (against addopts' -q) prints each test's outcome as it ends: a group cut by
            # its timeout still tells what passed and what failed before.
            command = [sys.executable, '-m', 'pytest', '-vv', '-rfE', '-p',
                       'no:cacheprovider'] + files
            timeout = (engine_deadline - time.time()) / (len(groups) - index)
            if timeout < 10:
                status, seconds, output = 'not run: out of time (--budget)', 0., ''
            else:
                status, seconds, output = run_step(command, engine_env(engine, on_gpu),
                                                   timeout)
            outcomes = collections.Counter(re.findall(
                r'::\S+ (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)', output))
            summary = ', '.join('%d %s' % (count, outcome.lower())
                                for outcome, count in sorted(outcomes.items()))
            failures = sorted(set(re.findall(r'^(\S+::\S+) (?:FAILED|ERROR)', output,
                                             re.MULTILINE)))
            row = {'engine': engine, 'group': group, 'files': files, 'status': status,
                   'seconds': seconds, 'outcomes': dict(outcomes), 'summary': summary,
                   'failures': failures,
                   'output_tail': output[-4000:] if status != 'ok' else ''}
            rows.append(row)
            report('tests %-5s %-9s %-26s %6.1f s  %s' % (engine, group, status[:26], seconds,
                                                         row['summary']))
            for line in failures[:20]:
                report('    FAILED ' + line)
    return {'groups': groups, 'runs': rows}


def environment():
    """Devices and versions, read in a subprocess so that this one imports no engine."""
    probe = ('import json, platform\n'
             'info = {"python": platform.python_version()}\n'
             'try:\n'
             '    import torch\n'
             '    info["torch"] = torch.__version__\n'
             '    info["cuda_devices"] = [torch.cuda.get_device_name(i)'
             ' for i in range(torch.cuda.device_count())]\n'
             'except Exception as e:\n'
             '    info["torch"] = "unavailable: %s" % e\n'
             'try:\n'
             '    import jax\n'
             '    info["jax"] = jax.__version__\n'
             '    info["jax_devices"] = [str(d) for d in jax.devices()]\n'
             'except Exception as e:\n'
             '    info["jax"] = "unavailable: %s" % e\n'
             'print(json.dumps(info))\n')
    status, _, output = run_step([sys.executable, '-c', probe], dict(os.environ), 120)
    try:
        info = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        info = {'probe': status, 'output_tail': output[-2000:]}
    info['machine'] = platform.machine()
    info['cpu_count'] = os.cpu_count()
    try:
        info['commit'] = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info['commit'] = None
    return info


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='.', help='directory for gpu_check.json')
    parser.add_argument('--quick', action='store_true', help='tiny sizes (a smoke run)')
    parser.add_argument('--no-tests', action='store_true', help='skip the test part')
    parser.add_argument('--no-bench', action='store_true', help='skip the benchmarks')
    parser.add_argument('--engines', default='torch,jax', type=lambda s: s.split(','))
    parser.add_argument('--workloads', default=','.join(WORKLOADS),
                        type=lambda s: s.split(','))
    parser.add_argument('--precisions', default=','.join(PRECISIONS),
                        type=lambda s: s.split(','))
    parser.add_argument('--repeats', type=int, default=None,
                        help='timed epochs per cell (default 3; 1 with --quick)')
    parser.add_argument('--budget', type=float, default=570.,
                        help='seconds for the whole check: a step that would start later '
                             'is reported as not run, and a running one is cut at it')
    parser.add_argument('--test-timeout', type=int, default=120,
                        help='seconds for all the tests of one engine')
    parser.add_argument('--bench-timeout', type=int, default=40,
                        help='seconds per workload for one implementation in one '
                             'precision')
    parser.add_argument('--worker', choices=IMPLS + DDP_IMPLS, help=argparse.SUPPRESS)
    parser.add_argument('--workload', help=argparse.SUPPRESS)
    parser.add_argument('--precision', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    for name in args.workloads:
        if name not in WORKLOADS:
            parser.error('unknown workload %r; expected some of %s'
                         % (name, ', '.join(WORKLOADS)))
    for name in args.precisions:
        if name not in PRECISIONS:
            parser.error('unknown precision %r; expected float32 and/or mixed' % name)
    for name in args.engines:
        if name not in ('torch', 'jax'):
            parser.error('unknown engine %r; expected torch and/or jax' % name)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return 0
    started = time.perf_counter()
    deadline = time.time() + args.budget
    os.makedirs(args.out, exist_ok=True)

    def report(line):
        print(line, flush=True)

    info = environment()
    gpu_count = len(info.get('cuda_devices') or [])
    on_gpu = gpu_count > 0
    report('gpu_check: %s; torch %s, jax %s; commit %s' % (
        ', '.join(info.get('cuda_devices') or []) or 'no CUDA device', info.get('torch'),
        info.get('jax'), info.get('commit')))
    output = {'environment': info, 'quick': args.quick, 'tests': None, 'benchmarks': []}
    path = os.path.join(args.out, 'gpu_check.json')

    def save():
        output['total_seconds'] = time.perf_counter() - started
        with open(path + '.tmp', 'w') as stream:
            json.dump(output, stream, indent=1)
        os.replace(path + '.tmp', path)

    if not args.no_tests:
        output['tests'] = run_tests(args.engines, args.test_timeout, on_gpu, deadline, report)
        save()
    if not args.no_bench:
        output['benchmarks'] = run_benchmarks(args, on_gpu, gpu_count, deadline, report)
        add_ratios(output['benchmarks'])
        report('')
        report('samples/s: medians of %d timed epochs after one untimed; ratio: cornu / the '
               'hand-written loop of the same engine and precision' % args.repeats)
        output['table'] = table(output['benchmarks'])
        report(output['table'])
    save()
    failed = [r for r in (output['tests'] or {}).get('runs', []) if r['status'] != 'ok'] + \
        [r for r in output['benchmarks'] if r['status'] not in ('ok', 'skipped')]
    report('')
    report('gpu_check: %d step(s) failed; total %.1f s; results in %s'
           % (len(failed), time.perf_counter() - started, path))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
