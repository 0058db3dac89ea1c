"""cornu.preprocessing.text against Keras 2.2.4's documented behaviour: word splitting,
hashing (md5 formula written here), Tokenizer vocabulary order, sequences, matrices in every
mode (NumPy formulas written here) and JSON round trips."""
import json
import math
from collections import OrderedDict
from hashlib import md5

import numpy as np
import pytest

from cornu.preprocessing import text
from cornu.preprocessing.text import (Tokenizer, hashing_trick, one_hot,
                                      text_to_word_sequence, tokenizer_from_json)

TEXTS = ['The cat sat on the mat.',
         'The dog sat on the log.',
         'Dogs and cats living together.']


# ------------------------------------------------------------------------------------------
# Functions
# ------------------------------------------------------------------------------------------

def test_text_to_word_sequence():
    assert text_to_word_sequence('hello! ? world!') == ['hello', 'world']
    assert text_to_word_sequence('hello!stop?world!', split='stop') == ['hello', 'world']
    assert text_to_word_sequence(u'ali! veli? kırk dokuz elli') == [
        u'ali', u'veli', u'kırk', u'dokuz', u'elli']
    assert text_to_word_sequence('Tab\tand\nline', lower=False) == ['Tab', 'and', 'line']
    assert text_to_word_sequence("don't stop", filters='') == ["don't", 'stop']
    assert text_to_word_sequence('a,b c', filters=',', split=',') == ['a', 'b c']


def test_one_hot_and_hashing_trick_ranges():
    encoded = one_hot('The cat sat on the mat.', 5)
    assert len(encoded) == 6
    assert 1 <= min(encoded) and max(encoded) <= 4
    assert encoded[0] == encoded[4]  # 'the' twice
    encoded = hashing_trick('The cat sat on the mat.', 5)
    assert len(encoded) == 6 and 1 <= min(encoded) and max(encoded) <= 4


@pytest.mark.parametrize('n', [5, 100, 2 ** 20])
def test_hashing_trick_md5(n):
    words = ['the', 'cat', 'sat', 'on', 'the', 'mat']
    expected = [int(md5(w.encode()).hexdigest(), 16) % (n - 1) + 1 for w in words]
    assert hashing_trick('The cat sat on the mat.', n, hash_function='md5') == expected


def test_hashing_trick_md5_known_values():
    # Stable across processes and machines, unlike Python's `hash`.
    assert hashing_trick('The cat sat on the mat.', 5, hash_function='md5') == \
        [4, 1, 1, 1, 4, 1]


def test_hashing_trick_custom_function():
    assert hashing_trick('a bb ccc', 10, hash_function=len) == [2, 3, 4]


# ------------------------------------------------------------------------------------------
# Tokenizer: vocabulary
# ------------------------------------------------------------------------------------------

def test_tokenizer_word_index_order():
    tokenizer = Tokenizer(num_words=10)
    tokenizer.fit_on_texts(TEXTS)
    # By count, most frequent first; ties keep their order of first appearance.
    assert tokenizer.word_index == {
        'the': 1, 'sat': 2, 'on': 3, 'cat': 4, 'mat': 5, 'dog': 6, 'log': 7, 'dogs': 8,
        'and': 9, 'cats': 10, 'living': 11, 'together': 12}
    assert tokenizer.index_word == {i: w for w, i in tokenizer.word_index.items()}
    assert isinstance(tokenizer.word_counts, OrderedDict)
    assert list(tokenizer.word_counts.items()) == [
        ('the', 4), ('cat', 1), ('sat', 2), ('on', 2), ('mat', 1), ('dog', 1), ('log', 1),
        ('dogs', 1), ('and', 1), ('cats', 1), ('living', 1), ('together', 1)]
    assert dict(tokenizer.word_docs) == {
        'the': 2, 'cat': 1, 'sat': 2, 'on': 2, 'mat': 1, 'dog': 1, 'log': 1, 'dogs': 1,
        'and': 1, 'cats': 1, 'living': 1, 'together': 1}
    assert dict(tokenizer.index_docs) == {1: 2, 2: 2, 3: 2, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1,
                                          9: 1, 10: 1, 11: 1, 12: 1}
    assert tokenizer.document_count == 3


def test_tokenizer_lower_and_word_lists():
    tokenizer = Tokenizer(lower=True)
    tokenizer.fit_on_texts(['The cat sat on the mat.', 'The dog sat on the log.',
                            'Dog and Cat living Together.'])
    assert tokenizer.word_counts == OrderedDict([
        ('the', 4), ('cat', 2), ('sat', 2), ('on', 2), ('mat', 1), ('dog', 2), ('log', 1),
        ('and', 1), ('living', 1), ('together', 1)])
    tokenizer = Tokenizer(lower=True)
    tokenizer.fit_on_texts([['The', 'cat', 'is', 'sitting'], ['The', 'dog', 'is', 'standing']])
    assert tokenizer.word_counts == OrderedDict([
        ('the', 2), ('cat', 1), ('is', 2), ('sitting', 1), ('dog', 1), ('standing', 1)])
    assert tokenizer.texts_to_sequences([['THE', 'dog', 'unknown']]) == [[1, 5]]


def test_tokenizer_char_level():
    tokenizer = Tokenizer(char_level=True)
    tokenizer.fit_on_texts(['Aab.', 'b'])
    # Characters are tokens; the filters do not apply at character level (Keras 2.2.4).
    assert tokenizer.word_index == {'a': 1, 'b': 2, '.': 3}
    assert tokenizer.texts_to_sequences(['ba.c']) == [[2, 1, 3]]
    assert tokenizer.word_docs['b'] == 2 and tokenizer.word_docs['a'] == 1


def test_tokenizer_sequences_with_num_words():
    tokenizer = Tokenizer(num_words=10)
    tokenizer.fit_on_texts(TEXTS)
    sequences = list(tokenizer.texts_to_sequences_generator(TEXTS))
    assert sequences == [[1, 4, 2, 3, 1, 5], [1, 6, 2, 3, 1, 7], [8, 9]]
    assert tokenizer.texts_to_sequences(TEXTS) == sequences
    assert tokenizer.sequences_to_texts(sequences) == [
        'the cat sat on the mat', 'the dog sat on the log', 'dogs and']
    # Indices at or beyond num_words are dropped on the way back too.
    assert tokenizer.sequences_to_texts([[10, 1, 99]]) == ['the']


def test_tokenizer_oov_token():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(['This text has only known words'])
    assert len(tokenizer.texts_to_sequences(['This text has some unknown words'])[0]) == 4

    tokenizer = Tokenizer(oov_token='<unk>')
    tokenizer.fit_on_texts(['This text has only known words this text'])
    assert tokenizer.word_index['<unk>'] == 1
    assert tokenizer.word_index['this'] == 2 and tokenizer.word_index['text'] == 3
    seq = tokenizer.texts_to_sequences(['This text has some unknown words'])
    assert seq == [[2, 3, 4, 1, 1, 7]]
    assert tokenizer.sequences_to_texts(seq) == ['this text has <unk> <unk> words']


def test_tokenizer_oov_token_and_num_words():
    tokenizer = Tokenizer(num_words=3, oov_token='<unk>')
    tokenizer.fit_on_texts(['This text has only known words this text'])
    seq = tokenizer.texts_to_sequences(['This text has some unknown words'])
    assert seq == [[2, 1, 1, 1, 1, 1]]
    assert tokenizer.sequences_to_texts(seq) == ['this <unk> <unk> <unk> <unk> <unk>']
    assert list(tokenizer.sequences_to_texts_generator([[2, 3, 50]])) == [
        'this <unk> <unk>']

    tokenizer = Tokenizer(num_words=10, oov_token='<unk>')
    tokenizer.fit_on_texts(TEXTS)
    assert tokenizer.sequences_to_texts(tokenizer.texts_to_sequences(TEXTS)) == [
        'the cat sat on the mat', 'the dog sat on the log', 'dogs <unk> <unk> <unk> <unk>']


def test_tokenizer_sequential_fit():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    tokenizer.fit_on_texts([['The', 'cat', 'is', 'sitting'], ['The', 'dog', 'is', 'standing']])
    assert tokenizer.document_count == 5
    assert tokenizer.word_counts['the'] == 6
    assert tokenizer.word_index['the'] == 1
    assert tokenizer.texts_to_matrix(TEXTS).shape == (3, len(tokenizer.word_index) + 1)


# ------------------------------------------------------------------------------------------
# Tokenizer: matrices
# ------------------------------------------------------------------------------------------

def _reference_matrix(sequences, num_words, mode, document_count=None, index_docs=None):
    x = np.zeros((len(sequences), num_words))
    for i, seq in enumerate(sequences):
        for j in set(seq):
            if j >= num_words:
                continue
            c = seq.count(j)
            if mode == 'binary':
                x[i, j] = 1
            elif mode == 'count':
                x[i, j] = c
            elif mode == 'freq':
                x[i, j] = c / len(seq)
            else:
                x[i, j] = (1 + math.log(c)) * math.log(
                    1 + document_count / (1 + index_docs.get(j, 0)))
    return x


@pytest.mark.parametrize('mode', ['binary', 'count', 'freq', 'tfidf'])
def test_tokenizer_texts_to_matrix(mode):
    tokenizer = Tokenizer(num_words=10)
    tokenizer.fit_on_texts(TEXTS)
    matrix = tokenizer.texts_to_matrix(TEXTS, mode=mode)
    assert matrix.shape == (3, 10) and matrix.dtype == np.float64
    sequences = [[1, 4, 2, 3, 1, 5], [1, 6, 2, 3, 1, 7], [8, 9]]
    index_docs = {1: 2, 2: 2, 3: 2, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}
    expected = _reference_matrix(sequences, 10, mode, 3, index_docs)
    np.testing.assert_allclose(matrix, expected, rtol=1e-12)


def test_tokenizer_matrix_known_values():
    tokenizer = Tokenizer(num_words=10)
    tokenizer.fit_on_texts(TEXTS)
    count = tokenizer.texts_to_matrix(TEXTS[:1], mode='count')
    np.testing.assert_array_equal(count, [[0, 2, 1, 1, 1, 1, 0, 0, 0, 0]])
    freq = tokenizer.texts_to_matrix(TEXTS[2:], mode='freq')
    np.testing.assert_array_equal(freq, [[0, 0, 0, 0, 0, 0, 0, 0, .5, .5]])
    tfidf = tokenizer.texts_to_matrix(TEXTS[:1], mode='tfidf')
    # 'the': tf = 1 + ln 2, idf = ln(1 + 3 / (1 + 2)); 'cat': tf = 1, idf = ln(1 + 3 / 2)
    np.testing.assert_allclose(tfidf[0, 1], (1 + np.log(2)) * np.log(2))
    np.testing.assert_allclose(tfidf[0, 4], np.log(2.5))


def test_tokenizer_sequences_to_matrix_and_fit_on_sequences():
    tokenizer = Tokenizer(num_words=6)
    sequences = [[1, 2, 2, 7], [], [3]]
    tokenizer.fit_on_sequences(sequences)
    assert tokenizer.document_count == 3
    assert dict(tokenizer.index_docs) == {1: 1, 2: 1, 7: 1, 3: 1}
    np.testing.assert_array_equal(tokenizer.sequences_to_matrix(sequences, mode='count'),
                                  [[0, 1, 2, 0, 0, 0], [0] * 6, [0, 0, 0, 1, 0, 0]])
    # freq divides by the full length, dropped indices included (Keras 2).
    np.testing.assert_allclose(tokenizer.sequences_to_matrix(sequences, mode='freq')[0],
                               [0, .25, .5, 0, 0, 0])
    expected = _reference_matrix(sequences, 6, 'tfidf', 3, dict(tokenizer.index_docs))
    np.testing.assert_allclose(tokenizer.sequences_to_matrix(sequences, mode='tfidf'),
                               expected)


def test_tokenizer_matrix_errors():
    with pytest.raises(ValueError, match='Specify a dimension'):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match='before using tfidf mode'):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode='tfidf')
    tokenizer = Tokenizer(num_words=3)
    with pytest.raises(ValueError, match='Unknown vectorization mode: onehot'):
        tokenizer.sequences_to_matrix([[1]], mode='onehot')


def test_tokenizer_arguments():
    with pytest.warns(UserWarning, match='renamed `num_words`'):
        assert Tokenizer(nb_words=7).num_words == 7
    with pytest.raises(TypeError, match='Unrecognized keyword arguments'):
        Tokenizer(words=3)


# ------------------------------------------------------------------------------------------
# Serialization
# ------------------------------------------------------------------------------------------

def _same_state(a, b):
    assert a.get_config() == b.get_config()
    for name in ('word_counts', 'word_docs', 'index_docs', 'word_index', 'index_word',
                 'document_count', 'num_words', 'filters', 'lower', 'split', 'char_level',
                 'oov_token'):
        assert getattr(a, name) == getattr(b, name), name


def test_tokenizer_json_round_trip_unfitted():
    tokenizer = Tokenizer(num_words=100)
    _same_state(tokenizer, tokenizer_from_json(tokenizer.to_json()))


def test_tokenizer_json_round_trip_fitted():
    tokenizer = Tokenizer(num_words=100, oov_token='<unk>')
    tokenizer.fit_on_texts(TEXTS)
    tokenizer.fit_on_sequences(tokenizer.texts_to_sequences(TEXTS))
    payload = tokenizer.to_json(indent=2)
    parsed = json.loads(payload)
    assert parsed['class_name'] == 'Tokenizer'
    assert isinstance(parsed['config']['word_index'], str)  # nested JSON, as Keras 2
    recovered = tokenizer_from_json(payload)
    _same_state(tokenizer, recovered)
    assert list(recovered.word_counts) == list(tokenizer.word_counts)
    assert recovered.texts_to_sequences(TEXTS) == tokenizer.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(recovered.texts_to_matrix(TEXTS, 'tfidf'),
                                  tokenizer.texts_to_matrix(TEXTS, 'tfidf'))
    recovered.fit_on_texts(['new words'])  # still usable for more fitting
    assert recovered.document_count == tokenizer.document_count + 1


def test_module_exports_keras_names():
    for name in ('text_to_word_sequence', 'one_hot', 'hashing_trick', 'Tokenizer',
                 'tokenizer_from_json'):
        assert hasattr(text, name)
