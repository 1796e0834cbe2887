#!/usr/bin/env python3
"""Print a Markdown table of GFLOP/s per shape and engine from compare JSON files (conv4j's or a peer's).

    python3 bench/table.py bench/results/compare-native-1t.json [bench/results/peers-1t.json ...]

Rows are shapes, columns engines; a cell is GFLOP/s at the median time (~ marks naive timed on a slice of the
batch and scaled). The last line names the file, CPU, JDK, threads, OpenBLAS core and commit of the first file.
"""
import json
import sys


def main():
    files = [json.load(open(p)) for p in sys.argv[1:]]
    shapes, engines, cell = [], [], {}
    for f in files:
        for r in f['results']:
            if r['shape'] not in shapes:
                shapes.append(r['shape'])
            if r['engine'] not in engines:
                engines.append(r['engine'])
            g = r.get('gflops')
            cell[(r['shape'], r['engine'])] = '-' if g is None else ('~' if r.get('estimated') else '') + f'{g:.1f}'
    print('| shape | ' + ' | '.join(engines) + ' |')
    print('|---|' + '---|' * len(engines))
    for s in shapes:
        print(f'| {s} | ' + ' | '.join(cell.get((s, e), '') for e in engines) + ' |')
    head = files[0]
    print()
    print(f"GFLOP/s at the median of `forward`; {sys.argv[1]}: {head.get('cpu')}, {head.get('jdk')}, "
          f"{head.get('threads')} thread(s), OpenBLAS core {head.get('openblas_core') or 'n/a'}, "
          f"oneDNN {head.get('onednn_version') or 'n/a'}, commit {head.get('commit')}")


if __name__ == '__main__':
    main()
