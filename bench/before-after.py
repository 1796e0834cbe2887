#!/usr/bin/env python3
"""Compare compare-JSON runs of two builds, with the run-to-run noise measured from repeats of each.

    python3 bench/before-after.py --before b1.json b2.json --after a1.json a2.json

For every shape and engine: each run's median time of `forward` (microseconds), after/before as the ratio of
the two builds' best runs, and the cell's noise: the largest relative spread between repeats of one build (of
either build). A cell is flagged SLOWER when after/before exceeds 1 + that noise. Then, per engine, the
geometric mean over shapes of after/before (medians of the runs), and the spread over all cells. Run the builds
interleaved and in both orders (before-after, then after-before): a machine that drifts during a session
otherwise favours whichever build runs first. Naive cells timed on a slice of the batch and scaled are marked ~.
"""
import argparse
import json
import statistics


def load(paths):
    runs = []
    for p in paths:
        d = json.load(open(p))
        runs.append({(r['shape'], r['engine']): r for r in d['results'] if r.get('median_us') is not None})
    return runs, json.load(open(paths[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--before', nargs='+', required=True)
    ap.add_argument('--after', nargs='+', required=True)
    a = ap.parse_args()
    before, bhead = load(a.before)
    after, ahead = load(a.after)
    keys = [k for k in before[0] if all(k in r for r in before + after)]
    spreads = []
    for runs in (before, after):
        for k in keys:
            t = [r[k]['median_us'] for r in runs]
            spreads.append((max(t) - min(t)) / min(t))
    print(f"before: {bhead.get('commit')} ({len(before)} runs), after: {ahead.get('commit')} ({len(after)} runs); "
          f"{bhead.get('cpu')}, {bhead.get('jdk')}, threads {bhead.get('threads')}, "
          f"OpenBLAS core {bhead.get('openblas_core')}, {bhead.get('environment')}")
    print()
    print('| shape | engine | before us | after us | after/before (best) | repeat spread | verdict |')
    print('|---|---|---|---|---|---|---|')
    flagged = 0
    for k in keys:
        b = [r[k]['median_us'] for r in before]
        f = [r[k]['median_us'] for r in after]
        spread = max((max(b) - min(b)) / min(b), (max(f) - min(f)) / min(f))
        ratio = min(f) / min(b)
        slower = ratio > 1 + spread
        flagged += slower
        mark = '~' if before[0][k].get('estimated') else ''
        print(f"| {k[0]} | {k[1]} | {mark}{', '.join(f'{x:.1f}' for x in b)} | {mark}{', '.join(f'{x:.1f}' for x in f)} "
              f"| {ratio:.3f} | {spread * 100:.0f}% | {'SLOWER' if slower else 'within noise' if ratio > 1 else 'faster or equal'} |")
    ratios = {}
    for k in keys:
        b = statistics.median(r[k]['median_us'] for r in before)
        f = statistics.median(r[k]['median_us'] for r in after)
        ratios.setdefault(k[1], []).append(f / b)
    print()
    print('after/before per engine, geometric mean over shapes of the ratio of the runs\' medians: '
          + ', '.join(f'{e} {statistics.geometric_mean(v):.3f}' for e, v in ratios.items()))
    spreads.sort()
    print()
    print(f"repeat spread over all cells and both builds: median {spreads[len(spreads) // 2] * 100:.1f}%, "
          f"largest {spreads[-1] * 100:.1f}%; cells flagged slower beyond noise: {flagged} of {len(keys)}")


if __name__ == '__main__':
    main()
