"""`python -m cornu ...`: run Keras 2 scripts on cornu, convert model files, or print the
set-up.

    python -m cornu run old_script.py [args...]   # `import keras` inside resolves to cornu
    python -m cornu run --trust-saved-code old_script.py [args...]
                                                  # ... and loads saved Lambda bytecode
    python -m cornu convert IN OUT                # e.g. model.h5 -> model.keras / model.onnx
    python -m cornu info                          # engines, devices, versions, configuration
"""
import argparse
import importlib
import importlib.abc
import importlib.util
import json
import os
import platform
import runpy
import sys
import types

# The variable that `cornu._common.serialization` reads; named here so that `run` sets it
# without importing cornu (and choosing an engine) before the script does.
TRUST_SAVED_CODE_VARIABLE = 'CORNU_TRUST_SAVED_CODE'

_RUN_DESCRIPTION = """\
Runs SCRIPT as `python SCRIPT ARGS...` would (as `__main__`, with sys.argv = [SCRIPT, ARGS...]
and the script's folder first on sys.path), with `import keras` and `import keras.<module>`
resolving to cornu and its modules. Inside, `keras.__version__` reads '%s', the Keras version
whose API cornu follows (scripts and libraries branch on it); `cornu.__version__` stays
cornu's own. A traceback starts at the script. Without TensorFlow installed, `import
tensorflow` fails with a message saying what to use instead. The engine is chosen as for
`import cornu` (CORNU_BACKEND, else ~/.cornu/cornu.json, else ~/.keras/keras.json)."""


class KerasModule(types.ModuleType):
    """`keras` in a script run by `python -m cornu run`: every name and module of cornu, and
    Keras' own `__version__` (`'2.2.4'`), on which scripts and libraries branch.

    # Arguments
        cornu_module: the `cornu` package.
    """

    def __init__(self, cornu_module):
        super(KerasModule, self).__init__('keras', cornu_module.__doc__)
        self.__dict__['_cornu'] = cornu_module
        self.__version__ = cornu_module.__keras_version__
        self.__path__ = list(cornu_module.__path__)
        self.__file__ = cornu_module.__file__

    def __getattr__(self, name):
        return getattr(self.__dict__['_cornu'], name)

    def __dir__(self):
        return sorted(set(dir(self.__dict__['_cornu'])) | set(self.__dict__) - {'_cornu'})


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `keras` to a `KerasModule` and `keras.*` imports to `cornu.*`."""

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
        module = importlib.import_module(self.target_name)
        return KerasModule(module) if self.target_name == 'cornu' else module

    def exec_module(self, module):
        pass


def install_keras_alias():
    """Makes `import keras` (and its submodules) import cornu for the rest of the process."""
    if not any(isinstance(f, KerasAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, KerasAliasFinder())


# ------------------------------------------------------------------------------------- run

def _frames_from(traceback, script):
    """The part of `traceback` that starts at the first frame of `script` (`None` when it
    holds none of the script's frames: a syntax error, say)."""
    script = os.path.abspath(script)
    while traceback is not None:
        if os.path.abspath(traceback.tb_frame.f_code.co_filename) == script:
            return traceback
        traceback = traceback.tb_next
    return None


def _explain_missing_tensorflow(error):
    """Adds what to use instead to the error of `import tensorflow` (never raised when
    TensorFlow is installed: this only rewords the import's own failure)."""
    name = getattr(error, 'name', None) or ''
    if isinstance(error, ModuleNotFoundError) and name.split('.')[0] == 'tensorflow':
        from cornu.backend.sessions import without_tensorflow
        error.msg = without_tensorflow(
            str(error.msg) + ' (the script imports TensorFlow, which is not installed)')


def _run(options):
    script = options.script
    if not os.path.isfile(script):
        print("python -m cornu run: can't open file %r: no such file" % script,
              file=sys.stderr)
        return 2
    if options.trust_saved_code:
        # Through the environment, so that processes the script starts trust it too.
        os.environ[TRUST_SAVED_CODE_VARIABLE] = '1'
    install_keras_alias()
    sys.argv = [script] + list(options.args)
    # As `python script.py`: the script's folder comes first, so its own modules import.
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    try:
        runpy.run_path(script, run_name='__main__')
    except Exception as error:  # SystemExit and KeyboardInterrupt pass through as they are
        _explain_missing_tensorflow(error)
        # Reported as Python reports it, without the frames of this runner.
        error.__traceback__ = _frames_from(error.__traceback__, script)
        sys.excepthook(type(error), error, error.__traceback__)
        return 1
    return 0


# ------------------------------------------------------------------------------------ info

def _info():
    import numpy
    import cornu
    from cornu import backend as K
    from cornu.backend import common, engine_choice, installed_engines, kernels
    print('cornu %s (the Keras %s API); Python %s; NumPy %s' % (
        cornu.__version__, cornu.__keras_version__, platform.python_version(),
        numpy.__version__))
    print('engine in use: %s (chosen by %s); device: %s' % (
        K.backend(), engine_choice.CHOSEN_BY, kernels.device()))
    for line in installed_engines.describe_engines():
        print(line)
    path, config = common.read_user_config()
    if path is None:
        print('config file: none (looked for %s, then %s)' % (
            common.config_path(), common.keras_config_path()))
    else:
        print('config file: %s %s' % (path, json.dumps(config, sort_keys=True)))
    print('in effect: floatx %s, epsilon %r, image_data_format %s' % (
        K.floatx(), K.epsilon(), K.image_data_format()))


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
    """Runs `python -m cornu` with the command-line arguments `argv` (default: `sys.argv`).

    # Returns
        The exit status: 0 on success.
    """
    parser = argparse.ArgumentParser(prog='python -m cornu', description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    run = commands.add_parser(
        'run', help='run a Keras 2 script with `keras` mapped to cornu',
        description=_RUN_DESCRIPTION % _keras_version(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument('--trust-saved-code', action='store_true',
                     help='let the script load Lambda layers saved as Python bytecode (runs '
                          'code from the files it loads: only for files you trust); the same '
                          'as setting ' + TRUST_SAVED_CODE_VARIABLE + '=1')
    run.add_argument('script', metavar='SCRIPT', help='the Python script to run')
    run.add_argument('args', nargs=argparse.REMAINDER, metavar='ARGS',
                     help="the script's own arguments, passed on as they are")
    commands.add_parser(
        'info', help='print the engines, their devices, versions and the configuration',
        description='Prints cornu\'s version, the engine in use and what chose it, each '
        'engine\'s version and devices (CUDA, ROCm, MPS; JAX devices), the configuration '
        'file in use with its values, and the floatx, epsilon and image_data_format in '
        'effect.')
    convert = commands.add_parser(
        'convert', help='convert a model file: .h5 (Keras 2), .keras (Keras 3), '
        '.weights.h5, .json or .onnx, chosen by the output name')
    convert.add_argument('source', metavar='IN', help='model file (any Keras generation), or '
                         'a weights file with --architecture')
    convert.add_argument('target', metavar='OUT', help='the file to write; its name chooses '
                         'the format')
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
    return _run(options)


def _keras_version():
    from cornu._version import __keras_version__
    return __keras_version__


if __name__ == '__main__':
    sys.exit(main())
