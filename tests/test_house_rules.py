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


# ---------------------------------------------------------------------------------------------
# The import graph: no cycles, counting the imports inside functions.
#
# Every module of the package is a node (a package's `__init__.py` is the node named after the
# package). An import statement anywhere in a module, at module level or inside a function,
# class or method, is an edge from that module to each module the statement makes Python run:
#
# - `import a.b.c` and `from a.b.c import name` (a name defined in `a.b.c`) run `a.b.c`;
#   `from a.b import c`, where `a/b/c.py` or `a/b/c/` exists, runs the submodule `a.b.c`;
#   `from . import c` resolves against the importing module's package (a package's own
#   `__init__` is its package), as Python does.
# - Python runs the parent packages of a module before the module itself, so an import also
#   runs each parent package `__init__` of its target, except the importing module's own
#   parents: those are already running when it runs. So `pkg/sub.py` saying
#   `from . import other` is an edge to `pkg.other` only, never to `pkg`, while
#   `from pkg import name` (a name of `pkg/__init__.py`) is an edge to `pkg`, and an import of
#   `other_pkg.mod` from outside `other_pkg` is an edge to `other_pkg` and to `other_pkg.mod`.
# - `importlib.import_module` with a constant name (relative names resolved against
#   `__name__` or `__package__`) is an edge like any import. An import whose name is computed
#   when the program runs is only allowed where DYNAMIC_IMPORTS declares the modules it may
#   reach; those become its edges.
# - An import of a name of the package that does not resolve to a module is reported.
# ---------------------------------------------------------------------------------------------

# Imports by a computed name, and the modules or packages (every module in them) they may
# reach: `engine_choice.engine_module` imports a module of the chosen engine (for `K`,
# `cornu.backend.kernels` and `cornu.backend.steps`), and `cornu.backend` the engine-neutral
# `api` modules behind `K`; `python -m cornu run` resolves a script's
# `keras.*` imports to any module of cornu; `plot_model` looks for pydot and its forks,
# outside cornu.
DYNAMIC_IMPORTS = {
    'cornu.backend.engine_choice': ('cornu.backend.torch', 'cornu.backend.jax'),
    'cornu.backend': ('cornu.backend.api',),
    'cornu.__main__': ('cornu',),
    'cornu.utils.vis_utils': (),
}


def _module_names(package_dir):
    """Maps each module name under `package_dir` to its path; packages to their `__init__`."""
    modules = {}
    for path in sorted(package_dir.rglob('*.py')):
        parts = path.relative_to(package_dir.parent).with_suffix('').parts
        if parts[-1] == '__init__':
            parts = parts[:-1]
        modules['.'.join(parts)] = path
    return modules


def _parents(name):
    parts = name.split('.')
    return ['.'.join(parts[:i]) for i in range(1, len(parts))]


def _is_import_module_call(node):
    if not isinstance(node, ast.Call) or not node.args:
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return (func.attr == 'import_module' and isinstance(func.value, ast.Name)
                and func.value.id == 'importlib')
    return isinstance(func, ast.Name) and func.id == 'import_module'


class ImportGraph:
    """The import graph of one package, read from its source with `ast`.

    # Arguments
        package_dir: path of the package's directory (the one holding its `__init__.py`).
        dynamic_imports: dict mapping a module name to the modules or packages that its
            imports by a computed name may reach.

    # Attributes
        edges: dict mapping each module name to a dict `{imported module: line number}`.
        problems: list of strings, one per import that could not be resolved.
    """

    def __init__(self, package_dir, dynamic_imports=None):
        self.package = pathlib.Path(package_dir).name
        self.modules = _module_names(pathlib.Path(package_dir))
        self.dynamic_imports = dynamic_imports or {}
        self.edges = {name: {} for name in self.modules}
        self.problems = []
        for name, path in self.modules.items():
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                self._read(name, node)

    def _is_package(self, name):
        return self.modules[name].name == '__init__.py'

    def _own_package(self, name):
        return name if self._is_package(name) else name.rpartition('.')[0]

    def _ours(self, name):
        return name == self.package or name.startswith(self.package + '.')

    def _add(self, importer, target, line):
        """Records that `importer` runs `target` (and the parents of `target` it runs)."""
        if target not in self.modules:
            self.problems.append(f'{importer}:{line} imports {target}, which is not a module')
            return
        already_running = set(_parents(importer)) | {importer}
        for module in _parents(target):
            if module not in already_running:
                self.edges[importer].setdefault(module, line)
        if target != importer:
            self.edges[importer].setdefault(target, line)

    def _relative_base(self, importer, level, module):
        base = self._own_package(importer)
        for _ in range(level - 1):
            base = base.rpartition('.')[0]
        return f'{base}.{module}' if module else base

    def _read(self, importer, node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if self._ours(alias.name):
                    self._add(importer, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = (self._relative_base(importer, node.level, node.module) if node.level
                    else node.module)
            if not self._ours(base):
                return
            for alias in node.names:
                submodule = f'{base}.{alias.name}'
                self._add(importer, submodule if submodule in self.modules else base,
                          node.lineno)
        elif _is_import_module_call(node):
            self._read_import_module(importer, node)

    def _read_import_module(self, importer, node):
        name = node.args[0]
        package = node.args[1] if len(node.args) > 1 else next(
            (keyword.value for keyword in node.keywords if keyword.arg == 'package'), None)
        anchors = {'__name__': importer, '__package__': self._own_package(importer)}
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            target = name.value
            if target.startswith('.'):
                if not (isinstance(package, ast.Name) and package.id in anchors):
                    self.problems.append(f'{importer}:{node.lineno} imports {target!r} '
                                         'relative to an unknown package')
                    return
                level = len(target) - len(target.lstrip('.'))
                base = anchors[package.id]
                if package.id == '__name__' and not self._is_package(importer):
                    base = importer
                for _ in range(level - 1):
                    base = base.rpartition('.')[0]
                target = f"{base}.{target.lstrip('.')}"
            if self._ours(target):
                self._add(importer, target, node.lineno)
            return
        if importer not in self.dynamic_imports:
            self.problems.append(f'{importer}:{node.lineno} imports a module by a computed '
                                 'name; declare the modules it may reach')
            return
        for package in self.dynamic_imports[importer]:
            for module in self.modules:
                if module == package or module.startswith(package + '.'):
                    self._add(importer, module, node.lineno)

    def cycles(self):
        """Returns one cycle per strongly connected group of modules, as lists of names."""
        return [self._shortest_cycle(group) for group in _strongly_connected(self.edges)
                if len(group) > 1 or group[0] in self.edges[group[0]]]

    def _shortest_cycle(self, group):
        members = set(group)
        start = min(group)
        came_from = {start: None}
        frontier = [start]
        while frontier:
            following = []
            for module in frontier:
                for target in sorted(self.edges[module]):
                    if target == start:
                        path = [module]
                        while came_from[path[-1]] is not None:
                            path.append(came_from[path[-1]])
                        return path[::-1] + [start]
                    if target in members and target not in came_from:
                        came_from[target] = module
                        following.append(target)
            frontier = following
        raise AssertionError(f'{group} is not a cycle')

    def describe(self, cycle):
        """`a (line 3) -> b (line 10) -> a`: a cycle with the line of each import."""
        steps = [f'{module} (line {self.edges[module][target]})'
                 for module, target in zip(cycle, cycle[1:])]
        return ' -> '.join(steps + [cycle[-1]])


def _strongly_connected(edges):
    """Tarjan's algorithm, iterative; returns the groups as sorted lists of names."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges[target]))))
                    advanced = True
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                groups.append(sorted(group))
    return groups


def test_the_package_has_no_import_cycle():
    graph = ImportGraph(PACKAGE, DYNAMIC_IMPORTS)
    assert graph.problems == []
    cycles = [graph.describe(cycle) for cycle in graph.cycles()]
    assert cycles == [], 'import cycles (module (line of the import) -> ...):\n' + '\n'.join(cycles)


def test_the_engine_imports_neither_the_layers_nor_the_models():
    # Layer and model configs are rebuilt through the registry of `_common.serialization`.
    graph = ImportGraph(PACKAGE, DYNAMIC_IMPORTS)
    above = ('cornu.layers', 'cornu.models', 'cornu.utils')
    offenders = [f'{module}:{line} imports {target}'
                 for module, targets in sorted(graph.edges.items())
                 if module.startswith('cornu.engine')
                 for target, line in sorted(targets.items())
                 if any(target == name or target.startswith(name + '.') for name in above)]
    assert offenders == []


def _write_tree(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / 'pkg'


def test_the_import_graph_sees_a_cycle_through_a_function(tmp_path):
    package = _write_tree(tmp_path, {
        'pkg/__init__.py': 'from . import low\n',
        'pkg/low.py': 'def build():\n    from .high import make\n    return make()\n',
        'pkg/high.py': 'from .low import build\n\ndef make():\n    return 1\n',
    })
    graph = ImportGraph(package)
    assert graph.problems == []
    assert graph.cycles() == [['pkg.high', 'pkg.low', 'pkg.high']]
    assert graph.describe(graph.cycles()[0]) == 'pkg.high (line 1) -> pkg.low (line 2) -> pkg.high'


def test_the_import_graph_resolves_packages_and_submodules(tmp_path):
    package = _write_tree(tmp_path, {
        'pkg/__init__.py': 'from .sub import thing\nNAME = 1\n',
        'pkg/sub/__init__.py': 'from . import other\nfrom .other import thing\n',
        'pkg/sub/other.py': 'import importlib\n'
                            'def f():\n    import pkg.leaf\n'
                            '    importlib.import_module(".leaf", __package__)\n'
                            'thing = 1\n',
        'pkg/sub/leaf.py': '',
        'pkg/leaf.py': '',
        'pkg/user.py': 'from pkg.sub import leaf\n',
        'pkg/top.py': 'from pkg import NAME\n',
    })
    graph = ImportGraph(package)
    assert graph.problems == []
    # A package's own submodules: edges to them, never back to the package being run.
    assert graph.edges['pkg'] == {'pkg.sub': 1}
    assert graph.edges['pkg.sub'] == {'pkg.sub.other': 1}
    # From outside a package, importing its submodule runs the package's `__init__` too.
    assert graph.edges['pkg.sub.other'] == {'pkg.leaf': 3, 'pkg.sub.leaf': 4}
    assert graph.edges['pkg.user'] == {'pkg.sub': 1, 'pkg.sub.leaf': 1}
    # A name defined in a package's `__init__` is an edge to the package.
    assert graph.edges['pkg.top'] == {'pkg': 1}
    assert graph.cycles() == []


def test_the_import_graph_sees_a_cycle_through_a_package_init(tmp_path):
    package = _write_tree(tmp_path, {
        'pkg/__init__.py': 'from . import sub\nNAME = 1\n',
        'pkg/sub.py': 'def f():\n    from . import NAME\n',
    })
    assert ImportGraph(package).cycles() == [['pkg', 'pkg.sub', 'pkg']]


def test_the_import_graph_reports_what_it_cannot_resolve(tmp_path):
    package = _write_tree(tmp_path, {
        'pkg/__init__.py': 'import importlib\n'
                           'def load(name):\n    return importlib.import_module(name)\n',
        'pkg/a.py': 'from pkg.missing import x\n',
    })
    graph = ImportGraph(package)
    assert sorted(graph.problems) == [
        'pkg.a:1 imports pkg.missing, which is not a module',
        'pkg:3 imports a module by a computed name; declare the modules it may reach']
    declared = ImportGraph(package, {'pkg': ('pkg.a',)})
    assert declared.edges['pkg'] == {'pkg.a': 3}
