"""Keras 2's conv_lstm example model on both engines: `fit` and `predict` times.

    python benchmarks/conv_lstm.py [--layers 4] [--samples 20] [--repeats 3]

The model of `examples/conv_lstm.py` (Keras 2.2.4): `--layers` ConvLSTM2D(40, 3x3, 'same',
return_sequences) layers, each followed by BatchNormalization, then Conv3D(1, 3x3x3,
sigmoid); binary cross-entropy, Adadelta, batch 10, sequences of 15 frames of 40x40, on
synthetic data. Each engine runs in a process of its own (`CORNU_BACKEND`); the table gives
the first `fit` epoch (compilation included), the best of `--repeats` further epochs and of
as many `predict` calls, in seconds.

A ConvLSTM2D's recurrent convolution runs inside the recurrence's loop, and so does its
gradient: the row shows what the engines make of convolutions inside a loop.
"""
import argparse
import json
import os
import subprocess
import sys
import time

FRAMES, SIZE, FILTERS, BATCH = 15, 40, 40, 10


def build(layers):
    from cornu.models import Sequential
    from cornu.layers import BatchNormalization, Conv3D, ConvLSTM2D
    model = Sequential()
    for index in range(layers):
        shape = {'input_shape': (None, SIZE, SIZE, 1)} if index == 0 else {}
        model.add(ConvLSTM2D(filters=FILTERS, kernel_size=(3, 3), padding='same',
                             return_sequences=True, **shape))
        model.add(BatchNormalization())
    model.add(Conv3D(filters=1, kernel_size=(3, 3, 3), activation='sigmoid', padding='same',
                     data_format='channels_last'))
    model.compile(loss='binary_crossentropy', optimizer='adadelta')
    return model


def measure(layers, samples, repeats):
    """Runs in the engine's own process; returns the times as a dict."""
    import numpy as np
    rng = np.random.RandomState(0)
    x = rng.rand(samples, FRAMES, SIZE, SIZE, 1).astype('float32')
    y = (rng.rand(samples, FRAMES, SIZE, SIZE, 1) > 0.5).astype('float32')
    model = build(layers)

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def fit():
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)

    def predict():
        model.predict(x, batch_size=BATCH)

    first_fit = timed(fit)
    fit_s = min(timed(fit) for _ in range(repeats))
    first_predict = timed(predict)
    predict_s = min(timed(predict) for _ in range(repeats))
    return {'first_fit_s': first_fit, 'fit_s': fit_s, 'first_predict_s': first_predict,
            'predict_s': predict_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--layers', type=int, default=4)
    parser.add_argument('--samples', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--engines', default='torch,jax')
    parser.add_argument('--inner', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.layers < 1 or args.samples < 1 or args.repeats < 1:
        raise SystemExit('conv_lstm.py: --layers, --samples and --repeats must be at least 1 '
                         '(got %d, %d, %d)' % (args.layers, args.samples, args.repeats))
    if args.inner:
        print(json.dumps(measure(args.layers, args.samples, args.repeats)))
        return
    print('ConvLSTM2D example model: %d layer(s), %d sequences of %d frames of %dx%d, '
          'batch %d; seconds' % (args.layers, args.samples, FRAMES, SIZE, SIZE, BATCH))
    print('%-8s %12s %10s %16s %10s' % ('engine', 'first fit', 'fit', 'first predict',
                                        'predict'))
    for engine in args.engines.split(','):
        command = [sys.executable, __file__, '--inner', '--layers', str(args.layers),
                   '--samples', str(args.samples), '--repeats', str(args.repeats)]
        done = subprocess.run(command, env=dict(os.environ, CORNU_BACKEND=engine),
                              capture_output=True, text=True)
        if done.returncode != 0:
            print('%-8s failed: %s' % (engine, done.stderr.strip().splitlines()[-1:]))
            continue
        times = json.loads(done.stdout.strip().splitlines()[-1])
        print('%-8s %12.2f %10.2f %16.2f %10.2f' % (
            engine, times['first_fit_s'], times['fit_s'], times['first_predict_s'],
            times['predict_s']))


if __name__ == '__main__':
    main()
