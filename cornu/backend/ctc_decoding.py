"""CTC decoding on the host, shared by both engines: the prefix beam search of TensorFlow's
CTC decoder, and the padded arrays decoded sequences are returned in.

Decoded lengths vary with the data, so decoding runs in Python and NumPy on values read from
the engine; each engine's `ctc_decode` turns the arrays back into its tensors.
"""
import math

import numpy as np


def dense_from_sequences(sequences):
    """Label sequences of varying lengths as one int64 array, padded with `-1`."""
    longest = max([len(s) for s in sequences] + [0])
    dense = np.full((len(sequences), longest), -1, dtype=np.int64)
    for i, sequence in enumerate(sequences):
        dense[i, :len(sequence)] = sequence
    return dense


def check_top_paths(top_paths, beam_width):
    """Raises a `ValueError` if `top_paths` exceeds `beam_width`."""
    if top_paths > beam_width:
        raise ValueError('top_paths (%d) must be at most beam_width (%d).'
                         % (top_paths, beam_width))


def beam_search_decode(log_pred, lengths, beam_width, top_paths, blank):
    """Decodes a batch with a prefix beam search per sample.

    # Arguments
        log_pred: float64 array `(samples, time_steps, num_categories)`, `log(y_pred + eps)`.
        lengths: list of ints, the number of steps to decode in each sample.
        beam_width: beam width.
        top_paths: number of paths to return.
        blank: the blank class.

    # Returns
        `(decoded, scores)`: a list (one entry per path) of int64 arrays
        `(samples, longest_decoded_length)` padded with `-1`, and an array
        `(samples, top_paths)` of log probabilities.
    """
    batch = log_pred.shape[0]
    paths = [[] for _ in range(top_paths)]
    scores = np.zeros((batch, top_paths))
    for b in range(batch):
        sequences, sample_scores = _beam_search(log_pred[b, :lengths[b]], beam_width, top_paths,
                                                blank)
        for k in range(top_paths):
            paths[k].append(sequences[k])
        scores[b] = sample_scores
    return [dense_from_sequences(p) for p in paths], scores


def _log_add(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))


def _beam_search(logits, beam_width, top_paths, blank):
    """Prefix beam search over `logits` `(time, classes)`, as TensorFlow's CTC decoder.

    Returns the `top_paths` best label sequences (consecutive repeats merged) and their
    log probabilities.
    """
    # TensorFlow shifts each step by its maximum and does not renormalise.
    logits = logits - logits.max(axis=1, keepdims=True)
    num_classes = logits.shape[1]
    labels = [c for c in range(num_classes) if c != blank]
    beams = {(): (0.0, -math.inf)}  # prefix -> (log P(ends in blank), log P(ends in label))
    for row in logits:
        row = row.tolist()
        candidates = {}
        for prefix, (p_blank, p_label) in beams.items():
            total = _log_add(p_blank, p_label)
            c_blank, c_label = candidates.get(prefix, (-math.inf, -math.inf))
            c_blank = _log_add(c_blank, total + row[blank])
            if prefix:
                c_label = _log_add(c_label, p_label + row[prefix[-1]])
            candidates[prefix] = (c_blank, c_label)
            last = prefix[-1] if prefix else None
            for c in labels:
                extended = prefix + (c,)
                e_blank, e_label = candidates.get(extended, (-math.inf, -math.inf))
                previous = p_blank if c == last else total
                candidates[extended] = (e_blank, _log_add(e_label, previous + row[c]))
        ranked = sorted(candidates.items(), key=lambda item: -_log_add(*item[1]))
        beams = dict(ranked[:beam_width])
    ranked = sorted(beams.items(), key=lambda item: -_log_add(*item[1]))[:top_paths]
    sequences = []
    scores = []
    for prefix, probabilities in ranked:
        merged = [c for i, c in enumerate(prefix) if i == 0 or c != prefix[i - 1]]
        sequences.append(merged)
        scores.append(_log_add(*probabilities))
    while len(sequences) < top_paths:
        sequences.append([])
        scores.append(-math.inf)
    return sequences, scores
