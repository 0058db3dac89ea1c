"""Rules of the code base that a reviewer would check first."""
import ast
import pathlib

import cornu

PACKAGE = pathlib.Path(cornu.__file__).parent
ENGINE_MODULES = ('torch', 'jax', 'jaxlib', 'optax')


def _imported_roots(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split('.')[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split('.')[0], node.lineno


def test_only_the_backend_imports_an_engine():
    offenders = []
    for path in sorted(PACKAGE.rglob('*.py')):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == 'backend':
            continue
        for root, line in _imported_roots(path):
            if root in ENGINE_MODULES:
                offenders.append('%s:%d imports %s' % (relative, line, root))
    assert offenders == []


def test_the_rule_checker_sees_imports(tmp_path):
    sample = tmp_path / 'sample.py'
    sample.write_text('import numpy\nfrom torch import nn\ndef f():\n    import jax.numpy\n')
    assert [root for root, _ in _imported_roots(sample)] == ['numpy', 'torch', 'jax']
