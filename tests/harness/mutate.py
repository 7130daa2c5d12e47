#!/usr/bin/env python3
"""Mutation check of the tests themselves (a developer's tool, not in CI).

    tests/harness/mutate.py [--golden] [FILE...]

For every asserted value in the given test files (the expected lines of a
heredoc, a number after expect_rc, =, -eq, -ge, -lt, <), change it once,
run the test that holds it, and report any mutation the suite did not
catch.  --golden also corrupts each file of tests/golden/ in three places.
Needs NETACL and PROBE in the environment, as `make integration` sets them.
"""
import os, re, subprocess, sys, shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NUM = re.compile(r'((?:expect_rc|\s=|-eq|-ge|-gt|-lt|-le|\s<|\s>) *"?)(\d+)')
QUOTED = re.compile(r'(= *"[^"$]*?)(\d+)')   # = "('audit', 1)"


def tests_of(lines):
    name = None
    for i, l in enumerate(lines):
        m = re.match(r'(test_\w+)\(\) *\{', l)
        if m:
            name = m.group(1)
        elif l.startswith('}'):
            name = None
        yield i, name


def mutations(lines):
    """(line index, new line, what) for each asserted value."""
    heredoc = None
    for i, name in tests_of(lines):
        l = lines[i]
        if not name:
            continue
        if heredoc:
            if l.strip() == heredoc:
                heredoc = None
            elif re.search(r'\b(allow|deny)\b', l):
                new = re.sub(r'\b(allow|deny)\b', lambda m: 'deny' if m.group(1) == 'allow' else 'allow', l, 1)
                yield i, name, new, 'verdict'
            elif re.search(r'\d', l):
                yield i, name, re.sub(r'(\d+)', lambda m: str(int(m.group(1)) + 1), l, 1), 'number'
            continue
        m = re.search(r"<<'?(\w+)'?", l)
        if m and ('diff' in l or 'fail' in l or 'cmp' in l):
            heredoc = m.group(1)
        if 'fail' not in l and 'expect_rc' not in l:
            continue
        seen = set()
        for m in list(NUM.finditer(l)) + list(QUOTED.finditer(l)):
            if m.start(2) in seen:
                continue
            seen.add(m.start(2))
            new = l[:m.start(2)] + str(int(m.group(2)) + 1) + l[m.end(2):]
            yield i, name, new, 'number'


def caught(test, dirs):
    r = subprocess.run([os.path.join(ROOT, 'tests/run.sh'), '-k', test] + dirs,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    return re.search(r'^FAIL %s\b' % re.escape(test), r.stdout, re.M) is not None


def main():
    args = sys.argv[1:]
    golden = '--golden' in args
    files = [a for a in args if a != '--golden']
    dirs = ['tests/integration', 'tests/kernel']
    total = missed = 0
    for f in files:
        path = os.path.join(ROOT, f)
        orig = open(path).read()
        lines = orig.split('\n')
        try:
            for i, test, new, what in list(mutations(lines)):
                mutated = lines[:i] + [new] + lines[i + 1:]
                open(path, 'w').write('\n'.join(mutated))
                total += 1
                ok = caught(test, dirs)
                missed += not ok
                print('%s %s:%d %s (%s): %s' % ('caught' if ok else 'MISSED', f, i + 1, test, what, new.strip()[:90]), flush=True)
        finally:
            open(path, 'w').write(orig)
    if golden:
        for g in sorted(os.listdir(os.path.join(ROOT, 'tests/golden'))):
            path = os.path.join(ROOT, 'tests/golden', g)
            orig = open(path).read()
            lines = orig.split('\n')
            try:
                for at in (len(lines) // 5, len(lines) // 2, len(lines) - 3):
                    while not re.search(r'\w', lines[at]):
                        at -= 1
                    m = re.search(r'\d', lines[at]) or re.search(r'\w', lines[at])
                    c = lines[at][m.start()]
                    rep = str((int(c) + 1) % 10) if c.isdigit() else ('x' if c != 'x' else 'y')
                    open(path, 'w').write('\n'.join(lines[:at] + [lines[at][:m.start()] + rep + lines[at][m.start() + 1:]] + lines[at + 1:]))
                    total += 1
                    ok = caught('test_golden_examples', dirs)
                    missed += not ok
                    print('%s %s:%d golden' % ('caught' if ok else 'MISSED', g, at + 1), flush=True)
            finally:
                open(path, 'w').write(orig)
    print('%d mutations, %d caught, %d missed' % (total, total - missed, missed))
    return 1 if missed else 0


if __name__ == '__main__':
    sys.exit(main())
