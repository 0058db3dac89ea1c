"""K.rnn, map_fn, foldl, foldr and CTC against NumPy loops."""
import itertools

import numpy as np
import pytest

RTOL = 1e-5
ATOL = 1e-6


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def rand(*shape):
    return np.random.uniform(-1, 1, shape).astype('float32')


# RNN

def make_step(K, kernel, recurrent):
    def step(x_t, states):
        h, count, bias = states  # two states, then one constant
        output = K.tanh(K.dot(x_t, kernel) + K.dot(h, recurrent) + bias)
        return output, [output, count + 1.]
    return step


def np_rnn(x, h0, count0, bias, kernel, recurrent, mask=None, go_backwards=False,
           unroll=False):
    batch, time = x.shape[:2]
    order = range(time - 1, -1, -1) if go_backwards else range(time)
    h, count = h0.astype('float64'), count0.astype('float64')
    previous = np.zeros_like(h) if unroll else None
    outputs = []
    for t in order:
        out = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        new_h, new_count = out, count + 1.
        if mask is not None:
            keep = mask[:, t].astype(bool)[:, None]
            # Keras 2.2.4: the symbolic loop repeats states[0]; the unrolled one the last output.
            out = np.where(keep, out, previous if unroll else h)
            new_h = np.where(keep, new_h, h)
            new_count = np.where(keep, new_count, count)
        h, count = new_h, new_count
        previous = out
        outputs.append(out)
    return outputs[-1], np.stack(outputs, axis=1), [h, count]


@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('unroll', [False, True])
def test_rnn(backend, go_backwards, masked, unroll):
    K = backend
    x = rand(3, 4, 2)
    h0, count0, bias = rand(3, 5), np.zeros((3, 2), 'float32'), rand(5)
    kernel, recurrent = rand(2, 5), rand(5, 5)
    mask = np.array([[0, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 1]], dtype='float32')
    mask = mask if masked else None
    last, outputs, states = K.rnn(make_step(K, K.constant(kernel), K.constant(recurrent)),
                                  K.constant(x), [K.constant(h0), K.constant(count0)],
                                  go_backwards=go_backwards, mask=mask,
                                  constants=[K.constant(bias)], unroll=unroll)
    expected = np_rnn(x, h0, count0, bias, kernel, recurrent, mask, go_backwards, unroll)
    close(K.eval(last), expected[0])
    close(K.eval(outputs), expected[1])
    assert len(states) == 2
    for state, expected_state in zip(states, expected[2]):
        close(K.eval(state), expected_state)


def test_rnn_errors(backend):
    K = backend
    with pytest.raises(ValueError):
        K.rnn(lambda x, s: (x, s), K.constant(rand(2, 3)), [])
    with pytest.raises(ValueError):
        K.rnn(lambda x, s: (x, s), K.constant(rand(2, 3, 1)), [],
              mask=np.ones((2, 3), 'float32'))


def test_rnn_gradient(backend):
    K = backend
    x = rand(2, 3, 1)
    weight = K.variable(np.array([[0.5]], dtype='float32'))

    def step(x_t, states):
        output = states[0] + K.dot(x_t, weight)
        return output, [output]

    inputs = K.placeholder(shape=(2, 3, 1))
    last, _, _ = K.rnn(step, inputs, [K.zeros((2, 1))])
    # last = w * sum_t x_t, so d(sum last)/dw = sum of x.
    grad = K.function([inputs], K.gradients(K.sum(last), [weight]))([x])[0]
    close(grad, [[x.sum()]], atol=1e-5)


# HIGHER-ORDER FUNCTIONS

def test_map_fn(backend):
    K = backend
    x = rand(4, 3)
    close(K.eval(K.map_fn(lambda row: K.sum(row * row), K.constant(x))), np.sum(x * x, axis=1))
    y = rand(4, 3)
    close(K.eval(K.map_fn(lambda pair: pair[0] - pair[1], (K.constant(x), K.constant(y)))),
          x - y)
    result = K.map_fn(lambda row: K.sum(row), K.constant(x), dtype='float64')
    assert K.dtype(result) == 'float64'


def test_foldl_foldr(backend):
    K = backend
    x = np.array([1., 2., 3., 4.], dtype='float32')
    close(K.eval(K.foldl(lambda acc, v: acc - v, K.constant(x))), 1. - 2. - 3. - 4.)
    close(K.eval(K.foldr(lambda acc, v: acc - v, K.constant(x))), 4. - 3. - 2. - 1.)
    close(K.eval(K.foldl(lambda acc, v: acc * 2. + v, K.constant(x), K.constant(0.))),
          ((1. * 2. + 2.) * 2. + 3.) * 2. + 4.)
    close(K.eval(K.foldr(lambda acc, v: acc * 2. + v, K.constant(x), K.constant(0.))),
          ((4. * 2. + 3.) * 2. + 2.) * 2. + 1.)


# CTC

def test_ctc_label_dense_to_sparse(backend):
    K = backend
    labels = np.array([[1, 2, 9], [3, 9, 9]], dtype='int32')
    sparse = K.ctc_label_dense_to_sparse(K.constant(labels, dtype='int32'),
                                         K.constant([2, 1], dtype='int32'))
    assert K.is_sparse(sparse)
    np.testing.assert_array_equal(K.eval(K.to_dense(sparse)), [[1, 2, 0], [3, 0, 0]])


def np_ctc_loss(probs, label, eps=1e-7):
    # TensorFlow's CTC takes log(probs + eps) as logits and normalises them again.
    q = (probs + eps) / np.sum(probs + eps, axis=-1, keepdims=True)
    blank = probs.shape[-1] - 1
    extended = [blank]
    for c in label:
        extended += [c, blank]
    alpha = np.zeros((len(q), len(extended)))
    alpha[0, 0] = q[0, blank]
    if label:
        alpha[0, 1] = q[0, extended[1]]
    for t in range(1, len(q)):
        for s in range(len(extended)):
            total = alpha[t - 1, s] + (alpha[t - 1, s - 1] if s > 0 else 0.)
            if s > 1 and extended[s] != blank and extended[s] != extended[s - 2]:
                total += alpha[t - 1, s - 2]
            alpha[t, s] = total * q[t, extended[s]]
    likelihood = alpha[-1, -1] + (alpha[-1, -2] if label else 0.)
    return -np.log(likelihood)


def softmax_rows(shape):
    logits = np.random.uniform(-2, 2, shape)
    e = np.exp(logits)
    return (e / e.sum(-1, keepdims=True)).astype('float32')


def test_ctc_batch_cost(backend):
    K = backend
    y_pred = softmax_rows((3, 6, 4))
    y_true = np.array([[0, 1, -1], [1, 1, 2], [2, -1, -1]], dtype='float32')
    input_length = np.array([[6], [5], [4]], dtype='int32')
    label_length = np.array([[2], [3], [1]], dtype='int32')
    loss = K.eval(K.ctc_batch_cost(y_true, y_pred, input_length, label_length))
    assert loss.shape == (3, 1)
    expected = [np_ctc_loss(y_pred[i, :input_length[i, 0]],
                            [int(c) for c in y_true[i, :label_length[i, 0]]])
                for i in range(3)]
    close(loss[:, 0], expected, rtol=1e-4)


def test_ctc_batch_cost_gradient_flows(backend):
    K = backend
    y_pred = K.placeholder(shape=(1, 5, 3))
    loss = K.ctc_batch_cost(np.array([[0, 1]], 'float32'), y_pred,
                            np.array([[5]], 'int32'), np.array([[2]], 'int32'))
    grad = K.function([y_pred], K.gradients(K.sum(loss), [y_pred]))(
        [softmax_rows((1, 5, 3))])[0]
    assert grad.shape == (1, 5, 3) and np.all(np.isfinite(grad))


def test_ctc_decode_greedy(backend):
    K = backend
    y_pred = softmax_rows((3, 7, 4))
    blank = 3
    # Sample 0: a fixed path with repeats and blanks: 1 1 _ 1 2 2 _  ->  1 1 2
    path = [1, 1, blank, 1, 2, 2, blank]
    y_pred[0] = np.eye(4, dtype='float32')[path] * 0.9 + 0.025
    input_length = np.array([7, 5, 3], dtype='int32')
    (decoded,), log_prob = K.ctc_decode(y_pred, input_length)
    decoded, log_prob = K.eval(decoded), K.eval(log_prob)
    expected = []
    for i, length in enumerate(input_length):
        best = np.argmax(y_pred[i, :length], axis=-1)
        collapsed = [c for t, c in enumerate(best)
                     if c != blank and (t == 0 or c != best[t - 1])]
        expected.append(collapsed)
    assert expected[0] == [1, 1, 2]
    assert decoded.shape == (3, max(len(e) for e in expected))
    for row, sequence in zip(decoded, expected):
        np.testing.assert_array_equal(row[:len(sequence)], sequence)
        assert np.all(row[len(sequence):] == -1)
    expected_log_prob = [-np.sum(np.max(np.log(y_pred[i, :n] + 1e-7), axis=-1))
                         for i, n in enumerate(input_length)]
    close(log_prob[:, 0], expected_log_prob, rtol=1e-5)


def brute_force_paths(probs, blank, eps=1e-7):
    """Label sequences by total path score, with TensorFlow's per-step max shift."""
    logits = np.log(probs.astype('float64') + eps)
    logits -= logits.max(axis=1, keepdims=True)
    totals = {}
    for path in itertools.product(range(probs.shape[1]), repeat=len(probs)):
        labels = tuple(c for t, c in enumerate(path)
                       if c != blank and (t == 0 or c != path[t - 1]))
        score = np.exp(sum(logits[t, c] for t, c in enumerate(path)))
        totals[labels] = totals.get(labels, 0.) + score
    return sorted(totals.items(), key=lambda item: -item[1])


def test_ctc_decode_beam_search(backend):
    K = backend
    # A path-vs-sequence case: the best single path is all blanks, but label 0 (spread over
    # many paths) is the most probable sequence.
    y_pred = np.array([[[0.3, 0.1, 0.6], [0.3, 0.1, 0.6], [0.3, 0.1, 0.6]]], dtype='float32')
    y_pred = np.concatenate([y_pred, softmax_rows((1, 3, 3))], axis=0)
    input_length = np.array([3, 3], dtype='int32')
    decoded, log_prob = K.ctc_decode(y_pred, input_length, greedy=False, beam_width=50,
                                     top_paths=2)
    assert len(decoded) == 2
    log_prob = K.eval(log_prob)
    assert log_prob.shape == (2, 2)
    for i in range(2):
        ranked = brute_force_paths(y_pred[i], blank=2)[:2]
        for k, (sequence, score) in enumerate(ranked):
            row = K.eval(decoded[k])[i]
            merged = [c for j, c in enumerate(sequence) if j == 0 or c != sequence[j - 1]]
            np.testing.assert_array_equal(row[:len(merged)], merged)
            assert np.all(row[len(merged):] == -1)
            close(log_prob[i, k], np.log(score), rtol=1e-5)
    assert K.eval(decoded[0])[0, 0] == 0
    greedy, _ = K.ctc_decode(y_pred[:1], input_length[:1])
    assert K.eval(greedy[0]).shape == (1, 0)
