"""Text preprocessing of Keras 2.2.4 (`keras.preprocessing.text`, keras_preprocessing 1.0.5):
splitting text into words, hashing words to indices, and the `Tokenizer`, which builds a
vocabulary and turns texts into index sequences or into bag-of-words matrices.

Indices, orders and matrices equal Keras 2's: the vocabulary is ranked by word count,
most frequent first, ties in order of first appearance; index 0 is never a word.
"""
import json
import warnings
from collections import OrderedDict, defaultdict
from hashlib import md5

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

_MATRIX_MODES = ('binary', 'count', 'tfidf', 'freq')


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=' '):
    """Converts a text to a sequence of words (or tokens).

    # Arguments
        text: input text (string).
        filters: sequence of characters to filter out (each is replaced by `split`);
            by default all punctuation, plus tabs and line breaks (but not `'`).
        lower: whether to convert the input to lowercase.
        split: separator for word splitting.

    # Returns
        A list of words (empty strings are dropped).
    """
    if lower:
        text = text.lower()
    if filters:
        text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def one_hot(text, n, filters=DEFAULT_FILTERS, lower=True, split=' '):
    """One-hot encodes a text into a list of word indices in a vocabulary of size `n`.

    A wrapper of `hashing_trick` with Python's `hash` as hashing function, so the indices
    are unique only up to collisions, and (since Python randomises string hashes per
    process, see `PYTHONHASHSEED`) can differ between runs.

    # Arguments
        text: input text (string).
        n: int, size of the vocabulary.
        filters: characters to filter out, as in `text_to_word_sequence`.
        lower: whether to convert the text to lowercase.
        split: separator for word splitting.

    # Returns
        List of integers in `[1, n - 1]`, one per word.
    """
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower,
                         split=split)


def _md5_hash(word):
    return int(md5(word.encode()).hexdigest(), 16)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True,
                  split=' '):
    """Converts a text to a sequence of indices in a fixed-size hashing space.

    Each word `w` becomes `hash_function(w) % (n - 1) + 1`; index 0 is reserved. Two
    different words may collide on the same index; `n` should be comfortably larger than
    the vocabulary to make this unlikely.

    # Arguments
        text: input text (string).
        n: dimension of the hashing space.
        hash_function: `None` (Python's `hash`, which is not stable across runs),
            `'md5'` (stable: the MD5 digest of the word, as an integer), or any function
            that takes a string and returns an int.
        filters: characters to filter out, as in `text_to_word_sequence`.
        lower: whether to convert the text to lowercase.
        split: separator for word splitting.

    # Returns
        A list of integer word indices (unicity not guaranteed).
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == 'md5':
        hash_function = _md5_hash
    seq = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    return [(hash_function(w) % (n - 1) + 1) for w in seq]


class Tokenizer(object):
    """Text tokenization utility class.

    Vectorizes a text corpus either into sequences of integers (each integer the index of
    a token in a dictionary) or into vectors where the coefficient of each token can be
    binary, a count, a frequency or a tf-idf weight.

    # Arguments
        num_words: the maximum number of words to keep, by frequency: only the
            `num_words - 1` most common words are used when converting texts (the
            vocabulary itself keeps every word). `None` keeps all.
        filters: characters filtered out of the texts; by default all punctuation, plus
            tabs and line breaks (but not `'`).
        lower: whether to convert the texts to lowercase.
        split: separator for word splitting.
        char_level: if True, every character is a token.
        oov_token: if given, it takes index 1 in `word_index` and replaces
            out-of-vocabulary words in `texts_to_sequences` (instead of dropping them).
        document_count: number of documents seen so far (restored from a saved
            tokenizer; normally 0).

    Texts are split with `text_to_word_sequence(text, filters, lower, split)` (a text
    given as a list of strings is taken as already split). Index 0 is reserved and never
    given to a word.

    # Attributes
        word_counts: `OrderedDict` word -> number of occurrences, in order of first
            appearance.
        word_docs: dict word -> number of documents containing it.
        word_index: dict word -> index, 1 for the most frequent word (or for
            `oov_token`), ties ranked by first appearance.
        index_word: dict index -> word, the inverse of `word_index`.
        index_docs: dict index -> number of documents containing the word.
        document_count: number of documents (texts or sequences) fitted on.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=' ',
                 char_level=False, oov_token=None, document_count=0, **kwargs):
        if 'nb_words' in kwargs:  # Keras 1 name
            warnings.warn('The `nb_words` argument in `Tokenizer` '
                          'has been renamed `num_words`.')
            num_words = kwargs.pop('nb_words')
        if kwargs:
            raise TypeError('Unrecognized keyword arguments: ' + str(kwargs))
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}

    def _tokens(self, text):
        """The tokens of one text, as `fit_on_texts` and `texts_to_sequences` see them."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                if isinstance(text, list):
                    return [token.lower() for token in text]
                return text.lower()
            return text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Updates the internal vocabulary from a list of texts.

        Required before `texts_to_sequences` or `texts_to_matrix`.

        # Arguments
            texts: can be a list of strings, a generator of strings (for
                memory-efficiency), or a list of lists of strings (texts already split
                into tokens).
        """
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            seen = OrderedDict()
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
                seen[w] = None
            for w in seen:
                # In how many documents each word occurs.
                self.word_docs[w] += 1

        # Python's sort is stable: words with equal counts keep their first-appearance order.
        wcounts = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        sorted_voc = [] if self.oov_token is None else [self.oov_token]
        sorted_voc.extend(word for word, _ in wcounts)
        # Index 0 is reserved. As in Keras 2, an `oov_token` that also occurs in the texts
        # ends up with the index of its rank among the words (the later entry wins).
        self.word_index = dict(zip(sorted_voc, range(1, len(sorted_voc) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for w, c in self.word_docs.items():
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Updates the document statistics from a list of sequences of word indices.

        Required before `sequences_to_matrix` in `'tfidf'` mode if `fit_on_texts` was
        never called.

        # Arguments
            sequences: a list of sequences (lists of integer word indices).
        """
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        """Transforms each text into a sequence of integers.

        Only the `num_words - 1` most frequent words known to the tokenizer are kept
        (others are dropped, or become `oov_token`'s index when it is set).

        # Arguments
            texts: a list of texts (strings, or lists of tokens).

        # Returns
            A list of sequences (lists of integers).
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Transforms each text into a sequence of integers, lazily.

        Same rules as `texts_to_sequences`.

        # Arguments
            texts: an iterable of texts (strings, or lists of tokens).

        # Yields
            One sequence (list of integers) per text.
        """
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        for text in texts:
            vect = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is not None:
                    if num_words and i >= num_words:
                        if oov_token_index is not None:
                            vect.append(oov_token_index)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov_token_index)
            yield vect

    def sequences_to_texts(self, sequences):
        """Transforms each sequence of word indices back into a text.

        Only the `num_words - 1` most frequent words are kept (others are dropped, or
        become `oov_token` when it is set); words are joined with single spaces.

        # Arguments
            sequences: a list of sequences (lists of integers).

        # Returns
            A list of texts (strings).
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Transforms each sequence of word indices back into a text, lazily.

        Same rules as `sequences_to_texts`.

        # Arguments
            sequences: an iterable of sequences (lists of integers).

        # Yields
            One text (string) per sequence.
        """
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            vect = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None:
                    if num_words and num >= num_words:
                        if oov_token_index is not None:
                            vect.append(self.index_word[oov_token_index])
                    else:
                        vect.append(word)
                elif self.oov_token is not None:
                    vect.append(self.index_word[oov_token_index])
            yield ' '.join(vect)

    def texts_to_matrix(self, texts, mode='binary'):
        """Converts a list of texts to a NumPy matrix.

        # Arguments
            texts: list of texts (strings, or lists of tokens).
            mode: one of `'binary'`, `'count'`, `'tfidf'`, `'freq'` (see
                `sequences_to_matrix`).

        # Returns
            A NumPy matrix of shape `(len(texts), num_words)`.
        """
        sequences = self.texts_to_sequences(texts)
        return self.sequences_to_matrix(sequences, mode=mode)

    def sequences_to_matrix(self, sequences, mode='binary'):
        """Converts a list of sequences of word indices into a matrix.

        Row `i` describes sequence `i`; column `j` word index `j` (indices at or beyond
        the number of columns are ignored). For a word occurring `c` times in a sequence
        of length `n`:

        - `'binary'`: 1;
        - `'count'`: `c`;
        - `'freq'`: `c / n`;
        - `'tfidf'`: `(1 + log(c)) * log(1 + document_count / (1 + index_docs[j]))`.

        # Arguments
            sequences: list of sequences (lists of integer word indices).
            mode: one of `'binary'`, `'count'`, `'tfidf'`, `'freq'`.

        # Returns
            A float64 NumPy matrix of shape `(len(sequences), num_words)`, where
            `num_words` is the `num_words` argument, else the vocabulary size + 1.

        # Raises
            ValueError: for an unknown `mode`, if `num_words` is not set and the
                tokenizer was never fitted, or for `'tfidf'` before any fitting.
        """
        if not self.num_words:
            if self.word_index:
                num_words = len(self.word_index) + 1
            else:
                raise ValueError('Specify a dimension (`num_words` argument), '
                                 'or fit on some text data first.')
        else:
            num_words = self.num_words

        if mode not in _MATRIX_MODES:
            raise ValueError('Unknown vectorization mode: %s' % (mode,))
        if mode == 'tfidf' and not self.document_count:
            raise ValueError('Fit the Tokenizer on some data '
                             'before using tfidf mode.')

        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts = defaultdict(int)
            for j in seq:
                if j >= num_words:
                    continue
                counts[j] += 1
            for j, c in counts.items():
                if mode == 'count':
                    x[i][j] = c
                elif mode == 'freq':
                    x[i][j] = c / len(seq)
                elif mode == 'binary':
                    x[i][j] = 1
                else:
                    # tf-idf, weighting scheme 2 of
                    # https://en.wikipedia.org/wiki/Tf%E2%80%93idf
                    tf = 1 + np.log(c)
                    idf = np.log(1 + self.document_count /
                                 (1 + self.index_docs.get(j, 0)))
                    x[i][j] = tf * idf
        return x

    def get_config(self):
        """Returns the tokenizer configuration as a Python dictionary.

        The word statistics (`word_counts`, `word_docs`, `index_docs`, `word_index`,
        `index_word`) are stored as JSON strings.

        # Returns
            A Python dictionary with the tokenizer configuration.
        """
        return {
            'num_words': self.num_words,
            'filters': self.filters,
            'lower': self.lower,
            'split': self.split,
            'char_level': self.char_level,
            'oov_token': self.oov_token,
            'document_count': self.document_count,
            'word_counts': json.dumps(self.word_counts),
            'word_docs': json.dumps(self.word_docs),
            'index_docs': json.dumps(self.index_docs),
            'index_word': json.dumps(self.index_word),
            'word_index': json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """Returns a JSON string containing the tokenizer configuration.

        Load it with `cornu.preprocessing.text.tokenizer_from_json(json_string)`.

        # Arguments
            **kwargs: additional keyword arguments passed to `json.dumps()`.

        # Returns
            A JSON string containing the tokenizer configuration.
        """
        config = self.get_config()
        tokenizer_config = {'class_name': self.__class__.__name__, 'config': config}
        return json.dumps(tokenizer_config, **kwargs)


def tokenizer_from_json(json_string):
    """Parses a JSON tokenizer configuration and returns a tokenizer instance.

    # Arguments
        json_string: JSON string encoding a tokenizer configuration (from
            `Tokenizer.to_json()`).

    # Returns
        A Keras Tokenizer instance, with the vocabulary and statistics of the saved one.
    """
    tokenizer_config = json.loads(json_string)
    config = dict(tokenizer_config.get('config'))

    word_counts = json.loads(config.pop('word_counts'), object_pairs_hook=OrderedDict)
    word_docs = json.loads(config.pop('word_docs'))
    # JSON object keys are strings: integer indices are restored.
    index_docs = {int(k): v for k, v in json.loads(config.pop('index_docs')).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop('index_word')).items()}
    word_index = json.loads(config.pop('word_index'))

    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
