package io.github.conv4j.engine.onednn;

import static io.github.conv4j.engine.onednn.OneDnnRuntime.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.bench.BenchInputs;
import io.github.conv4j.bench.Shapes;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What conv4j adds to oneDNN, per shape: {@code raw} runs the same convolution as a plain oneDNN program
 * written against the C API would (the primitive created once with {@code format_tag::any} weights, reordered
 * once; memory objects over fixed buffers made once; the library's own scratchpad; execute and wait),
 * {@code kernel} is the {@code onednn} engine's kernel called with {@code forward(x, y, threads)}, and
 * {@code plan} is a {@code ConvPlan} of it as an application holds one (argument checks, the thread budget of
 * {@code Settings.setThreads(threads)}, limited by the shape's work). {@code plan - raw} is conv4j's overhead,
 * {@code plan - kernel} the facade's share of it. The raw program's output must equal the kernel's bit for bit,
 * and the plan's must match naive, before anything is timed.
 *
 * <p>In the engine's package because the raw program uses the engine's {@link OneDnnRuntime} (package-private):
 * the same CPU engine and the same OpenMP thread control ({@code omp_set_num_threads} of the preset's libgomp)
 * as conv4j, so both sides run on one oneDNN with one thread count.
 *
 * <p>Run: {@code ./conv4j jmh OneDnnOverheadBenchmark -p shape=S1,R2 -p threads=1,2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class OneDnnOverheadBenchmark {
    @Param({"S1", "S2", "R1", "R2", "R3", "R4", "R5", "R6", "D1"})
    public String shape;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private BenchInputs in;
    private ConvPlan plan;
    private ConvKernel kernel;
    private Tensor kernelY;
    private RawConvolution raw;

    @Setup(Level.Trial)
    public void setUp() {
        OneDnnEngine engine = new OneDnnEngine();
        if (!engine.probe().available()) {
            throw new IllegalStateException(OneDnnEngine.NAME + " is unavailable: " + engine.probe().reason());
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads < 1: " + threads);
        }
        Settings.setThreads(threads);
        arena = Arena.ofShared();
        in = new BenchInputs(arena, Shapes.spec(shape, DType.FLOAT32, Layout.NHWC), shape.hashCode());
        plan = Conv2d.plan(OneDnnEngine.NAME, in.spec, in.w, null);
        in.checkAgainstNaive(plan, arena);
        kernel = engine.plan(in.spec, in.w.data(), null, threads);
        kernelY = Tensor.allocate(arena, DType.FLOAT32, in.spec.outputShape());
        kernel.forward(in.x.data(), kernelY.data(), in.spec.mb(), threads);
        raw = new RawConvolution(OneDnnEngine.runtime(), in.spec, in.w.data(), in.x.data(), threads, arena);
        raw.run();
        raw.checkSame(kernelY.data(), in.spec.outputElements());
    }

    @Benchmark
    public void raw() {
        raw.run();
    }

    @Benchmark
    public void kernel() {
        kernel.forward(in.x.data(), kernelY.data(), in.spec.mb(), threads);
    }

    @Benchmark
    public void plan() {
        plan.forward(in.x, in.y);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (raw != null) {
            raw.close();
        }
        if (kernel != null) {
            kernel.close();
        }
        if (plan != null) {
            plan.close();
        }
        if (arena != null) {
            arena.close();
        }
    }

    /**
     * An NHWC float32 convolution without bias as a plain oneDNN program runs it, written against the C API, not
     * through {@link OneDnnKernel}. Data layout: src {@code nhwc}, weights {@code hwio} (grouped {@code hwigo})
     * reordered once to the primitive's choice, dst {@code nhwc}.
     */
    private static final class RawConvolution implements AutoCloseable {
        private final dnnl_primitive_desc pd = new dnnl_primitive_desc();
        private final dnnl_primitive primitive = new dnnl_primitive();
        private final dnnl_stream stream = new dnnl_stream();
        private final dnnl_memory src = new dnnl_memory(), weights = new dnnl_memory(), dst = new dnnl_memory();
        private final dnnl_exec_arg_t args = new dnnl_exec_arg_t(3);
        final MemorySegment y;

        /** Creates the primitive for {@code threads} threads over {@code x} and a new output; reorders {@code hwio}. */
        RawConvolution(OneDnnRuntime runtime, ConvSpec s, MemorySegment hwio, MemorySegment x, int threads,
                Arena arena) {
            y = arena.allocate(s.outputElements() * Float.BYTES, 64);
            boolean grouped = s.groups() > 1;
            long[] wDims = grouped ? new long[] {s.groups(), s.ocPerGroup(), s.icPerGroup(), s.kh(), s.kw()}
                    : new long[] {s.oc(), s.ic(), s.kh(), s.kw()};
            dnnl_memory_desc srcMd = desc(new long[] {s.mb(), s.ic(), s.ih(), s.iw()}, dnnl_nhwc);
            dnnl_memory_desc dstMd = desc(new long[] {s.mb(), s.oc(), s.oh(), s.ow()}, dnnl_nhwc);
            dnnl_memory_desc anyMd = desc(wDims, dnnl_format_tag_any);
            dnnl_memory_desc userMd = desc(wDims, grouped ? dnnl_hwigo : dnnl_hwio);
            try {
                // a primitive splits its work for the OpenMP thread count of its creation
                runtime.useThreads(threads);
                // oneDNN counts dilation from 0, conv4j from 1
                check(dnnl_convolution_forward_primitive_desc_create(pd, runtime.engine(), dnnl_forward_inference,
                        dnnl_convolution_direct, srcMd, anyMd, null, dstMd, new long[] {s.sh(), s.sw()},
                        new long[] {s.dh() - 1, s.dw() - 1}, new long[] {s.padTop(), s.padLeft()},
                        new long[] {s.padBottom(), s.padRight()}, null), "raw convolution descriptor");
                check(dnnl_primitive_create(primitive, pd), "raw convolution primitive");
                check(dnnl_stream_create(stream, runtime.engine(), dnnl_stream_default_flags), "raw stream");
                dnnl_memory_desc wMd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
                MemorySegment blocked = arena.allocate(dnnl_memory_desc_get_size(wMd), 64);
                check(dnnl_memory_create(weights, wMd, runtime.engine(), new Address(blocked.address())),
                        "raw weights");
                reorder(runtime, userMd, hwio, wMd);
                check(dnnl_memory_create(src, srcMd, runtime.engine(), new Address(x.address())), "raw src");
                check(dnnl_memory_create(dst, dstMd, runtime.engine(), new Address(y.address())), "raw dst");
            } finally {
                for (dnnl_memory_desc d : new dnnl_memory_desc[] {srcMd, dstMd, anyMd, userMd}) {
                    dnnl_memory_desc_destroy(d);
                }
            }
            args.position(0).arg(DNNL_ARG_SRC).memory(src);
            args.position(1).arg(DNNL_ARG_WEIGHTS).memory(weights);
            args.position(2).arg(DNNL_ARG_DST).memory(dst);
            args.position(0);
        }

        /** Copies the user's weights into {@link #weights} in the primitive's layout {@code to}. */
        private void reorder(OneDnnRuntime runtime, dnnl_memory_desc userMd, MemorySegment hwio,
                dnnl_memory_desc to) {
            dnnl_memory user = new dnnl_memory();
            dnnl_primitive_desc rpd = new dnnl_primitive_desc();
            dnnl_primitive reorder = new dnnl_primitive();
            try (dnnl_exec_arg_t r = new dnnl_exec_arg_t(2)) {
                check(dnnl_memory_create(user, userMd, runtime.engine(), new Address(hwio.address())),
                        "raw user weights");
                check(dnnl_reorder_primitive_desc_create(rpd, userMd, runtime.engine(), to, runtime.engine(), null),
                        "raw reorder descriptor");
                check(dnnl_primitive_create(reorder, rpd), "raw reorder primitive");
                r.position(0).arg(DNNL_ARG_FROM).memory(user);
                r.position(1).arg(DNNL_ARG_TO).memory(weights);
                check(dnnl_primitive_execute(reorder, stream, 2, r.position(0)), "raw reorder");
                check(dnnl_stream_wait(stream), "raw reorder wait");
            } finally {
                if (!reorder.isNull()) {
                    dnnl_primitive_destroy(reorder);
                }
                if (!rpd.isNull()) {
                    dnnl_primitive_desc_destroy(rpd);
                }
                if (!user.isNull()) {
                    dnnl_memory_destroy(user);
                }
            }
        }

        private static dnnl_memory_desc desc(long[] dims, int tag) {
            dnnl_memory_desc d = new dnnl_memory_desc();
            check(dnnl_memory_desc_create_with_tag(d, dims.length, dims, dnnl_f32, tag), "raw memory descriptor");
            return d;
        }

        void run() {
            check(dnnl_primitive_execute(primitive, stream, 3, args), "raw execute");
            check(dnnl_stream_wait(stream), "raw wait");
        }

        /** Throws unless {@link #y} equals {@code other} bit for bit: else the two sides did different work. */
        void checkSame(MemorySegment other, long elements) {
            for (long i = 0; i < elements; i++) {
                float a = y.getAtIndex(ValueLayout.JAVA_FLOAT, i), b = other.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (Float.floatToRawIntBits(a) != Float.floatToRawIntBits(b)) {
                    throw new IllegalStateException("raw oneDNN and conv4j's kernel differ at " + i + ": " + a
                            + " vs " + b);
                }
            }
        }

        @Override
        public void close() {
            for (dnnl_memory m : new dnnl_memory[] {src, weights, dst}) {
                if (!m.isNull()) {
                    dnnl_memory_destroy(m);
                }
            }
            if (!stream.isNull()) {
                dnnl_stream_destroy(stream);
            }
            if (!primitive.isNull()) {
                dnnl_primitive_destroy(primitive);
            }
            if (!pd.isNull()) {
                dnnl_primitive_desc_destroy(pd);
            }
            args.close();
        }
    }

    /** A JavaCPP pointer to a raw address, which is how a segment reaches the preset's {@code void*}. */
    private static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }
}
