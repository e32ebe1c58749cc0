#!/usr/bin/env python3
"""summarize.py EXPECTATIONS RESULTS_DIR ARCH:TESTS...

Read build/results/<ARCH>.tap (kselftest TAP), compare each result with
tests/expectations, print a table and the lines
'<arch>: N passed, N failed, N skipped' and 'total: ...'.
Exit 1 on anything unexpected: a failure or skip that is not listed, a
listed test that now passes (the list must stay true), a requested test
that did not run, or an empty run.  TESTS is 'all' or a comma list.
"""
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
    totals = [0, 0, 0]
    summary = []
    for spec in sys.argv[3:]:
        arch, _, tests = spec.partition(':')
        res = parse_tap(f'{resdir}/{arch}.tap')
        wanted = list(res) if tests == 'all' else [t.split(':')[-1] for t in tests.split(',') if t]
        print(f'\n{arch} ({resdir}/{arch}.tap)')
        counts = {'pass': 0, 'fail': 0, 'skip': 0}
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
            print(f'  {got.upper():4}  {name} {detail}'.rstrip() + mark)
        for (a, name), (want, why) in sorted(exp.items()):
            if a == arch and want == 'notbuilt':
                print(f'  ----  {name}  (not built: {why})')
        line = f"{arch}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
        summary.append(line)
        totals = [totals[0] + counts['pass'], totals[1] + counts['fail'], totals[2] + counts['skip']]
    print()
    if bad:
        print('unexpected results:')
        for b in bad:
            print('  ' + b)
    for line in summary:
        print(line)
    print(f'total: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
