"""TensorFlow 1's stateful random kernels, reproduced with NumPy.

Keras 2's TensorFlow backend gave every random op an op seed (drawn from NumPy's global
generator when none was given) and TensorFlow paired it with its default graph seed. The
kernels then ran Philox4x32-10 keyed by the graph seed, with the op seed in the counter's upper
64 bits and the block index in its lower 64 bits, and turned each 128-bit block (four 32-bit
words) into floats. These functions give the same floats, so a Keras 2 script that called
`np.random.seed(...)` gets the initial weights it got with TensorFlow.

Facts used (TensorFlow's `PhiloxRandom`, `UniformDistribution`, `NormalDistribution`,
`TruncatedNormalDistribution` and `FillPhiloxRandom`):
- a float32 in [0, 1) is a word's low 23 bits as the mantissa of a float in [1, 2), minus 1;
  a float64 takes 20 bits of one word and all of the next the same way;
- float32 normals are Box-Muller on pairs of words; float64 ones on pairs of word pairs;
- truncated normals fill groups of outputs (4 float32, 2 float64), each group from its own
  stretch of 256 words, keeping the Box-Muller values under 2 in magnitude, in order.
"""
import numpy as np

__all__ = ['GRAPH_SEED', 'op_seed', 'words', 'uniform', 'standard_normal',
           'truncated_standard_normal']

# TensorFlow's graph seed when none was set, which Keras 2 never did.
GRAPH_SEED = 87654321
# TensorFlow reduced op seeds modulo this before using them.
_MAX_INT32 = 2 ** 31 - 1
# Words of generator stretch reserved per truncated-normal output (TensorFlow's constant).
_RESERVED_WORDS_PER_OUTPUT = 256

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_LOW = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def op_seed(seed):
    """The second Philox seed TensorFlow derives from an op seed `seed` (an int)."""
    return int(seed) % _MAX_INT32


def words(blocks, seed2, seed=GRAPH_SEED):
    """Philox4x32-10 output for the counter values `blocks`.

    # Arguments
        blocks: 1-D array of non-negative ints, the counters' lower 64 bits.
        seed2: the op's seed (the counters' upper 64 bits).
        seed: the key (the graph seed).

    # Returns
        A uint32 array of shape `(len(blocks), 4)`.
    """
    blocks = np.asarray(blocks, dtype=np.uint64)
    key0, key1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    # Each 32-bit word held in a uint64, so that one multiply gives the 64-bit product.
    c0 = blocks & _LOW
    c1 = blocks >> _32
    c2 = np.full(blocks.shape, seed2 & 0xFFFFFFFF, np.uint64)
    c3 = np.full(blocks.shape, (seed2 >> 32) & 0xFFFFFFFF, np.uint64)
    p0, p1 = np.empty_like(c0), np.empty_like(c0)
    # Ten rounds, in place (a third fewer CPU cycles than building new arrays):
    # (c0, c1, c2, c3) <- (hi(p1) ^ c1 ^ key0, lo(p1), hi(p0) ^ c3 ^ key1, lo(p0)).
    for _ in range(10):
        np.multiply(c0, _M0, out=p0)
        np.multiply(c2, _M1, out=p1)
        np.right_shift(p1, _32, out=c0)
        c0 ^= c1
        c0 ^= np.uint64(key0)
        np.bitwise_and(p1, _LOW, out=c1)
        np.right_shift(p0, _32, out=c2)
        c2 ^= c3
        c2 ^= np.uint64(key1)
        np.bitwise_and(p0, _LOW, out=c3)
        key0, key1 = (key0 + _W0) & 0xFFFFFFFF, (key1 + _W1) & 0xFFFFFFFF
    out = np.empty(blocks.shape + (4,), np.uint32)
    for i, word in enumerate((c0, c1, c2, c3)):
        out[..., i] = word
    return out


def _float32s(w):
    """Floats in [0, 1) from uint32 words, as TensorFlow makes them."""
    return ((w & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1.)


def _float64s(high, low):
    """Floats in [0, 1) from pairs of uint32 words, as TensorFlow makes them."""
    bits = ((high.astype(np.uint64) & np.uint64(0xFFFFF)) << _32) | low.astype(np.uint64)
    return (bits | np.uint64(1023 << 52)).view(np.float64) - 1.


def uniform(size, seed2, dtype):
    """`size` floats in [0, 1) (float32 or float64 `dtype`), as TensorFlow's `RandomUniform`."""
    if dtype == np.float64:
        w = words(np.arange((size + 1) // 2), seed2).reshape(-1, 2)
        return _float64s(w[:, 0], w[:, 1])[:size]
    return _float32s(words(np.arange((size + 3) // 4), seed2).reshape(-1))[:size]


def _box_muller32(w):
    """Box-Muller on uint32 words of shape `(n, 4)`: 4 float32 normals per row, in
    TensorFlow's order (both values of the first pair of words, then of the second)."""
    u1 = np.maximum(_float32s(w[:, 0::2]), np.float32(1e-7))
    # TensorFlow scales by 2 * M_PI in double precision and rounds the angle to float32.
    angle = (2. * np.pi * _float32s(w[:, 1::2]).astype(np.float64)).astype(np.float32)
    # log, sin and cos in float64 rounded to float32: the correctly rounded float32 values.
    radius = np.sqrt(np.float32(-2.) * np.log(u1.astype(np.float64)).astype(np.float32))
    angle = angle.astype(np.float64)
    out = np.empty(w.shape, np.float32)
    out[:, 0::2] = np.sin(angle).astype(np.float32) * radius
    out[:, 1::2] = np.cos(angle).astype(np.float32) * radius
    return out


def _box_muller64(w):
    """Box-Muller on uint32 words of shape `(n, 4)`: 2 float64 normals per row."""
    u1 = np.maximum(_float64s(w[:, 0], w[:, 1]), 1e-7)
    angle = 2. * np.pi * _float64s(w[:, 2], w[:, 3])
    radius = np.sqrt(-2. * np.log(u1))
    return np.stack([np.sin(angle) * radius, np.cos(angle) * radius], axis=1)


def standard_normal(size, seed2, dtype):
    """`size` normal floats (float32 or float64 `dtype`), as TensorFlow's
    `RandomStandardNormal`."""
    per_block = 2 if dtype == np.float64 else 4
    w = words(np.arange((size + per_block - 1) // per_block), seed2)
    box_muller = _box_muller64 if dtype == np.float64 else _box_muller32
    return box_muller(w).reshape(-1)[:size]


def truncated_standard_normal(size, seed2, dtype):
    """`size` normal floats under 2 in magnitude (float32 or float64 `dtype`), as
    TensorFlow's `TruncatedNormal`."""
    wide = dtype == np.float64
    group = 2 if wide else 4  # outputs per group; also Box-Muller values per Philox block
    box_muller = _box_muller64 if wide else _box_muller32
    stride = group * _RESERVED_WORDS_PER_OUTPUT // 4  # blocks between groups' stretches
    groups = (size + group - 1) // group
    out = np.empty((groups, group), np.float64 if wide else np.float32)
    filled = np.zeros(groups, np.int64)
    pending = np.arange(groups)
    block = 0
    # Each round draws the next block of every unfilled group; ~80% of groups fill in one.
    while pending.size:
        candidates = box_muller(words(pending * stride + block, seed2))
        for column in range(group):
            value = candidates[:, column]
            take = (np.abs(value) < 2.) & (filled[pending] < group)
            rows = pending[take]
            out[rows, filled[rows]] = value[take]
            filled[rows] += 1
        pending = pending[filled[pending] < group]
        block += 1
    return out.reshape(-1)[:size]
