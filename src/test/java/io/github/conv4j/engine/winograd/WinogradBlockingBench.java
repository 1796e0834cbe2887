package io.github.conv4j.engine.winograd;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Padding;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Not a test: the sweep behind {@link WinogradConv.Blocking#DEFAULT}, run by {@code bench/winograd-blocking.sh}.
 * Whole forwards of the float32 kernel on one thread, NHWC, on the ResNet 3x3 layers R1, R3, R4 and R5 at both tile
 * sizes, for each blocking variant; the variants are interleaved round by round so that a slow spell of the machine
 * hits them all, after one round that is not kept (the JIT's), and each cell is the median of the rounds' medians.
 * Prints a Markdown table.
 */
public final class WinogradBlockingBench {
    private record Variant(String name, WinogradConv.Blocking blocking) {
    }

    private record Shape(String name, int size, int channels) {
    }

    private WinogradBlockingBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 0.3;
        long mib = 1 << 20;
        long max = WinogradConv.MAX_BLOCK_BYTES;
        WinogradConv.Blocking d = WinogradConv.Blocking.DEFAULT;
        int kc = d.kc(), pv = d.panelVectors();
        List<Variant> variants = List.of(
                new Variant("default: min " + d.minTiles() + " tiles, chunks of " + kc + ", " + pv + "-vector panels",
                        d),
                new Variant("1 MiB, no minimum", new WinogradConv.Blocking(mib, 0, max, kc, pv)),
                new Variant("min 66 tiles", new WinogradConv.Blocking(mib, 66, max, kc, pv)),
                new Variant("min 252 tiles", new WinogradConv.Blocking(mib, 252, max, kc, pv)),
                new Variant("chunks of 128", new WinogradConv.Blocking(mib, d.minTiles(), max, 128, pv)),
                new Variant("no channel chunks", new WinogradConv.Blocking(mib, d.minTiles(), max, 1 << 20, pv)),
                new Variant("2-vector panels", new WinogradConv.Blocking(mib, d.minTiles(), max, kc, 2)));
        List<Shape> shapes = List.of(new Shape("R1", 56, 64), new Shape("R3", 28, 128), new Shape("R4", 14, 256),
                new Shape("R5", 7, 512));
        System.out.print("| shape | tile |");
        variants.forEach(v -> System.out.print(" " + v.name() + " |"));
        System.out.println();
        System.out.println("|---|---|" + "---:|".repeat(variants.size()));
        for (Shape shape : shapes) {
            for (int tile : new int[] {2, 4}) {
                ConvSpec spec = ConvSpec.builder().input(8, shape.size(), shape.size(), shape.channels())
                        .kernel(3, 3, shape.channels()).padding(Padding.SAME).build();
                System.out.println(row(shape.name(), tile, spec, variants, rounds, seconds));
            }
        }
    }

    private static String row(String name, int tile, ConvSpec spec, List<Variant> variants, int rounds,
            double seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = random(arena, spec.inputElements(), 1);
            MemorySegment w = random(arena, spec.weightElements(), 2);
            MemorySegment y = arena.allocate(spec.outputElements() * DType.FLOAT32.byteSize(), 64);
            List<ConvKernel> kernels = new ArrayList<>();
            for (Variant v : variants) {
                kernels.add(WinogradConv.plan(spec, w, null, tile, v.blocking()));
            }
            double[][] medians = new double[variants.size()][rounds];
            // round -1 is not kept: it lets the JIT compile each variant's code for this shape
            for (int r = -1; r < rounds; r++) {
                for (int v = 0; v < kernels.size(); v++) {
                    double ns = medianNs(kernels.get(v), x, y, spec.mb(), seconds);
                    if (r >= 0) {
                        medians[v][r] = ns;
                    }
                }
            }
            StringBuilder line = new StringBuilder("| " + name + " | F(" + tile + "x" + tile + ",3x3) |");
            for (int v = 0; v < kernels.size(); v++) {
                double ns = median(medians[v]);
                String impl = kernels.get(v).implementation();
                String perBlock = impl.replaceAll(".*, (\\d+) tiles per block.*", "$1");
                line.append(String.format(" %.0f GFLOP/s (%s tiles) |", spec.flops() / ns, perBlock));
                kernels.get(v).close();
            }
            return line.toString();
        }
    }

    /** Median time of one forward over about {@code seconds}, after a warm-up of the same length. */
    private static double medianNs(ConvKernel k, MemorySegment x, MemorySegment y, int batch, double seconds) {
        long budget = (long) (seconds * 1e9);
        long end = System.nanoTime() + budget;
        while (System.nanoTime() < end) {
            k.forward(x, y, batch, 1);
        }
        double[] t = new double[64];
        int n = 0;
        end = System.nanoTime() + budget;
        while (n < 3 || System.nanoTime() < end) {
            long s = System.nanoTime();
            k.forward(x, y, batch, 1);
            if (n == t.length) {
                t = Arrays.copyOf(t, 2 * n);
            }
            t[n++] = System.nanoTime() - s;
        }
        return median(Arrays.copyOf(t, n));
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static MemorySegment random(Arena arena, long elements, long seed) {
        MemorySegment m = arena.allocate(elements * Float.BYTES, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < elements; i++) {
            m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        }
        return m;
    }
}
