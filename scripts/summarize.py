#!/usr/bin/env python3
"""summarize.py EXPECTATIONS RESULTS_DIR ARCH:TESTS...
   summarize.py --compare RESULTS_DIR ARCH...

Read build/results/<ARCH>.tap (kselftest TAP), compare each result with
tests/expectations, print a table and the lines
'<arch>: N passed, N failed, N skipped' and 'total: ...'.
Exit 1 on anything unexpected: a failure or skip that is not listed, a
listed test that now passes (the list must stay true), a requested test
that did not run, or an empty run.  TESTS is 'all' or a comma list.
"""
import os
import re
import sys

RESULT = re.compile(r'^(ok|not ok) \d+ selftests: (\S+): (\S+)(?:\s+#\s*(\S+))?(.*)$')


def load_expectations(path):
    exp = {}
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[2] not in ('fail', 'skip', 'notbuilt'):
            sys.exit(f'{path}:{n}: want "ARCH TEST fail|skip|notbuilt ROOT-CAUSE"')
        exp[(parts[0], parts[1])] = (parts[2], parts[3])
    return exp


def parse_tap(path):
    res = {}
    try:
        lines = open(path, errors='replace').read().splitlines()
    except FileNotFoundError:
        return res
    for line in lines:
        m = RESULT.match(line)
        if not m:
            continue
        ok, _, name, directive, rest = m.groups()
        if ok == 'ok' and directive != 'SKIP':
            res[name] = ('pass', '')
        elif directive == 'SKIP':
            res[name] = ('skip', rest.strip())
        else:
            res[name] = ('fail', ((directive or '') + rest).strip())
    return res


def main():
    exp = load_expectations(sys.argv[1])
    resdir = sys.argv[2]
    bad = []
    totals = [0, 0, 0, 0]
    summary = []
    for spec in sys.argv[3:]:
        arch, _, tests = spec.partition(':')
        res = parse_tap(f'{resdir}/{arch}.tap')
        wanted = list(res) if tests == 'all' else [t.split(':')[-1] for t in tests.split(',') if t]
        print(f'\n{arch} ({resdir}/{arch}.tap)')
        counts = {'pass': 0, 'fail': 0, 'skip': 0}
        known = 0
        if not res:
            bad.append(f'{arch}: no test result at all')
        for name in wanted:
            got, detail = res.get(name, ('fail', 'did not run'))
            counts[got] += 1
            want, why = exp.get((arch, name), ('pass', ''))
            mark = ''
            if got != want:
                mark = '  <-- UNEXPECTED' + (f' (expected {want}: {why})' if want != 'pass' else '')
                bad.append(f'{arch}: {name} {got} {detail}'.rstrip())
            elif want != 'pass':
                mark = f'  (known: {why})'
                known += 1
            print(f'  {got.upper():4}  {name} {detail}'.rstrip() + mark)
        for (a, name), (want, why) in sorted(exp.items()):
            if a == arch and want == 'notbuilt':
                print(f'  ----  {name}  (not built: {why})')
        line = f"{arch}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
        summary.append(line + (f' ({known} of them expected: tests/expectations)' if known else ''))
        totals = [totals[0] + counts['pass'], totals[1] + counts['fail'], totals[2] + counts['skip'], totals[3] + known]
    print()
    if bad:
        print('unexpected results:')
        for b in bad:
            print('  ' + b)
    for line in summary:
        print(line)
    print(f'total: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped'
          + (f' ({totals[3]} of them expected)' if totals[3] else ''))
    return 1 if bad else 0


def kernel_reports(path):
    """The guest kernel's reports (bench.sh's REPORTS), without timestamps
    and addresses, so that the base's and the series' can be compared."""
    pat = re.compile(os.environ['REPORTS'])   # bench.sh's, the one pattern
    out = set()
    try:
        lines = open(path, errors='replace').read().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        if pat.search(line):
            line = re.sub(r'^\[[ 0-9.]+\]\s*', '', line)
            out.add(re.sub(r'0x[0-9a-f]+|[0-9a-f]{8,}|\b\d+\b', 'N', line))
    return out


def compare(resdir, arches):
    """make test-all: every test of the whole suite on the base kernel
    (ARCH-base.tap) and on the series (ARCH.tap).  A test that passes on
    the base and does not pass with the series is a regression, and so is a
    kernel report the base did not give."""
    bad = []
    for arch in arches:
        base = parse_tap(f'{resdir}/{arch}-base.tap')
        ser = parse_tap(f'{resdir}/{arch}.tap')
        print(f'\n{arch}: base ({resdir}/{arch}-base.tap) vs series ({resdir}/{arch}.tap)')
        if not base or not ser:
            bad.append(f'{arch}: no results for the ' + ('base' if not base else 'series'))
        n = {}
        for name in sorted(set(base) | set(ser)):
            b = base.get(name, ('absent', ''))[0]
            s, detail = ser.get(name, ('absent', ''))
            mark = ''
            if b == 'pass' and s != 'pass':
                mark = '  <-- REGRESSION'
                bad.append(f'{arch}: {name} passes on the base, {s} with the series {detail}'.rstrip())
            elif b != s:
                mark = '  (changed)'
            n[(b, s)] = n.get((b, s), 0) + 1
            print(f'  {b:6} -> {s:6}  {name}{mark}')
        print(f'{arch}: ' + ', '.join(f'{v} {b}->{s}' for (b, s), v in sorted(n.items())))
        new = kernel_reports(f'{resdir}/{arch}.dmesg') - kernel_reports(f'{resdir}/{arch}-base.dmesg')
        for r in sorted(new):
            bad.append(f'{arch}: kernel report not seen on the base: {r}')
    print()
    for b in bad:
        print('  ' + b)
    print(f'test-all: {len(bad)} regressions against the base')
    return 1 if bad else 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['--compare']:
        sys.exit(compare(sys.argv[2], sys.argv[3:]))
    sys.exit(main())
