package io.github.conv4j.cli;

import io.github.conv4j.Accuracy;
import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.io.Npy;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code conv4j run}: one convolution on {@code .npy} files; the output has the input's dtype. */
final class RunCommand {
    private RunCommand() {
    }

    static void run(List<String> args, PrintStream out) throws IOException {
        Flags f = new Flags("run", args,
                Set.of("--input", "--weights", "--bias", "--output", "--stride", "--dilation", "--padding",
                        "--groups", "--layout", "--engine", "--threads", "--accuracy"),
                Set.of("--relu"));
        if (!f.positional().isEmpty()) {
            throw new UsageException("unexpected argument for run: " + f.positional().get(0));
        }
        Path input = Path.of(f.require("--input")), weights = Path.of(f.require("--weights"));
        Path output = Path.of(f.require("--output"));
        Path bias = f.has("--bias") ? Path.of(f.get("--bias")) : null;
        Layout layout = Layout.parse(f.get("--layout", "NHWC"));
        int[] stride = f.pair("--stride", 1), dilation = f.pair("--dilation", 1);
        Padding padding = Padding.parse(f.get("--padding", "VALID"));
        int groups = f.integer("--groups", 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        String engine = f.get("--engine", Conv2d.AUTO);
        Accuracy accuracy = Accuracy.parse(f.get("--accuracy", "exact"));
        f.applyThreads();
        if (!engine.equals(Conv2d.AUTO)) {
            Conv2d.engine(engine);   // an unknown name fails before any file is read
        }

        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(input, arena), w = Npy.read(weights, arena);
            Tensor b = bias == null ? null : Npy.read(bias, arena);
            for (Tensor t : b == null ? List.of(x, w) : List.of(x, w, b)) {
                if (t.dtype().isQuantized() || t.dtype() == DType.INT32) {
                    Path file = t == x ? input : t == w ? weights : bias;
                    throw new UsageException("run computes float32, float64 and bfloat16 .npy files only: "
                            + file.getFileName()
                            + " is " + t.dtype() + " (an int8 convolution needs scales and zero points, which run"
                            + " does not take; compare --dtype int8|uint8 runs synthetic ones)");
                }
            }
            if (w.dtype() != x.dtype()) {
                throw new UsageException("dtype differs: " + input.getFileName() + " is " + x.dtype() + ", "
                        + weights.getFileName() + " is " + w.dtype());
            }
            if (b != null && b.dtype() != x.dtype()) {
                throw new UsageException("dtype differs: " + input.getFileName() + " is " + x.dtype() + ", "
                        + bias.getFileName() + " is " + b.dtype());
            }
            ConvSpec spec = ConvSpec.builder().layout(layout).groups(groups).shapes(x.shape(), w.shape())
                    .dtype(x.dtype()).stride(stride[0], stride[1]).dilation(dilation[0], dilation[1])
                    .padding(padding).bias(b != null).relu(f.has("--relu")).accuracy(accuracy).build();
            if (b != null && !Arrays.equals(b.shape(), spec.biasShape())) {
                throw new UsageException("bias shape differs: " + bias.getFileName() + " "
                        + Arrays.toString(b.shape()) + ", expected [" + spec.oc() + "] (output channels)");
            }
            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            long t0 = System.nanoTime();
            String used;
            try (ConvPlan plan = Conv2d.plan(engine, spec, w, b)) {
                plan.forward(x, y);
                used = plan.engine();
            }
            long ns = System.nanoTime() - t0;
            Npy.write(output, y);
            out.printf("%s: %s %s %s, engine %s, %.3f ms including planning%n", output, spec.layout(), spec.dtype(),
                    Arrays.toString(spec.outputShape()), used, ns / 1e6);
        }
    }
}
