package io.github.conv4j.spark;

import io.github.conv4j.Accuracy;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import java.io.Serializable;

/**
 * A {@link ConvSpec}'s given fields in a form Java serialization can carry to executors ({@code ConvSpec} is not
 * {@code Serializable}); {@link #toSpec()} rebuilds the spec, validated again, on the other side.
 */
record SpecFields(Layout layout, DType dtype, Padding.Mode paddingMode, int padTop, int padBottom, int padLeft,
        int padRight, int mb, int ih, int iw, int ic, int oc, int kh, int kw, int sh, int sw, int dh, int dw,
        int groups, boolean bias, boolean relu, Accuracy accuracy) implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * The fields of {@code spec}.
     *
     * @throws IllegalStateException if the rebuilt spec differs from {@code spec}
     */
    static SpecFields of(ConvSpec spec) {
        Padding p = spec.padding();
        SpecFields f = new SpecFields(spec.layout(), spec.dtype(), p.mode(), p.top(), p.bottom(), p.left(), p.right(),
                spec.mb(), spec.ih(), spec.iw(), spec.ic(), spec.oc(), spec.kh(), spec.kw(), spec.sh(), spec.sw(),
                spec.dh(), spec.dw(), spec.groups(), spec.hasBias(), spec.relu(), spec.accuracy());
        // a field ConvSpec gains later and this record does not carry would make executors compute another
        // convolution than the driver asked for: refuse here instead
        if (!f.toSpec().equals(spec)) {
            throw new IllegalStateException("spec does not survive the trip to executors: " + spec + " came back as "
                    + f.toSpec());
        }
        return f;
    }

    /** The spec these fields describe. */
    ConvSpec toSpec() {
        return ConvSpec.builder()
                .layout(layout).dtype(dtype)
                .padding(new Padding(paddingMode, padTop, padBottom, padLeft, padRight))
                .input(mb, ih, iw, ic).kernel(kh, kw, oc)
                .stride(sh, sw).dilation(dh, dw).groups(groups).bias(bias).relu(relu)
                .accuracy(accuracy).build();
    }
}
