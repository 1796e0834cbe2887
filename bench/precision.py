#!/usr/bin/env python3
"""Summarise bench/reduced-precision.sh's runs as Markdown: per thread count and shape, onednn's median time in
each reduced-precision run against the float32 baseline recorded just before it (speed-up = baseline / run), with
each run's max error against naive (float units for bf16 and bfloat16, output units for int8 and uint8).

    python3 bench/precision.py bench/results
"""
import json
import os
import sys

RUNS = [('bf16', 'float32 tensors, accuracy bf16'), ('bfloat16', 'bfloat16 tensors'),
        ('uint8', 'uint8 activations, int8 out'), ('int8', 'int8 activations, int8 out')]


def load(d, threads, name):
    p = os.path.join(d, f'compare-native-{threads}t-{name}.json')
    return json.load(open(p)) if os.path.exists(p) else None


def rows(f, engine):
    return {r['shape']: r for r in f['results'] if r['engine'] == engine} if f else {}


def main():
    d = sys.argv[1]
    head = load(d, 1, 'rp-float32')
    print('# Reduced precision against float32 (onednn)')
    print()
    print(f"Recorded by `bench/reduced-precision.sh` at commit `{head.get('commit')}`: {head.get('cpu')}, "
          f"{head.get('jdk')}, oneDNN {head.get('onednn_version')}, OpenBLAS core "
          f"{head.get('openblas_core') or 'n/a'}. Each cell: onednn's median time in us, its speed-up over the "
          "float32 run made just before it in the same session, and its max error against naive.")
    for threads in (1, 2):
        base = rows(load(d, threads, 'rp-float32'), 'onednn')
        runs = [(name, label, load(d, threads, name)) for name, label in RUNS]
        print()
        print(f'## {threads} thread(s)')
        print()
        print('| shape | float32 us | ' + ' | '.join(label for _, label, _ in runs) + ' |')
        print('|---|---|' + '---|' * len(runs))
        for shape, b in base.items():
            cells = [f"{b['median_us']:.0f}"]
            for name, _, f in runs:
                r = rows(f, 'onednn').get(shape)
                if r is None or r.get('median_us') is None:
                    cells.append('declined' if f else 'not run')
                    continue
                err = r.get('max_abs_err')
                cells.append(f"{r['median_us']:.0f} us, {b['median_us'] / r['median_us']:.2f}x, err "
                             + ('-' if err is None else f'{err:.2g}'))
            print(f'| {shape} | ' + ' | '.join(cells) + ' |')
        print()
        for name, label, f in [('rp-float32', 'float32', load(d, threads, 'rp-float32'))] + runs:
            kinds = sorted({r.get('implementation') or '?' for r in rows(f, 'onednn').values()})
            if kinds:
                print(f'- onednn\'s kernels, {label}: ' + ', '.join(f'`{k}`' for k in kinds))


if __name__ == '__main__':
    main()
