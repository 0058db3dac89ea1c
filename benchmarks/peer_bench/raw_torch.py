"""The hand-written PyTorch implementation: an `nn.Module` emitting logits, the fused
`CrossEntropyLoss` / `BCEWithLogitsLoss`, `torch.optim`, and the loop a PyTorch user writes
(a shuffled index gather per batch, `loss.item()` each step; predict under
`torch.inference_mode` with the output activation applied)."""
from peer_bench.workloads import OPTIMIZER_SETTINGS, VOCABULARY


def module(workload):
    import torch
    from torch import nn
    if workload.name == 'mnist_mlp':
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(512, 10))
    if workload.name == 'mnist_cnn':
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                             nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10))
    if workload.name == 'imdb_lstm':
        class SentimentLSTM(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(VOCABULARY, 128)
                self.dropout = nn.Dropout(0.2)  # stands for the LSTM's input dropout
                self.lstm = nn.LSTM(128, 128, batch_first=True)
                self.output = nn.Linear(128, 1)

            def forward(self, ids):
                _, (hidden, _) = self.lstm(self.dropout(self.embedding(ids)))
                return self.output(hidden[-1])
        return SentimentLSTM()
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))


def _optimizer(name, params):
    import torch
    s = OPTIMIZER_SETTINGS[name]
    if name == 'rmsprop':
        return torch.optim.RMSprop(params, lr=s['lr'], alpha=s['rho'], eps=s['epsilon'])
    if name == 'adadelta':
        return torch.optim.Adadelta(params, lr=s['lr'], rho=s['rho'], eps=s['epsilon'])
    if name == 'adam':
        return torch.optim.Adam(params, lr=s['lr'], betas=(s['beta_1'], s['beta_2']),
                                eps=s['epsilon'])
    return torch.optim.SGD(params, lr=s['lr'])


def make_runner(impl, workload, data, threads):
    """Returns `(fit, predict)`: one training epoch over, and a prediction of, the first
    `count` rows of the data, as functions of `count`."""
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = module(workload)
    optimizer = _optimizer(workload.optimizer, model.parameters())
    x = data['x']
    if workload.name == 'mnist_cnn':
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # PyTorch convolutions are NCHW
    x = torch.from_numpy(x)
    if workload.name == 'imdb_lstm':
        x = x.long()
    y = torch.from_numpy(data['labels'])
    if workload.classes == 1:
        loss_fn, activation = torch.nn.BCEWithLogitsLoss(), torch.sigmoid
        y = y.float().unsqueeze(1)
    else:
        loss_fn = torch.nn.CrossEntropyLoss()

        def activation(logits):
            return torch.softmax(logits, dim=-1)
    batch_size = workload.batch_size
    generator = torch.Generator().manual_seed(0)

    def fit(count):
        model.train()
        order = torch.randperm(count, generator=generator)
        for start in range(0, count, batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
            loss.item()

    def predict(count):
        model.eval()
        with torch.inference_mode():
            return torch.cat([activation(model(x[start:min(start + batch_size, count)]))
                              for start in range(0, count, batch_size)]).numpy()

    return fit, predict


def version():
    import torch
    return 'torch ' + torch.__version__
