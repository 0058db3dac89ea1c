"""The pieces of data-parallel training, in one process: how a batch is shared out, the
collectives alone, the sharded Sequence, and (PyTorch) the bucketed gradient reducer."""
import numpy as np
import pytest

import cornu
from cornu import backend as K
from cornu.backend import distributed
from cornu.engine import process_group
from cornu.utils import Sequence


def _process(rank, world_size):
    parallel = process_group.ProcessGroup.__new__(process_group.ProcessGroup)
    parallel.rank, parallel.world_size = rank, world_size
    return parallel


def test_a_lone_process_is_rank_0_of_1_and_changes_nothing():
    assert (cornu.distribute.rank(), cornu.distribute.world_size(),
            cornu.distribute.local_rank(), cornu.distribute.is_chief()) == (0, 1, 0, True)
    assert process_group.current() is None
    cornu.distribute.initialize()  # nothing to join
    array = np.arange(6.).reshape(3, 2)
    for collective in (distributed.all_reduce_sum, distributed.broadcast,
                       distributed.all_gather):
        np.testing.assert_array_equal(collective(array), array)
    distributed.barrier()


def test_a_global_batch_is_split_contiguously_and_weighted_by_rows():
    # 7 rows over 3 processes: 3, 2, 2 (the first processes take the extra rows).
    shares = [_process(rank, 3).local_index((10, 17)) for rank in range(3)]
    assert shares == [((10, 13), 3 / 7), ((13, 15), 2 / 7), ((15, 17), 2 / 7)]
    order = np.array([5, 3, 9, 1, 0])
    index, share = _process(1, 2).local_index(order)
    np.testing.assert_array_equal(index, [1, 0])
    assert share == 2 / 5


def test_a_process_without_rows_runs_one_row_with_weight_zero():
    assert _process(1, 2).local_index((40, 41)) == ((40, 41), 0.)
    index, share = _process(1, 2).local_index(np.array([7]))
    np.testing.assert_array_equal(index, [7])
    assert share == 0.


@pytest.mark.skipif(K.backend() != 'torch', reason='the loops run data-parallel on torch; '
                    'a JAX step reads the run context once, when it is traced')
def test_a_process_without_rows_leaves_batch_normalization_statistics_alone():
    from cornu.layers import BatchNormalization, Dense
    from cornu.models import Sequential
    model = Sequential([Dense(4, input_shape=(3,)), BatchNormalization()])
    model.compile('sgd', 'mse')
    x = np.random.normal(size=(5, 3)).astype('float32')
    y = np.random.normal(size=(5, 4)).astype('float32')
    before = K.batch_get_value(model.layers[1].non_trainable_weights)
    with process_group.step_scope(0.):
        model.train_on_batch(x, y)
    for value, now in zip(before, K.batch_get_value(model.layers[1].non_trainable_weights)):
        np.testing.assert_array_equal(now, value)
    with process_group.step_scope(0.5):
        model.train_on_batch(x, y)
    moved = K.batch_get_value(model.layers[1].non_trainable_weights)
    assert not np.allclose(moved[0], before[0])


def test_batch_size_must_be_divisible_by_the_world_size():
    with pytest.raises(ValueError, match='batch_size=30.*world size 4'):
        _process(0, 4).check_batch_size(30)
    _process(0, 4).check_batch_size(32)


def test_weights_travel_packed_by_dtype_and_come_back_in_shape():
    values = [np.ones((2, 3), 'float32'), np.arange(4, dtype='int64'),
              np.full((5,), 2., 'float32')]
    packed = process_group._packed(values)
    assert len(packed) == 2
    for back, value in zip(process_group._unpacked(packed, values), values):
        np.testing.assert_array_equal(back, value)
        assert back.dtype == value.dtype


class Batches(Sequence):
    def __init__(self, count):
        self.count = count
        self.epochs = 0

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return np.full((2, 1), index, 'float32'), np.zeros((2, 1), 'float32')

    def on_epoch_end(self):
        self.epochs += 1


def test_a_sequence_is_read_by_batch_index_modulo_the_world_size():
    sequence = Batches(5)
    first = process_group.ShardedSequence(sequence, rank=0, world_size=2)
    second = process_group.ShardedSequence(sequence, rank=1, world_size=2)
    assert len(first) == len(second) == 3
    assert [first[step][0][0, 0] for step in range(3)] == [0, 2, 4]
    assert [second[step][0][0, 0] for step in range(2)] == [1, 3]
    assert isinstance(second[2], process_group.NoRows)


def test_a_shuffled_sequence_reads_every_batch_once_per_epoch_in_every_process():
    sequence = Batches(7)
    shards = [process_group.ShardedSequence(sequence, rank, 3, shuffle=True, seed=11)
              for rank in range(3)]
    for _ in range(2):
        read = [shard.position(step) for shard in shards for step in range(len(shard))]
        assert sorted(p for p in read if p is not None) == list(range(7))
        for shard in shards:
            shard.on_epoch_end()
    assert sequence.epochs == 6


@pytest.mark.skipif(K.backend() != 'torch', reason='the gradient reducer is the torch '
                    'engine\'s; JAX sums gradients inside the compiled step')
def test_the_gradient_reducer_sums_buckets_started_during_backward(tmp_path):
    import torch
    import torch.distributed as dist
    from cornu.backend.torch.distributed import GradientReducer
    dist.init_process_group('gloo', init_method='file://' + str(tmp_path / 'store'),
                            rank=0, world_size=1)
    try:
        params = [torch.randn(3, 4, requires_grad=True), torch.randn(4, requires_grad=True),
                  torch.randn(4, 2, requires_grad=True), torch.randn(5, requires_grad=True)]
        # Buckets of at most 40 bytes: one parameter each, in reverse order.
        reducer = GradientReducer(params, bucket_bytes=40)
        assert reducer.buckets == [[3], [2], [1], [0]]
        # A small first bucket starts summing early in the backward pass, as DDP's does.
        assert GradientReducer(params, bucket_bytes=1000,
                               first_bucket_bytes=20).buckets == [[3], [2, 1, 0]]
        x = torch.randn(6, 3)

        def loss_of(used):
            value = torch.tanh(torch.tanh(x @ params[0] + params[1]) @ params[2]).sum()
            return value + params[3].pow(2).sum() if used else value

        # Every parameter used: each bucket starts during the backward pass.
        loss = loss_of(used=True)
        reducer.begin()
        grads = torch.autograd.grad(loss, params)
        assert len(reducer.started) == len(reducer.buckets)
        summed, extra = reducer.finish(torch.tensor([2.5]))
        for got, expected in zip(summed, grads):
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
        assert float(extra[0]) == 2.5
        # A parameter the loss does not reach gets zeros.
        loss = loss_of(used=False)
        reducer.begin()
        grads = torch.autograd.grad(loss, params[:3])
        summed, _ = reducer.finish()
        for got, expected in zip(summed[:3], grads):
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(summed[3].numpy(), np.zeros(5))
        # Outside `begin`/`finish` the hooks leave gradients alone.
        torch.autograd.grad(loss_of(used=True), params)
        assert all(grad is None for grad in reducer.grads)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(K.backend() != 'torch', reason='the loops run data-parallel on torch')
def test_processes_seeded_alike_draw_different_dropout_masks():
    masks = []
    for rank in (0, 1, 0):
        K.set_random_seed(7)
        distributed.separate_random_streams(rank)
        masks.append(K.eval(K.dropout(K.ones((64,)), 0.5)))
    assert not np.array_equal(masks[0], masks[1])
    np.testing.assert_array_equal(masks[0], masks[2])  # still reproducible per process


@pytest.mark.skipif(K.backend() != 'torch', reason='torchrun places processes on torch devices')
def test_more_processes_than_gpus_is_refused_by_name(monkeypatch):
    """Under torchrun with CUDA each process trains on the GPU of its LOCAL_RANK; a rank with
    no GPU of its own gets a sentence saying what to change, not a CUDA error."""
    import torch
    from cornu.backend.torch import core
    from cornu.backend.torch import distributed as torch_distributed
    monkeypatch.setattr(core, 'DEVICE', torch.device('cuda', 3))
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.setattr(torch_distributed, 'launched', lambda: True)
    monkeypatch.setattr(torch_distributed, 'is_initialized', lambda: False)
    with pytest.raises(ValueError, match=r'LOCAL_RANK=3, but only 2 GPU\(s\) are visible.*'
                                         r'--nproc_per_node` at most 2'):
        torch_distributed.initialize()
