package io.github.conv4j.engine.onednn;

import static io.github.conv4j.engine.onednn.OneDnnRuntime.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.spi.ConvKernel;
import io.github.conv4j.testing.Tensors;
import io.github.conv4j.testing.BenchShapes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;

/**
 * conv4j's overhead over oneDNN: for each DESIGN.md shape, the median time of {@code forward} on an
 * {@code onednn} plan, on an {@code auto} plan, and of the same oneDNN primitive driven directly (memory
 * objects made once, execute + wait in a loop), measured interleaved in one JVM.
 *
 * <p>Not a unit test and not JMH: a minimal program so the raw primitive and conv4j share one process, one
 * oneDNN and one OpenMP. Run (on a quiet machine):
 * <pre>
 * ./mvnw -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java @native-config/jvm.args -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     io.github.conv4j.engine.onednn.OneDnnBench [threads...]
 * </pre>
 */
public final class OneDnnBench {
    /** Samples per method and shape; each sample is a batch of calls lasting about {@link #SAMPLE_NS}. */
    private static final int SAMPLES = 31;
    private static final long SAMPLE_NS = 10_000_000;

    private OneDnnBench() {
    }

    static Map<String, ConvSpec> shapes() {
        return BenchShapes.all();
    }

    /** One thing to time: a call, repeated. */
    private interface Call {
        void run();
    }

    public static void main(String[] args) {
        int[] threadCounts = args.length == 0 ? new int[] {1, 2} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        OneDnnRuntime runtime = OneDnnEngine.runtime();
        System.out.println(OneDnnEngine.info().orElseThrow() + ", JDK " + Runtime.version() + ", "
                + SAMPLES + " interleaved samples of ~" + SAMPLE_NS / 1_000_000 + " ms per method");
        System.out.println();
        System.out.println("| shape | threads | raw oneDNN us | conv4j onednn us | overhead | auto us | auto engine"
                + " | kernel only us | raw min us | conv4j min us | GFLOP/s (conv4j) | implementation |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (int threads : threadCounts) {
            Settings.setThreads(threads);
            runtime.useThreads(threads);
            for (Map.Entry<String, ConvSpec> e : shapes().entrySet()) {
                ConvSpec spec = e.getValue();
                try (Arena arena = Arena.ofConfined();
                        ConvPlan onednn = Conv2d.plan(OneDnnEngine.NAME, spec, weights(spec, arena), null);
                        ConvPlan auto = Conv2d.plan(Conv2d.AUTO, spec, weights(spec, arena), null);
                        RawPrimitive raw = new RawPrimitive(runtime, spec, weights(spec, arena), arena);
                        ConvKernel kernel = new OneDnnEngine().plan(spec, weights(spec, arena).data(), null)) {
                    Tensor x = Tensors.uniform(arena, DType.FLOAT32, new SplittableRandom(1), spec.inputShape());
                    Tensor y1 = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                    Tensor y2 = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                    raw.x.copyFrom(x.data());
                    Tensor y3 = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                    // the kernel alone, without ConvPlan's checks: splits conv4j's overhead into facade and engine
                    Call[] calls = {raw::run, () -> onednn.forward(x, y1), () -> auto.forward(x, y2),
                            () -> kernel.forward(x.data(), y3.data())};
                    double[][] stats = measure(calls);
                    double[] medians = stats[0], mins = stats[1];
                    raw.checkSame(y1);
                    double over = medians[1] - medians[0];
                    System.out.printf("| %s | %d | %.2f | %.2f | %+.2f us (%+.1f%%) | %.2f | %s | %.2f | %.2f | %.2f"
                            + " | %.1f | %s |%n", e.getKey(), threads, medians[0], medians[1], over,
                            100 * over / medians[0], medians[2], auto.engine(), medians[3], mins[0], mins[1],
                            spec.flops() / medians[1] / 1e3, onednn.implementation());
                }
            }
        }
    }

    private static Tensor weights(ConvSpec spec, Arena arena) {
        return Tensors.uniform(arena, DType.FLOAT32, new SplittableRandom(2), spec.weightShape());
    }

    /**
     * Median and minimum microseconds per call of each call ({@code [0]} medians, {@code [1]} minima); samples
     * interleave the calls so drift and other processes hit all of them alike.
     */
    private static double[][] measure(Call[] calls) {
        int[] reps = new int[calls.length];
        for (int c = 0; c < calls.length; c++) {
            // warm up (JIT, first-touch of buffers, OpenMP team) and size a sample
            long t0 = System.nanoTime();
            int n = 0;
            while (System.nanoTime() - t0 < 200_000_000L || n < 5) {
                calls[c].run();
                n++;
            }
            double per = (System.nanoTime() - t0) / (double) n;
            reps[c] = (int) Math.max(1, SAMPLE_NS / per);
        }
        double[][] samples = new double[calls.length][SAMPLES];
        for (int s = 0; s < SAMPLES; s++) {
            for (int c = 0; c < calls.length; c++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps[c]; i++) {
                    calls[c].run();
                }
                samples[c][s] = (System.nanoTime() - t0) / 1e3 / reps[c];
            }
        }
        double[][] stats = new double[2][calls.length];
        for (int c = 0; c < calls.length; c++) {
            Arrays.sort(samples[c]);
            stats[0][c] = samples[c][SAMPLES / 2];
            stats[1][c] = samples[c][0];
        }
        return stats;
    }

    /**
     * The same convolution as a plain oneDNN program would run it: memory objects over fixed buffers made once,
     * default (library) scratchpad, then execute and wait. Written against the C API directly, not conv4j's kernel.
     */
    private static final class RawPrimitive implements AutoCloseable {
        final MemorySegment x, y;
        private final dnnl_primitive_desc pd = new dnnl_primitive_desc();
        private final dnnl_primitive primitive = new dnnl_primitive();
        private final dnnl_stream stream = new dnnl_stream();
        private final dnnl_memory src = new dnnl_memory(), wts = new dnnl_memory(), dst = new dnnl_memory();
        private final dnnl_exec_arg_t args = new dnnl_exec_arg_t(3);
        private final long outputElements;

        RawPrimitive(OneDnnRuntime rt, ConvSpec s, Tensor hwio, Arena arena) {
            x = arena.allocate(s.inputElements() * 4, 64);
            y = arena.allocate(s.outputElements() * 4, 64);
            outputElements = s.outputElements();
            boolean g = s.groups() > 1;
            long[] wDims = g ? new long[] {s.groups(), s.ocPerGroup(), s.icPerGroup(), s.kh(), s.kw()}
                    : new long[] {s.oc(), s.ic(), s.kh(), s.kw()};
            dnnl_memory_desc srcMd = md(new long[] {s.mb(), s.ic(), s.ih(), s.iw()}, dnnl_nhwc);
            dnnl_memory_desc dstMd = md(new long[] {s.mb(), s.oc(), s.oh(), s.ow()}, dnnl_nhwc);
            dnnl_memory_desc anyMd = md(wDims, dnnl_format_tag_any);
            dnnl_memory_desc userMd = md(wDims, g ? dnnl_hwigo : dnnl_hwio);
            check(dnnl_convolution_forward_primitive_desc_create(pd, rt.engine(), dnnl_forward_inference,
                    dnnl_convolution_direct, srcMd, anyMd, null, dstMd, new long[] {s.sh(), s.sw()},
                    new long[] {s.dh() - 1, s.dw() - 1}, new long[] {s.padTop(), s.padLeft()},
                    new long[] {s.padBottom(), s.padRight()}, null), "raw conv pd");
            check(dnnl_primitive_create(primitive, pd), "raw conv primitive");
            check(dnnl_stream_create(stream, rt.engine(), dnnl_stream_default_flags), "raw stream");
            dnnl_memory_desc wMd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
            MemorySegment w = arena.allocate(dnnl_memory_desc_get_size(wMd), 64);
            dnnl_memory user = new dnnl_memory();
            check(dnnl_memory_create(user, userMd, rt.engine(), at(hwio.data().address())), "raw user weights");
            check(dnnl_memory_create(wts, wMd, rt.engine(), at(w.address())), "raw weights");
            dnnl_primitive_desc rpd = new dnnl_primitive_desc();
            dnnl_primitive reorder = new dnnl_primitive();
            check(dnnl_reorder_primitive_desc_create(rpd, userMd, rt.engine(), wMd, rt.engine(), null), "raw reorder pd");
            check(dnnl_primitive_create(reorder, rpd), "raw reorder");
            try (dnnl_exec_arg_t r = new dnnl_exec_arg_t(2)) {
                r.position(0).arg(DNNL_ARG_FROM).memory(user);
                r.position(1).arg(DNNL_ARG_TO).memory(wts);
                check(dnnl_primitive_execute(reorder, stream, 2, r.position(0)), "raw reorder run");
                check(dnnl_stream_wait(stream), "raw reorder wait");
            }
            dnnl_primitive_destroy(reorder);
            dnnl_primitive_desc_destroy(rpd);
            dnnl_memory_destroy(user);
            check(dnnl_memory_create(src, srcMd, rt.engine(), at(x.address())), "raw src");
            check(dnnl_memory_create(dst, dstMd, rt.engine(), at(y.address())), "raw dst");
            args.position(0).arg(DNNL_ARG_SRC).memory(src);
            args.position(1).arg(DNNL_ARG_WEIGHTS).memory(wts);
            args.position(2).arg(DNNL_ARG_DST).memory(dst);
            args.position(0);
            for (dnnl_memory_desc d : new dnnl_memory_desc[] {srcMd, dstMd, anyMd, userMd}) {
                dnnl_memory_desc_destroy(d);
            }
        }

        private static dnnl_memory_desc md(long[] dims, int tag) {
            dnnl_memory_desc d = new dnnl_memory_desc();
            check(dnnl_memory_desc_create_with_tag(d, dims.length, dims, dnnl_f32, tag), "raw md");
            return d;
        }

        private static Pointer at(long handle) {
            // an anonymous subclass: inside it a parameter called "address" would be shadowed by Pointer's field
            return new Pointer() {
                {
                    address = handle;
                }
            };
        }

        void run() {
            check(dnnl_primitive_execute(primitive, stream, 3, args), "raw execute");
            check(dnnl_stream_wait(stream), "raw wait");
        }

        /** The raw program and conv4j must compute the same numbers, or the timing compares different work. */
        void checkSame(Tensor conv4j) {
            for (long i = 0; i < outputElements; i++) {
                float a = y.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                float b = conv4j.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                if (a != b) {
                    throw new IllegalStateException("raw and conv4j outputs differ at " + i + ": " + a + " vs " + b);
                }
            }
        }

        @Override
        public void close() {
            dnnl_memory_destroy(src);
            dnnl_memory_destroy(wts);
            dnnl_memory_destroy(dst);
            dnnl_stream_destroy(stream);
            dnnl_primitive_destroy(primitive);
            dnnl_primitive_desc_destroy(pd);
            args.close();
        }
    }
}
