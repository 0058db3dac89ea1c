#!/usr/bin/env bash
# Sets cornu up in this checkout on a fresh Debian or Ubuntu machine, as root or as a user
# (apt-get goes through sudo only when not root), then `. .venv/bin/activate` uses it.
#
#   scripts/setup.sh            the PyTorch engine, with the test, plot_model, ONNX and
#                               TensorBoard extras
#   scripts/setup.sh --jax      ... and the JAX engine too (CORNU_BACKEND=jax selects it)
#   scripts/setup.sh --quiet    less output (CI)
#
# Steps: the system packages (Python's venv module where missing, Graphviz for plot_model,
# Debian's Fashion-MNIST files for the example; skipped with a note where apt-get cannot
# run), a virtual environment in .venv, PyTorch first, pinned, then cornu itself in editable
# mode with its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.13.0
JAX_PACKAGES=('jax==0.10.2' 'jaxlib==0.10.2' 'optax==0.2.8')
with_jax=0
quiet=()
for argument in "$@"; do
  case "$argument" in
    --jax) with_jax=1 ;;
    --quiet) quiet=(-q) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/setup.sh: unknown option '$argument' (expected --jax, --quiet or --help)" >&2
       exit 2 ;;
  esac
done

# Runs a command as root: directly when root, else through sudo.
as_root() {
  if [ "$(id -u)" = "0" ]; then
    "$@"
  else
    sudo "$@"
  fi
}

# The system packages: Python's venv module where it is missing, Graphviz (plot_model) and
# Debian's Fashion-MNIST files. A failure here is reported and set-up goes on: each is needed
# only by what uses it.
system_packages=(graphviz)
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  system_packages=(python3 python3-venv "${system_packages[@]}")
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: no apt-get: install ${system_packages[*]} with this system's package manager"
elif [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "note: not root and no sudo: skipping apt-get (${system_packages[*]}" \
       "dataset-fashion-mnist)"
else
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update "${quiet[@]}" || \
    echo "warning: apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${quiet[@]}" \
    "${system_packages[@]}" || echo "warning: could not install ${system_packages[*]}"
  # On its own: not every release carries it, and the example can download the data instead.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${quiet[@]}" \
    dataset-fashion-mnist || \
    echo "note: dataset-fashion-mnist is not available here; the example downloads the data"
fi

python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
# PyTorch first, pinned, so that cornu's torch requirement is already satisfied.
pip install "${quiet[@]}" "torch==${TORCH_VERSION}"
pip install "${quiet[@]}" -e '.[torch,dev,viz,onnx,tensorboard]'
if [ "$with_jax" = "1" ]; then
  pip install "${quiet[@]}" "${JAX_PACKAGES[@]}"
  pip install "${quiet[@]}" -e '.[jax]'
fi
echo "cornu is set up in .venv: run '. .venv/bin/activate' (then 'python -m cornu info')."
