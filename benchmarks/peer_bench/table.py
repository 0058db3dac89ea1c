"""The results table of `benchmarks/peers.py`: medians of the repeated runs as Markdown,
samples per second with the ratios to the hand-written PyTorch loop, and the compile
(warm-up) times in a table of their own."""
import collections
import statistics

from peer_bench.workloads import WORKLOADS

IMPLS = collections.OrderedDict([
    ('torch', 'raw torch'), ('jax', 'raw jax+optax'), ('keras3-torch', 'Keras 3 torch'),
    ('keras3-jax', 'Keras 3 jax'), ('tf-keras', 'tf-keras'), ('cornu-torch', 'cornu torch'),
    ('cornu-jax', 'cornu jax'),
])
BASELINE = 'torch'


def medians(runs):
    """{(impl, workload): cell} with the medians of the runs that succeeded (`None` for a
    cell where none did, with the reason of the last one that did not)."""
    grouped = collections.OrderedDict()
    for run in runs:
        grouped.setdefault((run['impl'], run['workload']), []).append(run)
    cells = {}
    for key, group in grouped.items():
        ok = [run for run in group if run['status'] == 'ok']
        if not ok:
            cells[key] = {'status': group[-1]['status'], 'reason': group[-1].get('reason', '')}
            continue
        cell = {'status': 'ok', 'runs': len(ok)}
        for field in ('fit_s', 'fit_cpu_s', 'predict_s', 'predict_cpu_s', 'compile_fit_s',
                      'compile_predict_s', 'build_s'):
            cell[field] = statistics.median(run[field] for run in ok)
        cell['samples'] = ok[0]['samples']
        cells[key] = cell
    return cells


def _rate(cell, phase, clock):
    return cell['samples'] / max(cell['%s_%s' % (phase, clock)], 1e-12)


def _row(cells, impls, workload, phase):
    rates = {impl: _rate(cells[(impl, workload)], phase, 's')
             for impl in impls if cells.get((impl, workload), {}).get('status') == 'ok'}
    best = max(rates, key=rates.get) if rates else None
    base = cells.get((BASELINE, workload), {})
    entries = []
    for impl in impls:
        cell = cells.get((impl, workload))
        if cell is None:
            entries.append('')
            continue
        if cell['status'] != 'ok':
            entries.append(cell['status'])
            continue
        text = '{:,.0f}'.format(rates[impl])
        if impl == best:
            text = '**%s**' % text
        if impl != BASELINE and base.get('status') == 'ok':
            text += ' (%.2f, cpu %.2f)' % (
                rates[impl] / _rate(base, phase, 's'),
                _rate(cell, phase, 'cpu_s') / _rate(base, phase, 'cpu_s'))
        entries.append(text)
    return '| %s %s | %s |' % (workload, 'train' if phase == 'fit' else 'predict',
                               ' | '.join(entries))


def render(runs, settings=None):
    """The Markdown text of the tables for `runs` (the records the workers returned), with
    a line of the run's `settings` (sample counts, threads, repeats) when given."""
    cells = medians(runs)
    present = {impl for impl, _ in cells}
    impls = [impl for impl in IMPLS if impl in present]
    workloads = [name for name in WORKLOADS if any(name == w for _, w in cells)]
    header = '| workload | %s |' % ' | '.join(IMPLS[impl] for impl in impls)
    rule = '|---|%s' % ('---|' * len(impls))
    lines = ['Samples/s, median of the runs; (ratio to raw torch by wall time, by CPU time).']
    if settings:
        lines.append('Samples: %s; %s thread(s), %s repeat(s).' % (
            ', '.join('%s %d' % item for item in settings['workloads'].items()),
            settings['threads'], settings['repeats']))
    lines += ['', header, rule]
    for phase in ('fit', 'predict'):
        lines.extend(_row(cells, impls, workload, phase) for workload in workloads)
    lines += ['', 'Compile: seconds to build and compile the model / of the warm-up fit / '
              'of the warm-up predict (on a subset), median.', '', header, rule]
    for workload in workloads:
        entries = []
        for impl in impls:
            cell = cells.get((impl, workload), {'status': ''})
            entries.append('%.2f / %.2f / %.2f' % (cell['build_s'], cell['compile_fit_s'],
                                                   cell['compile_predict_s'])
                           if cell['status'] == 'ok' else cell['status'])
        lines.append('| %s | %s |' % (workload, ' | '.join(entries)))
    versions = collections.OrderedDict()
    for run in runs:
        if run['status'] == 'ok' and run.get('version'):
            versions.setdefault(run['impl'], run['version'])
    if versions:
        lines += ['', 'Versions: ' + '; '.join('%s: %s' % (IMPLS[impl], versions[impl])
                                             for impl in impls if impl in versions) + '.']
    notes = sorted({'%s on %s: %s' % (impl, workload, cell['reason'])
                    for (impl, workload), cell in cells.items()
                    if cell['status'] != 'ok' and cell.get('reason')})
    if notes:
        lines += [''] + ['- ' + note for note in notes]
    return '\n'.join(lines)
