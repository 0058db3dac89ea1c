"""Disk I/O utilities, as in Keras 2.2.4's `keras.utils.io_utils`: `HDF5Matrix` (an HDF5
dataset used in place of a NumPy array), the overwrite prompt, and `H5Dict`, the dict-like
view over an HDF5 group (or a plain dict) through which models are saved and pickled.
"""
import pickle
import sys
from collections import defaultdict

import numpy as np


def h5py_module():
    """The `h5py` module, imported at first use rather than with cornu (a program that
    reads or writes no HDF5 file never pays for its import).

    # Returns
        The module, or `None` when h5py is not installed.
    """
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency; kept importable without it
        return None
    return h5py


def is_h5py_group(obj):
    """Whether `obj` is an `h5py.Group` (or `File`); imports nothing: an object can only be
    one if h5py has been imported already."""
    return _is_h5py_instance(obj, 'Group')


def _is_h5py_instance(obj, class_name):
    h5py = sys.modules.get('h5py')
    return h5py is not None and isinstance(obj, getattr(h5py, class_name))

# Largest attribute HDF5 keeps in an object header (64 KB less some room for the header).
HDF5_OBJECT_HEADER_LIMIT = 64512


class HDF5Matrix(object):
    """An HDF5 dataset that can be used where a NumPy array is expected.

    Indexing reads only the rows asked for, so datasets larger than memory can be given to
    `model.fit` (use `shuffle='batch'`: HDF5 reads contiguous rows fastest), `evaluate` and
    `predict`.

    # Example

    ```python
        x_data = HDF5Matrix('input/file.hdf5', 'data')
        model.predict(x_data)
    ```

    # Arguments
        datapath: path to the HDF5 file.
        dataset: name of the dataset in that file.
        start: first row of the dataset to use.
        end: row after the last one to use (`None`: the end of the dataset).
        normalizer: function applied to every block of rows read.

    # Raises
        ImportError: when h5py is not installed.
    """

    # Open files, by path, shared by every HDF5Matrix reading from them.
    refs = defaultdict(int)

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        h5py = h5py_module()
        if h5py is None:
            raise ImportError('The use of HDF5Matrix requires HDF5 and h5py installed.')
        f = self.refs.get(datapath)
        if not isinstance(f, h5py.File) or not f.id.valid:
            f = h5py.File(datapath, 'r')
            self.refs[datapath] = f
        if dataset not in f:
            raise KeyError('HDF5Matrix: no dataset named %r in %s (it holds: %s).'
                           % (dataset, datapath, ', '.join(sorted(f.keys())) or 'nothing'))
        self.data = f[dataset]
        self.start = start
        self.end = self.data.shape[0] if end is None else end
        self.normalizer = normalizer
        first_val = self.data[0:1]
        if self.normalizer is not None:
            first_val = self.normalizer(first_val)
        self._base_shape = first_val.shape[1:]
        self._base_dtype = first_val.dtype

    def __len__(self):
        return self.end - self.start

    def _row(self, key):
        length = len(self)
        if key < 0:
            key += length
        if not 0 <= key < length:
            raise IndexError('Index %d is out of range for an HDF5Matrix of length %d.'
                             % (key, length))
        return key + self.start

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.start, key.stop, key.step
            length = len(self)
            start = 0 if start is None else (start + length if start < 0 else start)
            stop = length if stop is None else (stop + length if stop < 0 else stop)
            if stop > length or start < 0:
                raise IndexError('Slice %s is out of range for an HDF5Matrix of length %d.'
                                 % (key, length))
            data = self.data[slice(start + self.start, max(start, stop) + self.start, step)]
        elif isinstance(key, (int, np.integer)):
            data = self.data[self._row(int(key))]
        else:
            data = self._read_rows(key)
        if self.normalizer is not None:
            return self.normalizer(data)
        return data

    def _read_rows(self, key):
        indices = np.asarray(key)
        if indices.dtype == bool:
            indices = np.flatnonzero(indices)
        if indices.ndim != 1 or (indices.size and not np.issubdtype(indices.dtype, np.integer)):
            raise IndexError('HDF5Matrix indices must be an int, a slice or a 1-D list of '
                             'ints, got %r.' % (key,))
        indices = indices.astype(np.int64)
        length = len(self)
        indices = np.where(indices < 0, indices + length, indices)
        if indices.size and (indices.min() < 0 or indices.max() >= length):
            raise IndexError('Indices out of range for an HDF5Matrix of length %d.' % length)
        rows = indices + self.start
        if rows.size == 0:
            return self.data[0:0]
        if np.all(rows[1:] > rows[:-1]):
            return self.data[rows.tolist()]
        # h5py reads increasing, distinct rows only: read those, then reorder.
        unique, inverse = np.unique(rows, return_inverse=True)
        return self.data[unique.tolist()][inverse]

    @property
    def shape(self):
        """The shape of the rows in use, as a NumPy-style tuple."""
        return (self.end - self.start,) + self._base_shape

    @property
    def dtype(self):
        """The dtype of the data (after the normalizer, if any)."""
        return self._base_dtype

    @property
    def ndim(self):
        """The number of dimensions (rank) of the dataset."""
        return self.data.ndim

    @property
    def size(self):
        """The number of elements in the rows in use."""
        return np.prod(self.shape)


def ask_to_proceed_with_overwrite(filepath):
    """Asks on the terminal whether to overwrite an existing file.

    # Arguments
        filepath: the path of the file that would be overwritten.

    # Returns
        True to go ahead, False otherwise.
    """
    overwrite = input('[WARNING] %s already exists - overwrite? [y/n]'
                      % (filepath,)).strip().lower()
    while overwrite not in ('y', 'n'):
        overwrite = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if overwrite == 'n':
        return False
    print('[TIP] Next time specify overwrite=True!')
    return True


def _is_numpy(value):
    return type(value).__module__ == np.__name__


def _read_attribute(attrs, name):
    """Reads an attribute; variable-length ASCII strings (how h5py 3 stores Python bytes)
    come back as bytes, as they went in, rather than as str."""
    val = attrs[name]
    info = h5py_module().check_string_dtype(attrs.get_id(name).dtype)
    if info is None or info.length is not None or info.encoding != 'ascii':
        return val
    if isinstance(val, str):
        return val.encode('utf-8', 'surrogateescape')
    if isinstance(val, np.ndarray) and val.dtype == object:
        return [x.encode('utf-8', 'surrogateescape') if isinstance(x, str) else x
                for x in val.ravel()]
    return val


def _chunk_name(name, chunk_id):
    if isinstance(name, bytes):
        name = name.decode('utf-8')
    return '%s%d' % (name, chunk_id)


class H5Dict(object):
    """A dict-like view over an h5py group, an HDF5 file, or a plain `dict`.

    Model saving writes through it, so one serialization code path fills an HDF5 file
    (`model.save`) or a dictionary (pickling a model). Keys holding NumPy values become
    datasets; other values become attributes; reading a missing key creates (and returns) a
    sub-group, as Keras 2's `H5Dict` does. Lists of strings too large for an HDF5 object
    header (64 KB: e.g. `layer_names` of very deep models) are split over attributes
    `<name>0`, `<name>1`, ..., the layout Keras 2 writes and reads; reading `<name>` joins
    them again.

    # Arguments
        path: an `h5py.Group` (or `File`), a path to an HDF5 file, or a `dict`.
        mode: file mode when `path` is a file path; `'r'` also makes the view read-only.

    # Raises
        TypeError: for any other kind of `path`.
    """

    def __init__(self, path, mode='a'):
        if is_h5py_group(path):
            self.data = path
            self._is_file = False
        elif isinstance(path, str):
            h5py = h5py_module()
            if h5py is None:
                raise ImportError('H5Dict needs h5py to open HDF5 files.')
            self.data = h5py.File(path, mode=mode)
            self._is_file = True
        elif isinstance(path, dict):
            self.data = path
            self._is_file = False
            # Tells sub-groups apart from dictionaries stored as user values.
            self.data['_is_group'] = True
        else:
            raise TypeError('Required Group, str or dict. Received: {}.'.format(type(path)))
        self.read_only = mode == 'r'

    # -- writing -----------------------------------------------------------------------------

    def __setitem__(self, attr, val):
        if self.read_only:
            raise ValueError('Cannot set item in read only mode.')
        is_np = _is_numpy(val)
        if isinstance(self.data, dict):
            if isinstance(attr, bytes):
                attr = attr.decode('utf-8')
            if is_np:
                self.data[attr] = pickle.dumps(val)
                self.data['_{}_pickled'.format(attr)] = True
            else:
                self.data[attr] = val
            return
        if attr in self.data:
            raise KeyError('Cannot set attribute. Group with name "{}" exists.'.format(attr))
        if is_np:
            dataset = self.data.create_dataset(attr, val.shape, dtype=val.dtype)
            if not val.shape:
                dataset[()] = val
            else:
                dataset[:] = val
        elif isinstance(val, list):
            self._set_list_attribute(attr, val)
        elif isinstance(val, bytes) and len(val) <= HDF5_OBJECT_HEADER_LIMIT:
            # A fixed-length string, as h5py 2 wrote bytes for Keras 2: files stay loadable
            # there. (h5py 3 would write a variable-length one.)
            self.data.attrs[attr] = np.bytes_(val)
        else:
            self.data.attrs[attr] = val

    def _set_list_attribute(self, attr, val):
        too_big = [x for x in val if len(x) > HDF5_OBJECT_HEADER_LIMIT]
        if too_big:
            raise RuntimeError('The following attributes cannot be saved to HDF5 file '
                               'because they are larger than %d bytes: %s'
                               % (HDF5_OBJECT_HEADER_LIMIT,
                                  ', '.join(str(x)[:80] for x in too_big)))
        if val and isinstance(val[0], str):
            val = [x.encode('utf-8') for x in val]
        data_npy = np.asarray(val)
        num_chunks = 1
        chunks = np.array_split(data_npy, num_chunks)
        while any(chunk.nbytes > HDF5_OBJECT_HEADER_LIMIT for chunk in chunks):
            num_chunks += 1
            chunks = np.array_split(data_npy, num_chunks)
        # Drop what an earlier write of the same name left (whole or chunked).
        self._delete_attribute(attr)
        if num_chunks > 1:
            for chunk_id, chunk in enumerate(chunks):
                self.data.attrs[_chunk_name(attr, chunk_id)] = chunk
        else:
            self.data.attrs[attr] = data_npy if data_npy.size else val

    def _delete_attribute(self, attr):
        attrs = self.data.attrs
        if attr in attrs:
            del attrs[attr]
        chunk_id = 0
        while _chunk_name(attr, chunk_id) in attrs:
            del attrs[_chunk_name(attr, chunk_id)]
            chunk_id += 1

    # -- reading -----------------------------------------------------------------------------

    def _is_chunked(self, attr):
        return _chunk_name(attr, 0) in self.data.attrs

    def __getitem__(self, attr):
        if isinstance(self.data, dict):
            if isinstance(attr, bytes):
                attr = attr.decode('utf-8')
            if attr in self.data:
                val = self.data[attr]
                if isinstance(val, dict) and val.get('_is_group'):
                    return H5Dict(val, mode='r' if self.read_only else 'a')
                if '_{}_pickled'.format(attr) in self.data:
                    return pickle.loads(val)
                return val
            if self.read_only:
                raise ValueError('Cannot create group in read only mode.')
            val = {'_is_group': True}
            self.data[attr] = val
            return H5Dict(val)

        if attr in self.data.attrs:
            val = _read_attribute(self.data.attrs, attr)
            if _is_numpy(val):
                if val.dtype.type == np.bytes_:
                    return val.tolist()
                if val.ndim == 1 and val.size == 0:
                    return []  # an empty name list (e.g. `weight_names` of a Flatten layer)
            return val
        if attr in self.data:
            val = self.data[attr]
            if _is_h5py_instance(val, 'Dataset'):
                return np.asarray(val)
            return H5Dict(val, mode='r' if self.read_only else 'a')
        if self._is_chunked(attr):
            val = []
            chunk_id = 0
            while _chunk_name(attr, chunk_id) in self.data.attrs:
                chunk = _read_attribute(self.data.attrs, _chunk_name(attr, chunk_id))
                val.extend(chunk.tolist() if isinstance(chunk, np.ndarray) else chunk)
                chunk_id += 1
            return val
        if self.read_only:
            raise ValueError('Cannot create group in read only mode.')
        return H5Dict(self.data.create_group(attr))

    def __contains__(self, key):
        if isinstance(self.data, dict):
            if isinstance(key, bytes):
                key = key.decode('utf-8')
            return key in self.data
        return key in self.data or key in self.data.attrs or self._is_chunked(key)

    def get(self, key, default=None):
        """Returns `self[key]` if `key` is present, else `default` (nothing is created)."""
        if key in self:
            return self[key]
        return default

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return iter(self.data)

    def iter(self):
        """Iterates over the names in the group (sub-groups and datasets; for a dict,
        its keys)."""
        return iter(self.data)

    def __getattr__(self, attr):
        # Everything else (`attrs`, `keys`, `items`, `file`, ...) comes from the wrapped
        # object; results of the same kind (a group, a dict) are wrapped again.
        if attr in ('data', '_is_file', 'read_only') or attr.startswith('__'):
            raise AttributeError(attr)
        member = getattr(self.data, attr)
        if not callable(member):
            return member

        def wrapped(*args, **kwargs):
            out = member(*args, **kwargs)
            if isinstance(out, type(self.data)):
                return H5Dict(out)
            return out
        return wrapped

    def update(self, *args, **kwargs):
        """Updates a dict-backed H5Dict like `dict.update`.

        # Raises
            NotImplementedError: for an HDF5-backed one.
        """
        if isinstance(self.data, dict):
            self.data.update(*args, **kwargs)
            return
        raise NotImplementedError('update() is only supported on dict-backed H5Dicts.')

    def close(self):
        """Flushes the HDF5 file, and closes it if this H5Dict opened it."""
        if is_h5py_group(self.data):
            if not self.data.id.valid:
                return
            self.data.file.flush()
            if self._is_file:
                self.data.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


h5dict = H5Dict
