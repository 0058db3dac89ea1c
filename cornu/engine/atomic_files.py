"""Atomic writes: a file is written under a temporary name in its folder, then renamed over
its target, so that a reader never sees half a file and a failed or killed save leaves the
old file as it was.

A temporary is named `.<target name>.<12 hex digits>.tmp`. A writer killed outright (`kill
-9`, a power cut) cannot remove its temporary, so each write first removes the abandoned
temporaries of its own target: only names of that exact pattern, and only those no live
writer holds. A writer holds its temporary by an exclusive `flock` on it for the whole
write; the lock goes with the process, however it ends, so a temporary whose lock can be
taken is abandoned. This tells a concurrent writer from a dead one wherever they share the
kernel (other processes, other containers), where a process id in the name would not (ids
are reused, and differ between PID namespaces). A temporary found empty and less than a
minute old is left alone: its writer may have created it and not yet locked it. (A writer
that opens its temporary with HDF5 turns HDF5's own locking off for it, as HDF5 would
otherwise find the file locked, by this lock.)

Limits: on systems without `flock` (Windows) nothing is locked, and a temporary is removed
when the system lets it be removed (a file another process has open cannot be); on NFS, where
Linux emulates `flock` with POSIX locks, a writer's lock ends when its HDF5 library closes the
temporary, moments before the rename. Temporaries left by releases that held no lock are
removed as abandoned.
"""
import contextlib
import os
import re
import stat
import time
import uuid

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

# An empty temporary younger than this may belong to a writer about to lock it.
_UNLOCKED_GRACE_SECONDS = 60.


def temporary_pattern(target_name):
    """The compiled pattern of the temporaries written for the file named `target_name`."""
    return re.compile(r'\.' + re.escape(target_name) + r'\.[0-9a-f]{12}\.tmp\Z')


def _lock(fd):
    """Takes the exclusive lock of an open file without waiting; whether it was taken."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _claim_temporary(path):
    """Creates a new temporary for `path` and locks it: `(its path, the open locked fd)`
    (`None` for the fd where nothing is locked: an open file could not be renamed there)."""
    directory, base = os.path.split(path)
    while True:
        candidate = os.path.join(directory, '.' + base + '.' + uuid.uuid4().hex[:12] + '.tmp')
        try:
            # 0o666 less the umask, as a file opened for writing would get.
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        if fcntl is None:
            os.close(fd)
            return candidate, None
        _lock(fd)
        return candidate, fd


def _remove_if_abandoned(candidate):
    """Removes the temporary `candidate` unless a live writer holds it."""
    try:
        fd = os.open(candidate, os.O_RDONLY)
    except OSError:
        return  # gone meanwhile, or not ours to open
    try:
        if not _lock(fd):
            return  # a live writer holds it
        status = os.fstat(fd)
        if status.st_size == 0 and time.time() - status.st_mtime < _UNLOCKED_GRACE_SECONDS:
            return
        # Removed by name: only if the name still means the file that was locked.
        if os.stat(candidate).st_ino == status.st_ino:
            os.remove(candidate)
    except OSError:
        pass  # removed meanwhile by another writer, or in use (Windows)
    finally:
        os.close(fd)


def remove_abandoned_temporaries(path):
    """Removes the temporaries that writers of `path` killed mid-write left in its folder.

    # Arguments
        path: the target file (its folder must exist).
    """
    directory, base = os.path.split(os.path.abspath(path))
    pattern = temporary_pattern(base)
    prefix = '.' + base + '.'
    try:
        entries = [entry.name for entry in os.scandir(directory)
                   if entry.name.startswith(prefix) and pattern.match(entry.name)]
    except OSError:
        return
    for name in entries:
        _remove_if_abandoned(os.path.join(directory, name))


@contextlib.contextmanager
def atomic_file(filepath):
    """Yields the path of a new temporary file in `filepath`'s folder, renamed over
    `filepath` (its permissions kept) once the block ends without error, after its data
    reached the disk; on an error it is removed and `filepath` is left as it was. The
    temporaries of earlier writes of `filepath` that were killed are removed first.

    # Arguments
        filepath: the file to write (a symbolic link is followed: its target is replaced).

    # Raises
        FileNotFoundError: if the folder of `filepath` does not exist.
        IsADirectoryError: if `filepath` is a folder.
    """
    path = os.path.realpath(filepath) if os.path.islink(filepath) else filepath
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError('Cannot save to ' + str(filepath) + ': the directory ' +
                                directory + ' does not exist.')
    if os.path.isdir(path):
        raise IsADirectoryError('Cannot save to ' + str(filepath) + ': it is a directory.')
    remove_abandoned_temporaries(path)
    temporary, lock = _claim_temporary(path)
    try:
        yield temporary
        with open(temporary, 'rb+') as handle:
            os.fsync(handle.fileno())
        if os.path.exists(path):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise
    finally:
        if lock is not None:
            os.close(lock)
