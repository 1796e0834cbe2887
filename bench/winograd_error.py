#!/usr/bin/env python3
"""Float32 error of Winograd F(m x m, 3x3) against float64 direct convolution on ResNet-like layers.

A NumPy model of the algorithm as conv4j's winograd engine runs it (weights transformed in float64 and rounded
once, input transform, per-position products summed over channels, output transform, all in float32), for
m = 2, 4 and 6, and float32 direct convolution (im2col + GEMM) for comparison. Writes a markdown table: the
max |error| and the max of |error| / ConvSpec.tolerance (1e-5 * sqrt(9 * ic) * (1 + |y|)) per layer.
Usage: bench/winograd_error.py [OUT.md]
"""
import platform
import subprocess
import sys
from fractions import Fraction

import numpy as np

POINTS = {2: [0, 1, -1], 4: [0, 1, -1, 2, -2], 6: [0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2)]}


def matrices(m, r=3):
    """Toom-Cook matrices A^T (m x n), G (n x r), B^T (n x n) from the finite points plus infinity."""
    pts = POINTS[m]
    n = m + r - 1
    assert len(pts) == n - 1
    at = np.zeros((m, n))
    g = np.zeros((n, r))
    for j, p in enumerate(pts):
        for i in range(m):
            at[i, j] = float(Fraction(p) ** i)
        norm = Fraction(1)
        for q in pts:
            if q != p:
                norm *= Fraction(p) - Fraction(q)
        for k in range(r):
            g[j, k] = float(Fraction(p) ** k / norm)
    at[m - 1, n - 1] = 1
    g[n - 1, r - 1] = 1
    # B^T from the bilinear identity: sum_j at[i,j] g[j,k] bt[j,l] = [l == i + k] for all i, k, l
    coeff = np.einsum('ij,jk->ikj', at, g).reshape(m * r, n)
    bt = np.zeros((n, n))
    for l in range(n):
        rhs = np.array([1.0 if l == i + k else 0.0 for i in range(m) for k in range(r)])
        sol, *_ = np.linalg.lstsq(coeff, rhs, rcond=None)
        assert np.allclose(coeff @ sol, rhs, atol=1e-12), (m, l)
        bt[:, l] = sol
    return at, g, bt


def direct(x, w):
    """Same-padded 3x3 correlation, NHWC x [h, w, c], HWIO w [3, 3, c, o], in x's dtype (im2col + GEMM)."""
    h, wd, c = x.shape
    xp = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    patches = np.stack([xp[a:a + h, b:b + wd, :] for a in range(3) for b in range(3)], axis=2)
    return patches.reshape(h * wd, 9 * c) @ w.reshape(9 * c, -1)


def winograd(x, w, m):
    at, g, bt = matrices(m)
    n = m + 2
    h, wd, c = x.shape
    th, tw = -(-h // m), -(-wd // m)
    xp = np.zeros((th * m + 2, tw * m + 2, c), np.float32)
    xp[1:h + 1, 1:wd + 1] = x
    u = np.einsum('ak,klco,bl->abco', g, w.astype(np.float64), g).astype(np.float32)   # [n, n, c, o]
    d = np.stack([np.stack([xp[i * m:i * m + n, j * m:j * m + n] for j in range(tw)]) for i in range(th)])
    v = np.einsum('ak,ijklc,bl->ijabc', bt.astype(np.float32), d, bt.astype(np.float32))     # [th, tw, n, n, c]
    mm = np.einsum('ijabc,abco->ijabo', v, u)
    y = np.einsum('ak,ijklo,bl->ijabo', at.astype(np.float32), mm, at.astype(np.float32))   # [th, tw, m, m, o]
    y = y.transpose(0, 2, 1, 3, 4).reshape(th * m, tw * m, -1)[:h, :wd]
    return y.reshape(h * wd, -1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else None
    rng = np.random.default_rng(2026)
    for m in POINTS:   # exact in float64 first
        x = rng.standard_normal((9, 11, 5))
        w = rng.standard_normal((3, 3, 5, 4))
        assert np.allclose(winograd(x.astype(np.float32), w, m), direct(x, w), atol=1e-2), m
        at, g, bt = matrices(m)
    layers = [(28, 64), (28, 128), (14, 256), (7, 512)]
    rows = []
    for size, c in layers:
        x = np.maximum(rng.standard_normal((size, size, c)), 0).astype(np.float32)
        w = (rng.standard_normal((3, 3, c, c)) * np.sqrt(2 / (9 * c))).astype(np.float32)
        ref = direct(x.astype(np.float64), w.astype(np.float64))
        tol = 1e-5 * np.sqrt(9 * c) * (1 + np.abs(ref))
        row = [f'{size}x{size}x{c} -> {c}']
        for name, got in [('direct', direct(x, w))] + [(f'F({m}x{m})', winograd(x, w, m)) for m in POINTS]:
            err = np.abs(got.astype(np.float64) - ref)
            row.append(f'{err.max():.2e} ({(err / tol).max():.3f})')
        rows.append(row)
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')),
               platform.machine()) if platform.system() == 'Linux' else platform.machine()
    commit = subprocess.run(['git', 'rev-parse', '--short=12', 'HEAD'], capture_output=True, text=True).stdout.strip()
    text = ['# Float32 error of Winograd F(m x m, 3x3) on ResNet-like layers', '',
            f'`bench/winograd_error.py` at commit `{commit}`: NumPy {np.__version__}, Python {platform.python_version()},',
            f'{cpu}. One image, SAME padding, He-initialised weights (normal,',
            'std sqrt(2 / (9 ic))), ReLU of standard normal inputs; reference: float64 direct convolution. Each cell:',
            'max |error|, and in brackets the max of |error| / ConvSpec.tolerance (1e-5 * sqrt(9 ic) * (1 + |y|)),',
            'the float32 bound every engine is held to. Weights transformed in float64 and rounded once; everything',
            'else in float32. A model of the algorithm, not conv4j\'s engine: summation order differs.', '',
            '| layer | direct (GEMM) | F(2x2,3x3) | F(4x4,3x3) | F(6x6,3x3) |', '|---|---|---|---|---|']
    text += ['| ' + ' | '.join(r) + ' |' for r in rows]
    text = '\n'.join(text) + '\n'
    if out:
        open(out, 'w').write(text)
    print(text)


if __name__ == '__main__':
    main()
