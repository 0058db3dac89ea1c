"""How a PyTorch step takes its batch's rows from the arrays held for a `fit`
(`cornu.backend.torch.steps.take_rows`): a slice of the epoch's order is gathered with
`index_select` from a contiguous array, by indexing otherwise, with the same rows either way."""
import numpy as np

from cornu import backend as K

if K.backend() == 'torch':
    import torch

    from cornu.backend.torch import steps

    def _held():
        rng = np.random.RandomState(0)
        features = rng.randn(50, 3, 2).astype('float32')
        labels = rng.randint(0, 5, size=(50,)).astype('int64')
        return features, labels

    def _counting_index_select(monkeypatch):
        calls = []
        real = steps._index_select

        def counted(*args):
            calls.append(args[0].shape)
            return real(*args)
        monkeypatch.setattr(steps, '_index_select', counted)
        return calls

    def test_rows_of_the_order_are_gathered_with_index_select(monkeypatch):
        features, labels = _held()
        order = np.random.RandomState(1).permutation(50)
        rows = steps.row_order(order)[7:19]
        calls = _counting_index_select(monkeypatch)
        inputs, targets, weights = steps.take_rows(
            ([steps.hold(features, 'float32')], [steps.hold(labels, 'int64'), None], [None]),
            rows)
        assert len(calls) == 2
        np.testing.assert_array_equal(inputs[0].numpy(), features[order[7:19]])
        np.testing.assert_array_equal(targets[0].numpy(), labels[order[7:19]])
        assert targets[1] is None and weights == [None]
        assert inputs[0].is_contiguous()

    def test_a_strided_array_and_other_indices_are_indexed(monkeypatch):
        features, _ = _held()
        strided = torch.from_numpy(features).transpose(1, 2)
        assert not strided.is_contiguous()
        calls = _counting_index_select(monkeypatch)
        rows = torch.tensor([4, 0, 9])
        taken, = steps.take_rows(([strided],), rows)
        assert calls == []
        np.testing.assert_array_equal(taken[0].numpy(), features.transpose(0, 2, 1)[[4, 0, 9]])
        # A boolean mask and 32-bit indices keep the meaning of `a[rows]`.
        mask = torch.zeros(50, dtype=torch.bool)
        mask[[3, 8]] = True
        held = steps.hold(features, 'float32')
        for index, expected in ((mask, features[[3, 8]]),
                                (torch.tensor([2, 1], dtype=torch.int32), features[[2, 1]])):
            taken, = steps.take_rows(([held],), index)
            np.testing.assert_array_equal(taken[0].numpy(), expected)
        assert calls == []

    def test_a_pair_of_bounds_is_a_slice():
        features, _ = _held()
        held = steps.hold(features, 'float32')
        taken, = steps.take_rows(([held],), (5, 9))
        assert taken[0]._base is held
        np.testing.assert_array_equal(taken[0].numpy(), features[5:9])
