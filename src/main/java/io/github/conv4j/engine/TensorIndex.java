package io.github.conv4j.engine;

import io.github.conv4j.ConvSpec;

/**
 * Where an element of a spec's input, output or weights lives: the layout's index math, written once.
 *
 * <p>Input and output are {@code [mb][h][w][c]} (NHWC) or {@code [mb][c][h][w]} (NCHW); weights are HWIO
 * {@code [kh][kw][ic/g][oc]} or OIHW {@code [oc][ic/g][kh][kw]}. Each index is a sum of the coordinates times the
 * strides below, so a loop may also step by a stride. Immutable.
 */
public final class TensorIndex {
    /** Input element strides of the batch, row, column and channel axes. */
    public final long inN, inH, inW, inC;
    /** Output element strides of the batch, row, column and channel axes. */
    public final long outN, outH, outW, outC;
    /** Weight element strides of the kernel row, kernel column, input channel (within a group) and output channel. */
    public final long wH, wW, wI, wO;

    public TensorIndex(ConvSpec s) {
        long icg = s.icPerGroup();
        switch (s.layout()) {
            case NHWC -> {
                inC = 1; inW = s.ic(); inH = (long) s.iw() * s.ic();
                outC = 1; outW = s.oc(); outH = (long) s.ow() * s.oc();
                wO = 1; wI = s.oc(); wW = icg * s.oc(); wH = (long) s.kw() * icg * s.oc();
            }
            case NCHW -> {
                inW = 1; inH = s.iw(); inC = (long) s.ih() * s.iw();
                outW = 1; outH = s.ow(); outC = (long) s.oh() * s.ow();
                wW = 1; wH = s.kw(); wI = (long) s.kh() * s.kw(); wO = icg * s.kh() * s.kw();
            }
            default -> throw new AssertionError(s.layout());
        }
        inN = (long) s.ih() * s.iw() * s.ic();
        outN = (long) s.oh() * s.ow() * s.oc();
    }

    /** Index of input element {@code (n, h, w, c)}. */
    public long input(long n, long h, long w, long c) {
        return n * inN + h * inH + w * inW + c * inC;
    }

    /** Index of output element {@code (n, h, w, c)}. */
    public long output(long n, long h, long w, long c) {
        return n * outN + h * outH + w * outW + c * outC;
    }

    /** Index of weight {@code (kh, kw, i, o)}: input channel {@code i} within the group of output channel {@code o}. */
    public long weight(long kh, long kw, long i, long o) {
        return kh * wH + kw * wW + i * wI + o * wO;
    }

    /** The output channel of output element {@code index}. */
    public int outputChannel(long index, int oc) {
        return (int) (outC == 1 ? index % oc : index / outC % oc);
    }
}
