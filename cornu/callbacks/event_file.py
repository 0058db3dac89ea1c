"""TensorBoard event files, written without TensorFlow.

An event file is a sequence of TFRecords, each holding one serialized `Event` protocol
buffer. A record is framed as

    uint64 length | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)

(little-endian). The few protocol buffer messages needed here (`Event`, `Summary`,
`Summary.Value`, `HistogramProto`) are encoded by hand, from their field numbers in
TensorFlow's `event.proto` and `summary.proto`.
"""
import os
import socket
import struct
import time

import numpy as np

# --- crc32c (Castagnoli), as TFRecord framing requires -------------------------------------

_CRC32C_POLY = 0x82F63B78  # reversed 0x1EDC6F41


def _crc32c_table():
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC32C_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    """The CRC-32C checksum of `data` (bytes)."""
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: rotated right by 15 bits, plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """`data` framed as one TFRecord."""
    header = struct.pack('<Q', len(data))
    return (header + struct.pack('<I', masked_crc32c(header)) + data +
            struct.pack('<I', masked_crc32c(data)))


# --- protocol buffer wire format --------------------------------------------------------------

def _varint(value):
    if value < 0:
        value += 1 << 64  # int64 fields: two's complement, ten bytes
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _int_field(field, value):
    return _key(field, 0) + _varint(int(value))


def _double_field(field, value):
    return _key(field, 1) + struct.pack('<d', float(value))


def _float_field(field, value):
    return _key(field, 5) + struct.pack('<f', float(value))


def _bytes_field(field, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    return _key(field, 2) + _varint(len(data)) + data


def _packed_doubles_field(field, values):
    return _bytes_field(field, np.asarray(values, dtype='<f8').tobytes())


# tensorflow/core/util/event.proto: Event
_EVENT_WALL_TIME, _EVENT_STEP, _EVENT_FILE_VERSION, _EVENT_SUMMARY = 1, 2, 3, 5
# tensorflow/core/framework/summary.proto: Summary, Summary.Value, HistogramProto
_SUMMARY_VALUE = 1
_VALUE_TAG, _VALUE_SIMPLE_VALUE, _VALUE_HISTO = 1, 2, 5
(_HISTO_MIN, _HISTO_MAX, _HISTO_NUM, _HISTO_SUM, _HISTO_SUM_SQUARES, _HISTO_BUCKET_LIMIT,
 _HISTO_BUCKET) = range(1, 8)


def event(wall_time, step=0, file_version=None, summary=None):
    """A serialized `Event`."""
    data = _double_field(_EVENT_WALL_TIME, wall_time)
    if step:
        data += _int_field(_EVENT_STEP, step)
    if file_version is not None:
        data += _bytes_field(_EVENT_FILE_VERSION, file_version)
    if summary is not None:
        data += _bytes_field(_EVENT_SUMMARY, summary)
    return data


def scalar_summary(tag, value):
    """A serialized `Summary` holding one `simple_value`."""
    value = _bytes_field(_VALUE_TAG, tag) + _float_field(_VALUE_SIMPLE_VALUE, value)
    return _bytes_field(_SUMMARY_VALUE, value)


def _default_bucket_limits():
    # TensorFlow's default histogram buckets: limits growing by 10% from 1e-12 to 1e20,
    # mirrored for negative values, with 0 and +-DBL_MAX.
    positive = []
    limit = 1.0e-12
    while limit < 1.0e20:
        positive.append(limit)
        limit *= 1.1
    positive.append(np.finfo(np.float64).max)
    negative = [-x for x in reversed(positive)]
    return np.array(negative + [0.0] + positive, dtype=np.float64)


_BUCKET_LIMITS = None


def histogram_proto(values):
    """A serialized `HistogramProto` of `values`, bucketed as TensorFlow does.

    Non-finite values are left out (TensorFlow refuses them).
    """
    global _BUCKET_LIMITS
    if _BUCKET_LIMITS is None:
        _BUCKET_LIMITS = _default_bucket_limits()
    limits = _BUCKET_LIMITS
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    # Bucket i counts the values in [limits[i - 1], limits[i]).
    index = np.minimum(np.searchsorted(limits, values, side='right'), len(limits) - 1)
    counts = np.bincount(index, minlength=len(limits)).astype(np.float64)
    # Runs of empty buckets collapse into one entry ending at the run's last limit.
    nonempty = counts > 0
    run_end = np.zeros(len(limits), dtype=bool)
    run_end[:-1] = nonempty[:-1] | nonempty[1:]
    run_end[-1] = True
    keep = nonempty | run_end
    bucket_limit, bucket = limits[keep], counts[keep]
    if values.size:
        low, high = values.min(), values.max()
    else:
        low, high = limits[-1], -limits[-1]
    data = (_double_field(_HISTO_MIN, low) + _double_field(_HISTO_MAX, high) +
            _double_field(_HISTO_NUM, values.size) +
            _double_field(_HISTO_SUM, values.sum()) +
            _double_field(_HISTO_SUM_SQUARES, np.dot(values, values)) +
            _packed_doubles_field(_HISTO_BUCKET_LIMIT, bucket_limit) +
            _packed_doubles_field(_HISTO_BUCKET, bucket))
    return data


def histogram_summary(tag, values):
    """A serialized `Summary` holding one histogram."""
    value = _bytes_field(_VALUE_TAG, tag) + _bytes_field(_VALUE_HISTO, histogram_proto(values))
    return _bytes_field(_SUMMARY_VALUE, value)


class EventFileWriter(object):
    """Writes `Event` records to `<log_dir>/events.out.tfevents.<time>.<host>`.

    # Arguments
        log_dir: directory of the event file, created if needed.
    """

    def __init__(self, log_dir):
        self.log_dir = log_dir
        if not os.path.isdir(log_dir):
            os.makedirs(log_dir)
        now = time.time()
        base = os.path.join(log_dir, 'events.out.tfevents.%010d.%s' % (int(now),
                                                                        socket.gethostname()))
        path, n = base, 0
        while os.path.exists(path):  # two writers within one second: keep both files
            n += 1
            path = '%s.%d' % (base, n)
        self.path = path
        self._file = open(path, 'wb')
        self.add_event(event(now, file_version='brain.Event:2'))
        self.flush()

    @property
    def closed(self):
        return self._file.closed

    def add_event(self, serialized_event):
        self._file.write(tfrecord(serialized_event))

    def add_summary(self, summary, step):
        """Writes a serialized `Summary` as an event at `step`."""
        self.add_event(event(time.time(), step=int(step), summary=summary))

    def flush(self):
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()
