"""Data utilities: file download and caching (`get_file`), the `Sequence` interface, and the
enqueuers that load batches in parallel threads or processes while a model trains.

Everything follows Keras 2.2.4's `keras.utils.data_utils`: the cache lives in `~/.keras`
(`$KERAS_HOME` when set, `/tmp/.keras` when neither is writable), so files a Keras 2
installation already downloaded are found and used without a network.

Where Keras 2.2.4 could lose work or hang, cornu is stricter: downloads are written to a
temporary file and renamed into place (an interrupted download never leaves a half file in the
cache), a downloaded file whose hash does not match is rejected, an archive that fails to
extract only removes what it created, and exceptions raised inside enqueuer workers (threads or
processes) are re-raised in the consumer instead of being lost. `Sequence` and the enqueuers
live in `cornu._common.enqueuers` (below the engine, which uses them) and are imported from
here.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile
import zipfile
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from .._common.enqueuers import (GeneratorEnqueuer, OrderedEnqueuer, Sequence,  # noqa: F401
                                 SequenceEnqueuer, get_index, init_pool, init_pool_generator,
                                 next_sample)
from .._common.generic_utils import Progbar

# Seconds without data after which a download is abandoned (Keras 2 had no limit).
_DOWNLOAD_TIMEOUT = 60
_DOWNLOAD_CHUNK = 8192


# ------------------------------------------------------------------------------------------
# Cache directory, download, hashing, extraction
# ------------------------------------------------------------------------------------------

def _cache_roots(cache_dir=None):
    """Returns `(main, fallback)` cache roots: `cache_dir` (default `$KERAS_HOME`, else
    `~/.keras`) and `<tmp>/.keras`, used when the main one cannot be written."""
    if cache_dir is None:
        cache_dir = os.environ.get('KERAS_HOME') or os.path.join(os.path.expanduser('~'),
                                                                 '.keras')
    main = os.path.expanduser(cache_dir)
    fallback = os.path.join(tempfile.gettempdir(), '.keras')
    return main, fallback


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def cache_dirs(cache_subdir='datasets', cache_dir=None):
    """Returns the directories where a cached file may be found, in search order (the main
    cache, then the fallback), without creating anything (a cornu addition: the datasets
    look for their files there).

    # Arguments
        cache_subdir: the subdirectory of a cache root, as `get_file`'s.
        cache_dir: the main cache root, as `get_file`'s (default: `$KERAS_HOME` or `~/.keras`).

    # Returns
        A list of directory paths.
    """
    dirs = []
    for root in _cache_roots(cache_dir):
        path = os.path.join(root, cache_subdir)
        if path not in dirs:
            dirs.append(path)
    return dirs


def _writable_cache_dir(cache_subdir='datasets', cache_dir=None):
    """Returns (creating it) the first cache directory that can be written, like Keras 2:
    the main cache root, else `<tmp>/.keras`."""
    main, fallback = _cache_roots(cache_dir)
    for root in (main, fallback):
        if _writable_dir(root):
            datadir = os.path.join(root, cache_subdir)
            if _writable_dir(datadir):
                return datadir
    raise OSError('No writable cache directory: neither %s nor %s can be written. '
                  'Pass `cache_dir=` a writable directory.' % (main, fallback))


def _hash_file(fpath, algorithm='sha256', chunk_size=65535):
    """Calculates the sha256 or md5 hash of a file.

    # Arguments
        fpath: path to the file.
        algorithm: `'sha256'` (also used for `'auto'`) or `'md5'`.
        chunk_size: bytes read at a time.

    # Returns
        The hexadecimal digest, as a string.
    """
    if algorithm in ('sha256', 'auto'):
        hasher = hashlib.sha256()
    else:
        hasher = hashlib.md5()
    with open(fpath, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm='auto', chunk_size=65535):
    """Checks a file against a sha256 or md5 hash.

    # Arguments
        fpath: path to the file.
        file_hash: the expected hash (hexadecimal string).
        algorithm: `'sha256'`, `'md5'` or `'auto'` (sha256 for a 64-character hash, md5
            otherwise).
        chunk_size: bytes read at a time.

    # Returns
        Whether the file's hash matches `file_hash`.
    """
    if algorithm == 'sha256' or (algorithm == 'auto' and len(file_hash) == 64):
        hasher = 'sha256'
    else:
        hasher = 'md5'
    return str(_hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def _archive_top_level_names(archive, is_tar):
    names = archive.getnames() if is_tar else archive.namelist()
    tops = set()
    for name in names:
        top = name.replace('\\', '/').lstrip('/').split('/', 1)[0]
        if top and top not in ('.', '..'):
            tops.add(top)
    return tops


def _safe_tar_extract(archive, path):
    if hasattr(tarfile, 'data_filter'):
        archive.extractall(path, filter='data')
        return
    root = os.path.realpath(path)
    for member in archive.getmembers():
        target = os.path.realpath(os.path.join(path, member.name))
        if os.path.commonpath([root, target]) != root or member.issym() or member.islnk():
            raise tarfile.TarError('Refusing to extract %r: it points outside %s.'
                                   % (member.name, path))
    archive.extractall(path)


def _extract_archive(file_path, path='.', archive_format='auto'):
    """Extracts a tar (plain, gz, bz2, xz) or zip archive.

    Members that would land outside `path` (absolute names, `..`, links) are refused. When
    extraction fails, the top-level entries it created are removed (Keras 2 deleted the
    whole target directory) and the error is raised again.

    # Arguments
        file_path: path to the archive.
        path: directory to extract into.
        archive_format: `'auto'` (= `['tar', 'zip']`), `'tar'`, `'zip'`, a list of these,
            or `None` (no extraction).

    # Returns
        True if the file matched one of the formats and was extracted, False otherwise.
    """
    if archive_format is None:
        return False
    if archive_format == 'auto':
        archive_format = ['tar', 'zip']
    if isinstance(archive_format, str):
        archive_format = [archive_format]

    for archive_type in archive_format:
        if archive_type == 'tar':
            is_tar = True
            if not tarfile.is_tarfile(file_path):
                continue
            opener = tarfile.open
        elif archive_type == 'zip':
            is_tar = False
            if not zipfile.is_zipfile(file_path):
                continue
            opener = zipfile.ZipFile
        else:
            raise ValueError('Unknown archive format %r: expected "tar", "zip", "auto" or '
                             'None.' % (archive_type,))
        with opener(file_path) as archive:
            new_entries = [name for name in _archive_top_level_names(archive, is_tar)
                           if not os.path.lexists(os.path.join(path, name))]
            try:
                if is_tar:
                    _safe_tar_extract(archive, path)
                else:
                    archive.extractall(path)
            except (tarfile.TarError, zipfile.BadZipFile, OSError, RuntimeError,
                    KeyboardInterrupt):
                for name in new_entries:
                    target = os.path.join(path, name)
                    if os.path.isdir(target) and not os.path.islink(target):
                        shutil.rmtree(target, ignore_errors=True)
                    elif os.path.lexists(target):
                        os.remove(target)
                raise
        return True
    return False


def _download(origin, fpath, file_hash=None, hash_algorithm='auto'):
    """Downloads `origin` to `fpath` through a temporary file in the same directory, with a
    progress bar; the file only appears at `fpath` once complete (and valid, when a hash is
    given)."""
    print('Downloading data from', origin)
    directory = os.path.dirname(fpath) or '.'
    fd, tmp_path = tempfile.mkstemp(prefix=os.path.basename(fpath) + '.',
                                    suffix='.part', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as out:
            try:
                response = urlopen(origin, timeout=_DOWNLOAD_TIMEOUT)
                with response:
                    total = response.headers.get('Content-Length')
                    total = int(total) if total and total.strip().isdigit() else None
                    progbar = Progbar(total)
                    done = 0
                    while True:
                        chunk = response.read(_DOWNLOAD_CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        done += len(chunk)
                        progbar.update(done)
            except HTTPError as e:
                raise IOError(_fetch_failure(origin, fpath, e.code, e.msg)) from e
            except URLError as e:
                raise IOError(_fetch_failure(origin, fpath, getattr(e, 'errno', None),
                                             e.reason)) from e
            except (OSError, ValueError) as e:
                # Timeouts and resets in the middle of the transfer, malformed URLs.
                raise IOError(_fetch_failure(origin, fpath, getattr(e, 'errno', None),
                                             e)) from e
        if file_hash is not None and not validate_file(tmp_path, file_hash, hash_algorithm):
            raise IOError('The file downloaded from %s does not match the expected hash %s '
                          '(got %s). It was not stored in the cache (%s).'
                          % (origin, file_hash, _hash_file(tmp_path, _algorithm_for(
                              file_hash, hash_algorithm)), fpath))
        os.replace(tmp_path, fpath)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def _algorithm_for(file_hash, hash_algorithm):
    if hash_algorithm == 'sha256' or (hash_algorithm == 'auto' and len(file_hash) == 64):
        return 'sha256'
    return 'md5'


def _fetch_failure(origin, fpath, code, reason):
    return ('URL fetch failure on {} : {} -- {}\n'
            'The file is not in the cache and could not be downloaded. To use it offline, '
            'download it by other means and place it at: {}'.format(origin, code, reason,
                                                                   fpath))


def get_file(fname, origin, untar=False, md5_hash=None, file_hash=None,
             cache_subdir='datasets', hash_algorithm='auto', extract=False,
             archive_format='auto', cache_dir=None):
    """Downloads a file from a URL unless it is already in the cache.

    The file is stored as `<cache_dir>/<cache_subdir>/<fname>`, by default
    `~/.keras/datasets/<fname>` (the directory Keras 2 uses, so its downloads are reused;
    `$KERAS_HOME` replaces `~/.keras` when set). When that directory cannot be written,
    `/tmp/.keras` is used instead. A cached file is used as is, with no network access, when
    no hash is given or when its hash matches; otherwise it is downloaded again.

    # Arguments
        fname: name of the file. An absolute path stores the file at that location.
        origin: URL of the file.
        untar: deprecated in favour of `extract`. The file is `<fname>.tar.gz`, extracted
            next to it, and the path of the extracted `<fname>` is returned.
        md5_hash: deprecated in favour of `file_hash`: md5 hash of the file.
        file_hash: expected sha256 or md5 hash of the file.
        cache_subdir: subdirectory of the cache where the file is stored; an absolute path
            stores it there.
        hash_algorithm: `'md5'`, `'sha256'` or `'auto'` (chosen from the hash's length).
        extract: whether to extract the file as an archive (tar or zip) next to it.
        archive_format: `'auto'`, `'tar'`, `'zip'` or `None`, for `extract`.
        cache_dir: cache location, instead of `$KERAS_HOME` / `~/.keras`.

    # Returns
        The path to the file (for `untar`, to the extracted directory).

    # Raises
        IOError: when the file is not cached (or fails its hash check) and cannot be
            downloaded; the message names the URL and the path where the file can be put
            by hand.
    """
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = 'md5'
    target = fname + '.tar.gz' if untar else fname

    fpath = datadir = None
    stale = None
    for candidate_dir in cache_dirs(cache_subdir, cache_dir):
        candidate = os.path.join(candidate_dir, target)
        if not os.path.isfile(candidate):
            continue
        if file_hash is None or validate_file(candidate, file_hash, hash_algorithm):
            fpath, datadir = candidate, candidate_dir
            break
        stale = stale or candidate

    if fpath is None:
        datadir = _writable_cache_dir(cache_subdir, cache_dir)
        fpath = os.path.join(datadir, target)
        os.makedirs(os.path.dirname(fpath) or '.', exist_ok=True)
        if stale is not None:
            print('A local file was found, but it seems to be incomplete or outdated because '
                  'the ' + hash_algorithm + ' file hash does not match the original value of '
                  + file_hash + ' so we will re-download the data.')
        _download(origin, fpath, file_hash, hash_algorithm)

    if untar:
        untar_fpath = os.path.join(datadir, fname)
        if not os.path.exists(untar_fpath):
            _extract_archive(fpath, datadir, archive_format='tar')
        return untar_fpath

    if extract:
        _extract_archive(fpath, datadir, archive_format)
    return fpath
