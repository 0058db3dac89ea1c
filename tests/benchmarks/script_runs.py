"""Runs a script of `benchmarks/` in a process of its own, as a user runs it: from the
repository's root, with the repository on `PYTHONPATH`, and the engine (`CORNU_BACKEND`)
left for the script to choose."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_benchmark(script, args, timeout=300, merge_output=False, unset=(), **env):
    """The finished process (`subprocess.CompletedProcess`, text output) of
    `benchmarks/<script> <args>`; `env` adds variables, `unset` removes more than
    `CORNU_BACKEND`, and `merge_output` sends stderr into stdout."""
    environment = dict(os.environ, PYTHONPATH=REPO, **env)
    for name in ('CORNU_BACKEND',) + tuple(unset):
        environment.pop(name, None)
    return subprocess.run([sys.executable, os.path.join(REPO, 'benchmarks', script)] +
                          list(args), cwd=REPO, env=environment, text=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
                          timeout=timeout)
