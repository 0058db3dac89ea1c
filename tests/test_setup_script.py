"""`scripts/setup.sh`, the README's set-up, run with stand-ins for apt-get, sudo, id, python3
and pip that record their calls: as root it calls apt-get directly, as a user through sudo,
without sudo it skips the system packages with a note; then the venv, PyTorch pinned, cornu
with its extras, and with `--jax` the JAX engine."""
import os
import pathlib
import shutil
import stat
import subprocess

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
REAL_TOOLS = ('bash', 'sed', 'dirname', 'env', 'cat', 'mkdir')

RECORDER = '''#!/bin/bash
echo "{name} $*" >> "$CALLS"
'''
# python3: `-c 'import ensurepip, venv'` answers as $HAS_VENV says; `-m venv DIR` makes an
# activate script that does nothing.
PYTHON3 = '''#!/bin/bash
echo "python3 $*" >> "$CALLS"
if [ "$1" = "-c" ]; then exit "$HAS_VENV"; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin"; echo ":" > "$3/bin/activate"; fi
'''
SUDO = '''#!/bin/bash
echo "sudo $*" >> "$CALLS"
"$@"
'''


def _write_tool(directory, name, text):
    path = directory / name
    path.write_text(text.format(name=name) if '{name}' in text else text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run_setup(tmp_path, *options, uid=0, sudo=True, has_venv=0):
    checkout = tmp_path / 'checkout'
    (checkout / 'scripts').mkdir(parents=True)
    shutil.copy(REPOSITORY / 'scripts' / 'setup.sh', checkout / 'scripts' / 'setup.sh')
    tools = tmp_path / 'tools'
    tools.mkdir()
    for name in REAL_TOOLS:
        os.symlink(shutil.which(name), tools / name)
    for name in ('apt-get', 'pip'):
        _write_tool(tools, name, RECORDER)
    _write_tool(tools, 'id', '#!/bin/bash\necho %d\n' % uid)
    _write_tool(tools, 'python3', PYTHON3)
    if sudo:
        _write_tool(tools, 'sudo', SUDO)
    calls = tmp_path / 'calls'
    env = {'PATH': str(tools), 'CALLS': str(calls), 'HAS_VENV': str(has_venv),
           'HOME': str(tmp_path)}
    result = subprocess.run([str(tools / 'bash'), str(checkout / 'scripts' / 'setup.sh')] +
                            list(options), env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return calls.read_text().splitlines(), result.stdout


PIP_CALLS = ['pip install torch==2.13.0', "pip install -e .[torch,dev,viz,onnx,tensorboard]"]


def test_as_root_apt_get_runs_directly(tmp_path):
    calls, _ = _run_setup(tmp_path, uid=0)
    assert calls == [
        'python3 -c import ensurepip, venv',
        'apt-get update',
        'apt-get install -y graphviz',
        'apt-get install -y dataset-fashion-mnist',
        'python3 -m venv .venv'] + PIP_CALLS


def test_as_a_user_apt_get_goes_through_sudo_and_venv_is_installed_where_missing(tmp_path):
    calls, _ = _run_setup(tmp_path, '--quiet', uid=1000, has_venv=1)
    assert calls[:4] == [
        'python3 -c import ensurepip, venv',
        'sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q',
        'apt-get update -q',
        'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv '
        'graphviz']
    assert calls[-2:] == ['pip install -q torch==2.13.0',
                          'pip install -q -e .[torch,dev,viz,onnx,tensorboard]']


def test_without_root_or_sudo_the_system_packages_are_skipped_with_a_note(tmp_path):
    calls, output = _run_setup(tmp_path, uid=1000, sudo=False)
    assert not [c for c in calls if c.startswith('apt-get')]
    assert 'note: not root and no sudo: skipping apt-get' in output
    assert calls[-2:] == PIP_CALLS


def test_jax_option_installs_the_jax_engine(tmp_path):
    calls, _ = _run_setup(tmp_path, '--jax')
    assert calls[-4:] == PIP_CALLS + [
        'pip install jax==0.10.2 jaxlib==0.10.2 optax==0.2.8', 'pip install -e .[jax]']


def test_an_unknown_option_is_refused(tmp_path):
    with pytest.raises(AssertionError, match="unknown option '--gpu'"):
        _run_setup(tmp_path, '--gpu')
