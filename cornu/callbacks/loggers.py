"""Callbacks that record or report the logged values: `BaseLogger`, `History`,
`ProgbarLogger`, `CSVLogger` and `RemoteMonitor`.

The per-batch values may be engine tensors still on the device (see `cornu.callbacks.logs`).
`BaseLogger` and `ProgbarLogger` sum them there and read them back only when a number is
needed: at the end of the epoch, or when the progress bar is redrawn.
"""
import csv
import io
import json
import os
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from .logs import alias_of, to_python
from .._common.generic_utils import Progbar
from .base import Callback, LazyWeightedSum, results

# The `requests` module, imported when a RemoteMonitor first posts rather than with cornu
# (it takes ~0.2 s to import); `None` when it is not installed (or set to None to make the
# standard library do the POST).
_NOT_IMPORTED = object()
requests = _NOT_IMPORTED


def _requests_module():
    global requests
    if requests is _NOT_IMPORTED:
        try:
            import requests as module
        except ImportError:  # the standard library does the POST instead
            module = None
        requests = module
    return requests

# Keys of the batch logs that describe the batch instead of measuring the model.
_BATCH_KEYS = frozenset(['batch', 'size'])


class BaseLogger(Callback):
    """Callback that accumulates epoch averages of metrics.

    This callback is automatically applied to every Keras model.

    # Arguments
        stateful_metrics: iterable of names of metrics that are *not* averaged over the
            epoch: the value of the last batch is reported as is. Others are averaged,
            weighted by the batch sizes.
    """

    def __init__(self, stateful_metrics=None):
        super(BaseLogger, self).__init__()
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        # Name -> LazyWeightedSum of value * batch size; stateful metrics: the last value.
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        # dict.get reads the stored value: for `Logs`, the engine tensor, unconverted.
        batch_size = dict.get(logs, 'size', 0)
        self.seen += batch_size
        totals = self.totals
        for key, value in dict.items(logs):
            if key in _BATCH_KEYS:
                continue
            if key in self.stateful_metrics:
                totals[key] = value
            else:
                total = totals.get(key)
                if total is None:
                    total = totals[key] = LazyWeightedSum()
                total.add(value, batch_size)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        averaged = [key for key in self.params['metrics']
                    if key in self.totals and key not in self.stateful_metrics]
        # Make the epoch values available to the callbacks that come next; the averaged
        # ones are read from the device together.
        for key, total in zip(averaged, results([self.totals[key] for key in averaged])):
            logs[key] = total / self.seen
        for key in self.params['metrics']:
            if key in self.totals and key in self.stateful_metrics:
                logs[key] = to_python(self.totals[key])


class HistoryDict(dict):
    """`History.history`: a dict that also answers `accuracy` for `acc` and vice versa.

    Its keys are the names logged by the model (`acc`, `val_acc` in Keras 2.2.4 style);
    scripts written for later Keras versions may still read `history['val_accuracy']`.
    """

    def _stored_key(self, key):
        if not dict.__contains__(self, key):
            other = alias_of(key)
            if other is not None and dict.__contains__(self, other):
                return other
        return key

    def __getitem__(self, key):
        return dict.__getitem__(self, self._stored_key(key))

    def __contains__(self, key):
        return dict.__contains__(self, self._stored_key(key))

    def get(self, key, default=None):
        return dict.get(self, self._stored_key(key), default)

    def setdefault(self, key, default=None):
        return dict.setdefault(self, self._stored_key(key), default)


class History(Callback):
    """Callback that records events into a `History` object.

    This callback is automatically applied to every Keras model. The `History` object is
    returned by the `fit` method of models; its `history` attribute maps each logged name to
    the list of its values, one per epoch, and `epoch` lists the epoch indices.
    """

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = HistoryDict()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


class ProgbarLogger(Callback):
    """Callback that prints metrics to stdout.

    # Arguments
        count_mode: one of `"steps"` or `"samples"`: whether the progress bar counts
            samples seen or steps (batches) seen.
        stateful_metrics: iterable of names of metrics that are *not* averaged over the
            epoch: they are shown as logged. Others are averaged over the batches seen.

    # Raises
        ValueError: in case of invalid `count_mode`.
    """

    _chief_only = True

    def __init__(self, count_mode='samples', stateful_metrics=None):
        super(ProgbarLogger, self).__init__()
        if count_mode == 'samples':
            self.use_steps = False
        elif count_mode == 'steps':
            self.use_steps = True
        else:
            raise ValueError('Unknown `count_mode`: ' + str(count_mode))
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.verbose = 1
        self.target = None
        self.seen = 0
        self.log_values = []

    def on_train_begin(self, logs=None):
        self.verbose = self.params['verbose']
        self.epochs = self.params['epochs']

    def on_epoch_begin(self, epoch, logs=None):
        self.target = self.params['steps'] if self.use_steps else self.params['samples']
        if self.verbose:
            print('Epoch %d/%d' % (epoch + 1, self.epochs))
            self.progbar = Progbar(target=self.target, verbose=self.verbose,
                                   stateful_metrics=self.stateful_metrics)
        self.seen = 0
        self.log_values = []
        # The progress bar's running sums, kept here as `[sum, count]` in the order the
        # names were first logged; they may be engine tensors until the bar is drawn.
        self._sums = OrderedDict()
        self._summed_up_to = 0
        self._last_draw = 0.

    def _before_target(self):
        return self.target is None or self.seen < self.target

    def on_batch_begin(self, batch, logs=None):
        if self._before_target():
            self.log_values = []

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.seen += 1 if self.use_steps else dict.get(logs, 'size', 0)
        # dict methods read the stored values: for `Logs`, the engine tensors, unconverted.
        logged = dict.keys(logs)
        for key in self.params['metrics']:
            if key in logged:
                self.log_values.append((key, dict.__getitem__(logs, key)))
        # The last batch is drawn by on_epoch_end, with the epoch's values.
        if self.verbose and self._before_target():
            self._add(self.log_values)
            if self._may_draw:
                self._draw_if_due()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key in self.params['metrics']:
            if key in logs:
                self.log_values.append((key, logs[key]))
        if self.verbose:
            # As in Keras 2.2.4, the final bar adds the last batch's values *and* the epoch
            # values over the last batch's steps. Counting samples, the two cancel out and
            # the bar shows the epoch averages; counting steps, it shows Keras 2.2.4's
            # slightly different numbers.
            self._add(self.log_values)
            self._draw()

    def _add(self, values):
        """Adds `(name, value)` pairs as `Progbar.update` would, without reading them."""
        steps = self.seen - self._summed_up_to
        sums = self._sums
        for name, value in values:
            if name in self.stateful_metrics:
                sums[name] = [value, 1]
                continue
            entry = sums.get(name)
            if entry is None or not isinstance(entry[0], LazyWeightedSum):
                entry = sums[name] = [LazyWeightedSum(), 0]
            entry[0].add(value, steps)
            entry[1] += steps
        self._summed_up_to = self.seen

    @property
    def _may_draw(self):
        # Only a terminal shows intermediate bars: elsewhere the progress bar prints the
        # final line alone, so nothing needs to be read until the epoch ends.
        return self.verbose == 1 and getattr(self.progbar, '_dynamic_display', True)

    def _draw_if_due(self):
        if time.time() - self._last_draw >= self.progbar.interval:
            self._draw()

    def _draw(self):
        # The running sums are read from the device together: one wait per refresh.
        summed = [name for name, (total, _) in self._sums.items()
                  if isinstance(total, LazyWeightedSum)]
        read = dict(zip(summed, results([self._sums[name][0] for name in summed])))
        averages = []
        for name, (total, count) in self._sums.items():
            total = read[name] if name in read else total
            averages.append((name, float(np.mean(to_python(total) / max(1, count)))))
        # The values given are already averaged: the bar shows them as they are.
        self.progbar.stateful_metrics.update(name for name, _ in averages)
        self.progbar.update(self.seen, averages)
        self._last_draw = time.time()


class CSVLogger(Callback):
    """Callback that streams epoch results to a CSV file.

    Supports all values that can be represented as a string, including 1D iterables such
    as NumPy arrays.

    # Example

    ```python
    csv_logger = CSVLogger('training.log')
    model.fit(X_train, Y_train, callbacks=[csv_logger])
    ```

    # Arguments
        filename: name of the CSV file, e.g. `'run/log.csv'`.
        separator: string used to separate elements in the CSV file.
        append: True: append if the file exists (useful for continuing training).
            False: overwrite the existing file.
    """

    _chief_only = True

    def __init__(self, filename, separator=',', append=False):
        self.sep = separator
        self.filename = filename
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.file_flags = ''
        self._open_args = {'newline': '\n'}
        super(CSVLogger, self).__init__()

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, 'r' + self.file_flags) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = 'a'
        else:
            mode = 'w'
        self.csv_file = io.open(self.filename, mode + self.file_flags, **self._open_args)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(value):
            is_zero_dim_ndarray = isinstance(value, np.ndarray) and value.ndim == 0
            if isinstance(value, str):
                return value
            if isinstance(value, Iterable) and not is_zero_dim_ndarray:
                return '"[%s]"' % (', '.join(map(str, value)))
            return value

        if self.keys is None:
            self.keys = sorted(logs.keys())

        if self.model.stop_training:
            # Validation is skipped when training stops mid-epoch: 'NA' keeps the row the
            # width of the header, so CSV readers do not fail on the last line.
            logs = dict((k, logs[k]) if k in logs else (k, 'NA') for k in self.keys)

        if not self.writer:
            class CustomDialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=['epoch'] + self.keys,
                                         dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()

        row_dict = OrderedDict({'epoch': epoch})
        row_dict.update((key, handle_value(logs[key])) for key in self.keys)
        self.writer.writerow(row_dict)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self.csv_file.close()
        self.writer = None


class RemoteMonitor(Callback):
    """Callback used to stream events to a server.

    Events are sent to `root + path` (by default `http://localhost:9000/publish/epoch/end/`)
    with an HTTP POST: by default a form whose `field` holds the JSON-encoded dictionary of
    event data; with `send_as_json=True`, the dictionary itself as an `application/json`
    body. The `requests` package is used when installed, else the standard library.

    # Arguments
        root: string; root URL of the target server.
        path: string; path relative to `root` to which the events will be sent.
        field: string; form field under which the data is stored (ignored when
            `send_as_json` is True).
        headers: dictionary; optional custom HTTP headers.
        send_as_json: boolean; whether the request is sent as `application/json`.
    """

    _chief_only = True

    # Seconds to wait for the server; `None` waits as long as the system allows.
    timeout = None

    def __init__(self, root='http://localhost:9000', path='/publish/epoch/end/', field='data',
                 headers=None, send_as_json=False):
        super(RemoteMonitor, self).__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        send = {'epoch': epoch}
        for key, value in logs.items():
            value = to_python(value)
            if isinstance(value, (np.ndarray, np.generic)):
                value = value.item() if value.size == 1 else value.tolist()
            send[key] = value
        url = self.root + self.path
        module = _requests_module()
        if module is not None:
            self._post_with_requests(module, url, send)
        else:
            self._post_with_urllib(url, send)

    def _unreachable(self):
        warnings.warn('Warning: could not reach RemoteMonitor root server at ' +
                      str(self.root))

    def _post_with_requests(self, requests, url, send):
        try:
            if self.send_as_json:
                requests.post(url, json=send, headers=self.headers, timeout=self.timeout)
            else:
                requests.post(url, {self.field: json.dumps(send)}, headers=self.headers,
                              timeout=self.timeout)
        except requests.exceptions.RequestException:
            self._unreachable()

    def _post_with_urllib(self, url, send):
        import http.client
        import urllib.error
        import urllib.parse
        import urllib.request
        if self.send_as_json:
            body = json.dumps(send).encode('utf-8')
            content_type = 'application/json'
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode('utf-8')
            content_type = 'application/x-www-form-urlencoded'
        headers = {'Content-Type': content_type}
        headers.update(self.headers or {})
        request = urllib.request.Request(url, data=body, headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered: like `requests`, an error status is not reported
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
            self._unreachable()
