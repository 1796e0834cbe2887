#!/usr/bin/env python3
"""Time conv4j's benchmark shapes in NumPy and PyTorch, and write conv4j's compare JSON schema.

    python3 bench/peers/peers.py [--shapes S1,S2,...|all] [--threads N] [--seconds S] [--json FILE]

Peers, each skipped with a message when it cannot run:
  numpy-einsum      the notebook's method: an as_strided 6-D view (n, oh, ow, kh, kw, c) of the padded input,
                    contracted with the weights by np.einsum (default optimize=False)
  numpy-einsum-opt  the same einsum with optimize=True (NumPy may route it through BLAS via tensordot)
  torch-conv2d      torch.nn.functional.conv2d on NCHW tensors, if torch is importable
Times are of the convolution only (inputs prepared once), median and minimum over about --seconds of runs.
max_abs_err is against a float64 einsum on batch element 0. Merge the file into a chart with
./conv4j compare --merge FILE --chart chart.png.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

SHAPES = {  # name: (n, h, w, c, k, oc, stride, pad, groups) -- the same table as DESIGN.md and Shapes.java
    'S1': (2, 12, 10, 3, 3, 16, 2, 0, 1),
    'S2': (32, 28, 28, 3, 3, 16, 2, 0, 1),
    'R1': (8, 56, 56, 64, 3, 64, 1, 1, 1),
    'R2': (8, 56, 56, 64, 1, 256, 1, 0, 1),
    'R3': (8, 28, 28, 128, 3, 128, 1, 1, 1),
    'R4': (8, 14, 14, 256, 3, 256, 1, 1, 1),
    'R5': (8, 7, 7, 512, 3, 512, 1, 1, 1),
    'R6': (8, 224, 224, 3, 7, 64, 2, 3, 1),
    'D1': (8, 112, 112, 32, 3, 32, 1, 1, 32),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--shapes', default='S1,S2,R4,D1')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seconds', type=float, default=1.0)
    p.add_argument('--json', default=None)
    return p.parse_args()


args = parse_args()
# BLAS reads its thread count when it loads: set it before NumPy is imported
for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import as_strided  # noqa: E402


def split(xp, k, stride):
    """The notebook's _split_X: a (n, oh, ow, kh, kw, c) view of padded NHWC input, no copy."""
    n, h, w, c = xp.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, shape=(n, oh, ow, k, k, c), strides=(sn, sh * stride, sw * stride, sh, sw, sc),
                      writeable=False)


def einsum_conv(x, w, k, stride, pad, groups, optimize):
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if pad else x
    view = split(xp, k, stride)
    if groups == 1:
        return np.einsum('nhwijc,ijco->nhwo', view, w, optimize=optimize)
    # depthwise, multiplier 1: w is (k, k, 1, c)
    return np.einsum('nhwijc,ijc->nhwc', view, w[:, :, 0, :], optimize=optimize)


def timed(fn, seconds):
    fn()
    first = time.perf_counter()
    fn()
    one = time.perf_counter() - first
    batch = max(1, int(5e-5 / max(one, 1e-9)))
    samples, start = [], time.perf_counter()
    while len(samples) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t) / batch)
    samples.sort()
    return samples[len(samples) // 2] * 1e6, samples[0] * 1e6


def record(shape, engine, median_us, min_us, flops, err):
    return {'shape': shape, 'engine': engine, 'dtype': 'float32', 'threads': args.threads,
            'median_us': median_us, 'min_us': min_us, 'gflops': flops / (median_us * 1e3),
            'speedup_vs_naive': None, 'max_abs_err': err, 'plan_us': None, 'estimated': False}


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip() + f' ({os.cpu_count()} processors)'
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    names = list(SHAPES) if args.shapes == 'all' else args.shapes.split(',')
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print('peers: torch is not importable, skipping torch-conv2d', file=sys.stderr)
    rng = np.random.default_rng(1)
    results = []
    for name in names:
        if name not in SHAPES:
            sys.exit(f'error: unknown shape: {name} ({", ".join(SHAPES)})')
        n, h, w_, c, k, oc, s, pad, groups = SHAPES[name]
        x = rng.uniform(-1, 1, (n, h, w_, c)).astype(np.float32)
        w = (rng.uniform(-1, 1, (k, k, c // groups, oc)) / np.sqrt(k * k * c // groups)).astype(np.float32)
        oh, ow = (h + 2 * pad - k) // s + 1, (w_ + 2 * pad - k) // s + 1
        flops = 2.0 * n * oh * ow * oc * k * k * (c // groups)
        ref = einsum_conv(x[:1].astype(np.float64), w.astype(np.float64), k, s, pad, groups, True)
        for engine, optimize in (('numpy-einsum', False), ('numpy-einsum-opt', True)):
            print(f'peers: {name} {engine}', file=sys.stderr)
            y = einsum_conv(x, w, k, s, pad, groups, optimize)
            err = float(np.abs(y[:1].astype(np.float64) - ref).max())
            med, mn = timed(lambda: einsum_conv(x, w, k, s, pad, groups, optimize), args.seconds)
            results.append(record(name, engine, med, mn, flops, err))
        if torch is not None:
            print(f'peers: {name} torch-conv2d', file=sys.stderr)
            tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
            tw = torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))
            with torch.no_grad():
                run = lambda: torch.nn.functional.conv2d(tx, tw, stride=s, padding=pad, groups=groups)  # noqa: E731
                y = run().numpy().transpose(0, 2, 3, 1)
                err = float(np.abs(y[:1].astype(np.float64) - ref).max())
                med, mn = timed(run, args.seconds)
            results.append(record(name, 'torch-conv2d', med, mn, flops, err))
    try:
        # dirty only when the code differs from the commit, not when results files are being written
        commit = subprocess.run(['git', 'rev-parse', '--short=12', 'HEAD'], capture_output=True,
                                text=True, timeout=5).stdout.strip() or 'unknown'
        diff = subprocess.run(['git', 'diff', '--name-only', 'HEAD', '--', ':/pom.xml', ':/src', ':/native-config',
                               ':/bench/pom.xml', ':/bench/src', ':/bench/peers'], capture_output=True, text=True,
                              timeout=5).stdout.strip()
        if commit != 'unknown' and diff:
            commit += '-dirty'
    except (OSError, subprocess.SubprocessError):
        commit = 'unknown'
    report = {'jdk': None, 'cpu': cpu_model(), 'commit': commit,
              'threads': args.threads, 'openblas_core': None, 'onednn_version': None,
              'environment': f'python {platform.python_version()}, numpy {np.__version__}'
                             + (f', torch {torch.__version__}' if torch is not None else ''),
              'results': results}
    for r in results:
        print(f"{r['shape']:5} {r['engine']:17} {r['median_us']:12.1f} us {r['gflops']:9.2f} GFLOP/s"
              f"  max|err| {r['max_abs_err']:.2e}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
