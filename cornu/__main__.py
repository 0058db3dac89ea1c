"""`python -m cornu ...`: run legacy Keras scripts on cornu, convert model files, or print
the set-up.

    python -m cornu run old_script.py [args...]   # `import keras` inside resolves to cornu
    python -m cornu run --trust-saved-code old_script.py [args...]
                                                  # ... and loads saved Lambda bytecode
    python -m cornu convert IN OUT                # e.g. model.h5 -> model.keras / model.onnx
    python -m cornu info                          # engine, device, versions
"""
import argparse
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

# The variable that `cornu._common.serialization` reads; named here so that `run` sets it
# without importing cornu (and choosing an engine) before the script does.
TRUST_SAVED_CODE_VARIABLE = 'CORNU_TRUST_SAVED_CODE'


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `keras` and `keras.*` imports to `cornu` and `cornu.*`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'keras' and not fullname.startswith('keras.'):
            return None
        target_name = 'cornu' + fullname[len('keras'):]
        if importlib.util.find_spec(target_name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(target_name))


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target_name):
        self.target_name = target_name

    def create_module(self, spec):
        return importlib.import_module(self.target_name)

    def exec_module(self, module):
        pass


def install_keras_alias():
    """Makes `import keras` (and its submodules) import cornu for the rest of the process."""
    if not any(isinstance(f, KerasAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, KerasAliasFinder())


def _info():
    import numpy
    import cornu
    from cornu import backend as K
    from cornu.backend import kernels
    print('cornu', cornu.__version__, '(Keras API', cornu.__keras_version__ + ')')
    print('engine:', K.backend(), '| device:', kernels.device())
    print('floatx:', K.floatx(), '| epsilon:', K.epsilon(), '| image_data_format:',
          K.image_data_format())
    print('numpy', numpy.__version__)


def _convert(options):
    from cornu.engine.converter import convert
    try:
        print(convert(options.source, options.target, architecture=options.architecture,
                      weights_only=options.weights_only,
                      safe_mode=not options.trust_saved_code, check=not options.no_check))
    except (ValueError, TypeError, OSError, ImportError, RuntimeError) as error:
        print('python -m cornu convert: ' + str(error), file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m cornu', description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('run', help='run a Keras 2 script with `keras` mapped to cornu')
    run.add_argument('--trust-saved-code', action='store_true',
                     help='let the script load Lambda layers saved as Python bytecode (runs '
                          'code from the files it loads: only for files you trust); the same '
                          'as setting ' + TRUST_SAVED_CODE_VARIABLE + '=1')
    run.add_argument('script')
    run.add_argument('args', nargs=argparse.REMAINDER)
    commands.add_parser('info', help='print the engine, device and versions')
    convert = commands.add_parser(
        'convert', help='convert a model file: .h5 (Keras 2), .keras (Keras 3), '
        '.weights.h5, .json or .onnx, chosen by the output name')
    convert.add_argument('source', metavar='IN', help='model file (any Keras generation), or '
                         'a weights file with --architecture')
    convert.add_argument('target', metavar='OUT')
    convert.add_argument('--architecture', metavar='JSON',
                         help="the model's architecture (model.to_json()) for a weights file")
    convert.add_argument('--weights-only', action='store_true',
                         help='for a .h5 output: the weights alone, in Keras 2\'s layout')
    convert.add_argument('--no-check', action='store_true',
                         help='for an .onnx output: skip the ONNX Runtime check')
    convert.add_argument('--trust-saved-code', action='store_true',
                         help='allow loading the Python code of Lambda layers (only for '
                         'files you trust)')
    options = parser.parse_args(argv)
    if options.command == 'info':
        _info()
        return 0
    if options.command == 'convert':
        return _convert(options)
    if options.trust_saved_code:
        # Through the environment, so that processes the script starts trust it too.
        os.environ[TRUST_SAVED_CODE_VARIABLE] = '1'
    install_keras_alias()
    sys.argv = [options.script] + list(options.args)
    runpy.run_path(options.script, run_name='__main__')
    return 0


if __name__ == '__main__':
    sys.exit(main())
