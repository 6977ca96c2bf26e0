"""A word-level LSTM language model: corpus tokenised into a dictionary, `batchify` into
columns, truncated backpropagation through time with `repackage_hidden` (detach),
`nn.Embedding` -> 2-layer `nn.LSTM` -> `nn.Linear` -> `log_softmax` with `nn.NLLLoss`,
`clip_grad_norm_`, and the hand-written update `p.data.add_(p.grad, alpha=-lr)`; learning
rate annealed when the validation loss stops improving, best model saved and reloaded.

Source: pytorch/examples, word_language_model/main.py, model.py (RNNModel) and data.py
(Dictionary, Corpus).
Changes besides `torch` -> the namespace passed in: the corpus is the Zen of Python (shipped
with every Python, as `this`) instead of the bundled Wikitext-2 files -- its lines for
training, the same lines in reverse order for validation; a small model (emsize = nhid = 16,
bptt 5, batch size 4) and `steps` batches over 2 epochs; argparse replaced by an `Args`
object; one added `same_init(...)` line; per-batch losses returned instead of printed. One
edit beyond the rename: the original saves the whole model with `torch.save(model, f)`
(pickle); this port saves `model.state_dict()`, since autograd_core never pickles modules.
With `deterministic=True` (the comparison) dropout is 0, since each library draws its own
masks.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math
import os
import tempfile

from ._shared import same_init, stdlib_text


class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    def __init__(self, torch, train_lines, valid_lines):
        self.torch = torch
        self.dictionary = Dictionary()
        self.train = self.tokenize(train_lines)
        self.valid = self.tokenize(valid_lines)

    def tokenize(self, lines):
        """Tokenizes a text (given as lines instead of a file path)."""
        torch = self.torch
        for line in lines:
            words = line.split() + ['<eos>']
            for word in words:
                self.dictionary.add_word(word)

        idss = []
        for line in lines:
            words = line.split() + ['<eos>']
            ids = []
            for word in words:
                ids.append(self.dictionary.word2idx[word])
            idss.append(torch.tensor(ids).type(torch.int64))
        ids = torch.cat(idss)
        return ids


def make_model_class(torch):
    nn = torch.nn
    F = torch.nn.functional

    class RNNModel(nn.Module):
        """Container module with an encoder, a recurrent module, and a decoder."""

        def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
            super(RNNModel, self).__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ['LSTM', 'GRU']:
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            else:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)

            if tie_weights:
                if nhid != ninp:
                    raise ValueError('When using the tied flag, nhid must be equal to emsize')
                self.decoder.weight = self.encoder.weight

            self.init_weights()

            self.rnn_type = rnn_type
            self.nhid = nhid
            self.nlayers = nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output)
            decoded = decoded.view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == 'LSTM':
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            else:
                return weight.new_zeros(self.nlayers, bsz, self.nhid)

    return RNNModel


class Args:
    model = 'LSTM'
    emsize = 16
    nhid = 16
    nlayers = 2
    lr = 20
    clip = 0.25
    epochs = 2
    batch_size = 4
    bptt = 5
    dropout = 0.2
    tied = False
    log_interval = 200
    seed = 1111


def run(torch, steps=16, deterministic=False, seed=0):
    nn = torch.nn
    args = Args()
    if deterministic:
        args.dropout = 0.0
    # Set the random seed manually for reproducibility.
    torch.manual_seed(args.seed)
    device = torch.device("cpu")

    lines = [line for line in stdlib_text().splitlines() if line.strip()]
    corpus = Corpus(torch, lines, lines[::-1])

    def batchify(data, bsz):
        # Work out how cleanly we can divide the dataset into bsz parts.
        nbatch = data.size(0) // bsz
        # Trim off any extra elements that wouldn't cleanly fit (remainders).
        data = data.narrow(0, 0, nbatch * bsz)
        # Evenly divide the data across the bsz batches.
        data = data.view(bsz, -1).t().contiguous()
        return data.to(device)

    eval_batch_size = 4
    train_data = batchify(corpus.train, args.batch_size)
    val_data = batchify(corpus.valid, eval_batch_size)

    ntokens = len(corpus.dictionary)
    RNNModel = make_model_class(torch)
    model = RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout,
                     args.tied).to(device)
    same_init(torch, model, seed)
    criterion = nn.NLLLoss()

    def repackage_hidden(h):
        """Wraps hidden states in new Tensors, to detach them from their history."""
        if isinstance(h, torch.Tensor):
            return h.detach()
        else:
            return tuple(repackage_hidden(v) for v in h)

    def get_batch(source, i):
        seq_len = min(args.bptt, len(source) - 1 - i)
        data = source[i:i + seq_len]
        target = source[i + 1:i + 1 + seq_len].view(-1)
        return data, target

    def evaluate(data_source):
        # Evaluation mode disables dropout.
        model.eval()
        total_loss = 0.
        hidden = model.init_hidden(eval_batch_size)
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, args.bptt):
                data, targets = get_batch(data_source, i)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    losses = []
    per_epoch = steps // args.epochs

    def train(lr):
        # Training mode enables dropout.
        model.train()
        hidden = model.init_hidden(args.batch_size)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
            if batch == per_epoch:
                break
            data, targets = get_batch(train_data, i)
            # Detach the hidden state from the previous batch's graph, or backpropagation
            # would run back to the start of the data set.
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()

            # clip_grad_norm_ keeps the RNN's gradients from exploding
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())

    lr = args.lr
    best_val_loss = None
    with tempfile.TemporaryDirectory() as folder:
        save = os.path.join(folder, 'model.pt')
        for epoch in range(1, args.epochs + 1):
            train(lr)
            val_loss = evaluate(val_data)
            assert math.isfinite(math.exp(min(val_loss, 50)))
            # Save the model if the validation loss is the best seen so far.
            if not best_val_loss or val_loss < best_val_loss:
                with open(save, 'wb') as f:
                    torch.save(model.state_dict(), f)
                best_val_loss = val_loss
            else:
                # Anneal the learning rate if no improvement on the validation set.
                lr /= 4.0

        # Load the best saved model.
        with open(save, 'rb') as f:
            model.load_state_dict(torch.load(f))
    return losses
