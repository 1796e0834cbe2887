package io.github.conv4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.conv4j.Accuracy;
import io.github.conv4j.BFloat16;
import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.io.Npy;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code conv4j verify DIR}: runs every golden case in {@code DIR} (the format of {@code cases.json} with
 * {@code x.npy}, {@code w.npy}, {@code y.npy} per case, NHWC/HWIO) through each engine, in NHWC and, transposed,
 * in NCHW; reports the largest error and pass or fail. Exit 1 when any case fails; a declined case is not a
 * failure.
 *
 * <p>Tolerance: {@link ConvSpec#tolerance}, float64 {@code 1e-12 * (1 + |y|)}; float32
 * {@code 1e-5 * sqrt(kh * kw * ic / groups) * (1 + |y|)}. With {@code --dtype bfloat16} the inputs are rounded
 * to bfloat16 (nearest, ties to even) and the outputs held to the golden ones within the BF16 level's bound of a
 * bfloat16 spec, which allows for that rounding.
 */
final class VerifyCommand {
    private VerifyCommand() {
    }

    record Case(String name, int[] stride, int[] dilation, Padding padding, int groups, Path dir) {
    }

    static int run(List<String> args, PrintStream out) throws IOException {
        Flags f = new Flags("verify", args, Set.of("--engines", "--layouts", "--accuracy", "--dtype"),
                Set.of());
        if (f.positional().size() != 1) {
            throw new UsageException("verify takes one directory: verify DIR [--engines ...]");
        }
        Path dir = Path.of(f.positional().get(0));
        List<Case> cases = cases(dir);
        List<ConvEngine> engines = new ArrayList<>();
        for (String name : f.get("--engines", "all").split(",")) {
            if (name.trim().equals("all")) {
                engines.addAll(Conv2d.engines());
            } else {
                engines.add(Conv2d.engine(name.trim()));
            }
        }
        Accuracy accuracy = Accuracy.parse(f.get("--accuracy", "exact"));
        DType as = f.has("--dtype") ? DType.parse(f.get("--dtype")) : null;
        if (as != null && as != DType.BFLOAT16) {
            // the golden files' own type is the default; rounding them to another would need that type's bound
            throw new UsageException("verify --dtype takes bfloat16 only (the golden files' own dtype is the default),"
                    + " not " + as);
        }
        List<Layout> layouts = new ArrayList<>();
        for (String l : f.get("--layouts", "NHWC,NCHW").split(",")) {
            layouts.add(Layout.parse(l.trim()));
        }

        int passed = 0, failed = 0, declined = 0;
        out.printf("%-26s %-6s %-12s %-8s %10s %10s  %s%n", "case", "layout", "engine", "dtype", "max |err|",
                "tolerance", "result");
        for (ConvEngine e : engines) {
            Availability a = e.probe();
            if (!a.available()) {
                out.printf("%-12s unavailable: %s%n", e.name(), a.reason());
                continue;
            }
            for (Case c : cases) {
                for (Layout layout : layouts) {
                    String result;
                    double err = 0, tol = 0;
                    String dtype = "";
                    try (Arena arena = Arena.ofConfined()) {
                        Tensor x = Npy.read(c.dir().resolve("x.npy"), arena);
                        Tensor w = Npy.read(c.dir().resolve("w.npy"), arena);
                        Tensor want = Npy.read(c.dir().resolve("y.npy"), arena);
                        boolean rounded = as != null && as != x.dtype();
                        if (rounded) {
                            x = convert(x, as, arena);
                            w = convert(w, as, arena);
                        }
                        dtype = x.dtype().toString();
                        ConvSpec spec = spec(c, x, w, accuracy, layout);
                        // inputs rounded from the file's type: the golden output is held to the bound that allows
                        // for rounding x and w to bfloat16
                        ConvSpec bound = rounded ? spec.toBuilder().accuracy(Accuracy.BF16).build() : spec;
                        if (!Arrays.equals(want.shape(), spec.toBuilder().layout(Layout.NHWC).build().outputShape())) {
                            throw new UsageException(c.name() + ": y.npy shape " + Arrays.toString(want.shape())
                                    + " differs from the spec's output " + Arrays.toString(spec.outputShape()));
                        }
                        Optional<String> no = Conv2d.whyNot(e.name(), spec);
                        if (no.isPresent()) {
                            declined++;
                            out.printf("%-26s %-6s %-12s %-8s %10s %10s  %s%n", c.name(), layout, e.name(), dtype, "-",
                                    "-", no.get());
                            continue;
                        }
                        if (layout == Layout.NCHW) {
                            x = permute(x, arena, 0, 3, 1, 2);
                            w = permute(w, arena, 3, 2, 0, 1);
                        }
                        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                        try (ConvPlan plan = Conv2d.plan(e.name(), spec, w, null)) {
                            plan.forward(x, y);
                        }
                        if (layout == Layout.NCHW) {
                            y = permute(y, arena, 0, 2, 3, 1);
                        }
                        boolean ok = true;
                        for (long i = 0; i < want.elementCount(); i++) {
                            double ref = want.getDouble(i), d = Math.abs(y.getDouble(i) - ref);
                            double t = bound.tolerance(ref);
                            ok &= d <= t;   // NaN fails
                            err = Math.max(err, d);
                            tol = Math.max(tol, t);
                        }
                        result = ok ? "pass" : "FAIL";
                    }
                    if (result.equals("pass")) {
                        passed++;
                    } else {
                        failed++;
                    }
                    out.printf("%-26s %-6s %-12s %-8s %10.2e %10.2e  %s%n", c.name(), layout, e.name(), dtype, err, tol,
                            result);
                }
            }
        }
        out.printf("%d passed, %d failed, %d declined%n", passed, failed, declined);
        return failed == 0 ? 0 : 1;
    }

    /** {@code t}'s values in {@code dtype}, each rounded once to nearest (bfloat16: {@link BFloat16#fromDouble}). */
    static Tensor convert(Tensor t, DType dtype, Arena arena) {
        Tensor out = Tensor.allocate(arena, dtype, t.shape());
        MemorySegment d = out.data();
        for (long i = 0; i < t.elementCount(); i++) {
            double v = t.getDouble(i);
            switch (dtype) {
                case FLOAT32 -> d.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
                case FLOAT64 -> d.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
                case BFLOAT16 -> d.setAtIndex(ValueLayout.JAVA_SHORT, i, BFloat16.fromDouble(v));
            }
        }
        return out;
    }

    static List<Case> cases(Path dir) throws IOException {
        Path index = dir.resolve("cases.json");
        if (!Files.isRegularFile(index)) {
            throw new NoSuchFileException(index.toString());
        }
        List<Case> out = new ArrayList<>();
        try {
            JsonObject root = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
            for (JsonElement e : root.getAsJsonArray("cases")) {
                JsonObject c = e.getAsJsonObject();
                String name = c.get("name").getAsString();
                out.add(new Case(name, pair(c.getAsJsonArray("stride")), pair(c.getAsJsonArray("dilation")),
                        padding(c.get("padding")), c.get("groups").getAsInt(), dir.resolve(name)));
            }
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException
                | IndexOutOfBoundsException e) {
            throw new UsageException(index + ": not a golden cases file (" + e.getMessage() + ")");
        }
        return out;
    }

    /** Case {@code c}'s spec, from its NHWC/HWIO {@code x} and {@code w}, at {@code accuracy} in {@code layout}. */
    static ConvSpec spec(Case c, Tensor x, Tensor w, Accuracy accuracy, Layout layout) {
        return ConvSpec.builder().layout(Layout.NHWC).groups(c.groups()).shapes(x.shape(), w.shape()).dtype(x.dtype())
                .stride(c.stride()[0], c.stride()[1]).dilation(c.dilation()[0], c.dilation()[1]).padding(c.padding())
                .accuracy(accuracy).build().toBuilder().layout(layout).build();
    }

    private static int[] pair(JsonArray a) {
        return new int[] {a.get(0).getAsInt(), a.get(1).getAsInt()};
    }

    private static Padding padding(JsonElement p) {
        if (p.isJsonPrimitive()) {
            return Padding.parse(p.getAsString());
        }
        JsonArray a = p.getAsJsonArray();
        int[] tb = pair(a.get(0).getAsJsonArray()), lr = pair(a.get(1).getAsJsonArray());
        return Padding.explicit(tb[0], tb[1], lr[0], lr[1]);
    }

    /** A permuted copy of a 4-D tensor: output axis {@code i} is input axis {@code perm[i]}. */
    static Tensor permute(Tensor t, Arena arena, int... perm) {
        long[] s = t.shape();
        long[] o = {s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
        long[] stride = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
        Tensor out = Tensor.allocate(arena, t.dtype(), o);
        long size = t.dtype().byteSize(), n = 0;
        for (long a = 0; a < o[0]; a++) {
            for (long b = 0; b < o[1]; b++) {
                for (long c = 0; c < o[2]; c++) {
                    for (long d = 0; d < o[3]; d++) {
                        long src = a * stride[perm[0]] + b * stride[perm[1]] + c * stride[perm[2]] + d * stride[perm[3]];
                        // a move of whole elements, whatever they mean
                        MemorySegment.copy(t.data(), src * size, out.data(), n++ * size, size);
                    }
                }
            }
        }
        return out;
    }
}
