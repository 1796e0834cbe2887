package io.github.conv4j.engine.onednn;

import static io.github.conv4j.engine.onednn.OneDnnRuntime.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Quantization;
import io.github.conv4j.engine.onednn.OneDnnObjects.Address;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * A planned oneDNN int8 convolution (ONNX {@code QLinearConv}, see {@link Quantization}).
 *
 * <p>Data layout: src {@code u8|s8 nhwc|nchw}, weights {@code s8} user {@code hwio|oihw} (grouped
 * {@code hwigo|goihw}) reordered into the layout the primitive picks (with the compensation oneDNN keeps for s8
 * or zero-pointed src), bias {@code f32 [oc]}, dst {@code s8|u8|f32} like src.
 *
 * <p>oneDNN v3 computes {@code dst = post_ops(acc * srcScale * weightScale[oc] + bias) / dstScale + dstZeroPoint},
 * with {@code acc} the sum of {@code (src - srcZeroPoint) * weights}: its bias is added after the scales, so the
 * int32 bias becomes the float {@code bias[oc] * inputScale * weightScale[oc]} here, once, when the plan is
 * made. Scales and zero points are runtime arguments, held in native buffers the plan owns. Padding is the src
 * zero point in oneDNN too (a real zero), as ONNX defines it.
 *
 * <p>Simpler than the float kernel: one primitive per (batch, threads) pair, made on first need from the weights
 * kept in their user layout; a pool of executions (stream, memory objects, scratchpad) per primitive so
 * concurrent calls share no mutable state. Every native buffer comes from one shared arena closed on
 * {@link #close()}.
 */
final class OneDnnInt8Kernel implements ConvKernel {
    private final OneDnnRuntime runtime;
    private final ConvSpec spec;
    private final Quantization q;
    private final Workarounds workarounds;
    private final long imageInBytes, imageOutBytes;
    private final Arena arena = Arena.ofShared();
    /** The weights as given, to reorder for each primitive's layout. */
    private final MemorySegment userWeights;
    /** Float bias ({@code B * inputScale * weightScale}), or null; scales and zero points for the runtime args. */
    private final MemorySegment bias, srcScale, weightScales, dstScale, srcZeroPoint, dstZeroPoint;
    /** Primitives by {@code batch << 32 | threads}; guarded by {@code this}. */
    private final Map<Long, Primitive> primitives = new HashMap<>();
    private final List<Primitive> all = new ArrayList<>();
    private volatile Primitive latest;
    private boolean closed;

    /**
     * Creates the primitive for the spec's batch on {@code threads} threads.
     *
     * @throws OneDnnException if oneDNN refuses the convolution or fails
     */
    OneDnnInt8Kernel(OneDnnRuntime runtime, ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        this.runtime = runtime;
        this.spec = spec;
        this.q = spec.quantization();
        this.workarounds = Workarounds.of(spec);
        this.imageInBytes = spec.inputElements() / spec.mb();
        this.imageOutBytes = spec.outputElements() / spec.mb() * spec.outputDType().byteSize();
        try {
            userWeights = arena.allocate(spec.weightElements(), 64).copyFrom(weights.asSlice(0, spec.weightElements()));
            int oc = spec.oc();
            if (bias != null) {
                this.bias = arena.allocate(4L * oc, 64);
                for (int o = 0; o < oc; o++) {
                    // in double, then one rounding to float: the int32 bias in real units
                    double b = bias.getAtIndex(ValueLayout.JAVA_INT, o) * (double) q.inputScale() * q.weightScale(o);
                    this.bias.setAtIndex(ValueLayout.JAVA_FLOAT, o, (float) b);
                }
            } else {
                this.bias = null;
            }
            srcScale = floats(q.inputScale());
            weightScales = floats(q.weightScales());
            dstScale = floats(q.outputScale());
            srcZeroPoint = arena.allocate(4, 4).fill((byte) 0);
            srcZeroPoint.set(ValueLayout.JAVA_INT, 0, q.inputZeroPoint());
            dstZeroPoint = arena.allocate(4, 4).fill((byte) 0);
            dstZeroPoint.set(ValueLayout.JAVA_INT, 0, q.outputZeroPoint());
            synchronized (this) {
                latest = primitive(spec.mb(), threads);
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private MemorySegment floats(float... v) {
        MemorySegment m = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, m, ValueLayout.JAVA_FLOAT, 0, v.length);
        return m;
    }

    @Override
    public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
        runtime.useThreads(threads);
        Primitive p = latest;
        if (p.batch != batch || p.threads != threads) {
            synchronized (this) {
                p = primitive(batch, threads);
                latest = p;
            }
        }
        Execution e = p.idle.poll();
        if (e == null) {
            e = p.newExecution();
        }
        try {
            e.run(x, y, batch);
        } finally {
            p.idle.offer(e);
        }
    }

    /** The primitive for {@code batch} images on {@code threads}, made on first need; called holding {@code this}. */
    private Primitive primitive(int batch, int threads) {
        if (closed) {
            throw new IllegalStateException("kernel is closed");
        }
        long key = (long) batch << 32 | threads;
        Primitive p = primitives.get(key);
        if (p == null) {
            p = create(batch, threads);
            primitives.put(key, p);
        }
        return p;
    }

    @Override
    public String implementation() {
        Primitive p = latest;
        if (p == null) {
            return "";
        }
        return p.implementation + (workarounds.any(spec) ? " (oneDNN 3.11 workaround: "
                + (workarounds.blockedWeights() ? "sw=1, pad right " + workarounds.padRight() : "plain weights") + ")"
                : "");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Primitive p : all) {
            p.close();
        }
        all.clear();
        primitives.clear();
        arena.close();
    }

    // ---- planning -------------------------------------------------------------------------------------

    private Primitive create(int batch, int threads) {
        // oneDNN reads the calling thread's OpenMP count when it makes the primitive, and keeps it
        runtime.useThreads(threads);
        int tag = spec.layout() == Layout.NHWC ? dnnl_nhwc : dnnl_nchw;
        boolean grouped = spec.groups() > 1;
        long[] wDims = grouped
                ? new long[] {spec.groups(), spec.ocPerGroup(), spec.icPerGroup(), spec.kh(), spec.kw()}
                : new long[] {spec.oc(), spec.ic(), spec.kh(), spec.kw()};
        int userTag = spec.layout() == Layout.NHWC ? (grouped ? dnnl_hwigo : dnnl_hwio)
                : (grouped ? dnnl_goihw : dnnl_oihw);
        int srcType = spec.dtype() == DType.UINT8 ? dnnl_u8 : dnnl_s8;
        int dstType = switch (q.output()) {
            case INT8 -> dnnl_s8;
            case UINT8 -> dnnl_u8;
            default -> dnnl_f32;
        };
        boolean intOut = q.output() != DType.FLOAT32;
        dnnl_memory_desc src = null, dst = null, wAny = null, wUser = null, biasMd = null;
        dnnl_primitive_attr attr = null;
        dnnl_post_ops ops = null;
        Primitive p = new Primitive(batch, threads);
        boolean made = false;
        try {
            src = desc(new long[] {batch, spec.ic(), spec.ih(), spec.iw()}, srcType, tag);
            dst = desc(new long[] {batch, spec.oc(), spec.oh(), spec.ow()}, dstType, tag);
            wUser = desc(wDims, dnnl_s8, userTag);
            wAny = workarounds.blockedWeights() ? desc(wDims, dnnl_s8, dnnl_format_tag_any) : null;
            biasMd = bias == null ? null : desc(new long[] {spec.oc()}, dnnl_f32, dnnl_x);

            attr = new dnnl_primitive_attr();
            check(dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                    "dnnl_primitive_attr_set_scratchpad_mode(user)");
            check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_SRC, 0), "set_scales_mask(src)");
            // per output channel: weights dims are O,I,H,W (mask bit 0) or G,O/G,I/G,H,W (bits 0 and 1)
            int weightMask = q.perChannelScales() ? (grouped ? 3 : 1) : 0;
            check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_WEIGHTS, weightMask), "set_scales_mask(weights)");
            if (intOut) {
                check(dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_DST, 0), "set_scales_mask(dst)");
            }
            // a zero point of 0 is left out: it can only narrow oneDNN's choice of kernel
            if (q.inputZeroPoint() != 0) {
                check(dnnl_primitive_attr_set_zero_points_mask(attr, DNNL_ARG_SRC, 0), "set_zero_points_mask(src)");
            }
            if (intOut && q.outputZeroPoint() != 0) {
                check(dnnl_primitive_attr_set_zero_points_mask(attr, DNNL_ARG_DST, 0), "set_zero_points_mask(dst)");
            }
            if (spec.relu()) {
                ops = new dnnl_post_ops();
                check(dnnl_post_ops_create(ops), "dnnl_post_ops_create");
                check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0f, 0f), "dnnl_post_ops_append_eltwise(relu)");
                check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
            }
            long[] strides = {spec.sh(), workarounds.sw()};
            long[] dilates = {spec.dh() - 1, spec.dw() - 1};    // oneDNN counts dilation from 0
            long[] padL = {spec.padTop(), spec.padLeft()};
            long[] padR = {spec.padBottom(), workarounds.padRight()};
            p.pd = new dnnl_primitive_desc();
            int status = dnnl_convolution_forward_primitive_desc_create(p.pd, runtime.engine(), dnnl_forward_inference,
                    dnnl_convolution_direct, src, wAny != null ? wAny : wUser, biasMd, dst, strides, dilates, padL,
                    padR, attr);
            if (status != dnnl_success) {
                p.pd = null;
                check(status, "dnnl_convolution_forward_primitive_desc_create for " + spec);
            }
            skipInexact(p.pd);
            p.primitive = new dnnl_primitive();
            status = dnnl_primitive_create(p.primitive, p.pd);
            if (status != dnnl_success) {
                p.primitive = null;
                check(status, "dnnl_primitive_create for " + spec);
            }
            p.implementation = implementation(p.pd);
            p.scratchpadBytes = dnnl_memory_desc_get_size(query(p.pd, dnnl_query_scratchpad_md, 0));
            // the primitive reads and writes as many bytes as its descriptors say: they must be the spec's
            requireSize("src", dnnl_memory_desc_get_size(query(p.pd, dnnl_query_src_md, 0)), imageInBytes * batch);
            requireSize("dst", dnnl_memory_desc_get_size(query(p.pd, dnnl_query_dst_md, 0)), imageOutBytes * batch);
            p.weights = weightsFor(p, wUser);
            all.add(p);
            made = true;
            return p;
        } finally {
            if (!made) {
                p.close();    // a primitive that failed to build is not kept: a retry would add another
            }
            for (dnnl_memory_desc d : new dnnl_memory_desc[] {src, dst, wAny, wUser, biasMd}) {
                if (d != null && !d.isNull()) {
                    dnnl_memory_desc_destroy(d);
                }
            }
            if (ops != null && !ops.isNull()) {
                dnnl_post_ops_destroy(ops);
            }
            if (attr != null && !attr.isNull()) {
                dnnl_primitive_attr_destroy(attr);
            }
        }
    }

    /**
     * {@code p}'s weights: those of an earlier primitive whose weight layout is the same (a call's batch or thread
     * count seldom changes it), else the user's weights reordered to it. So the weights are held once per layout, not
     * once per primitive.
     */
    private MemorySegment weightsFor(Primitive p, dnnl_memory_desc user) {
        dnnl_memory_desc layout = query(p.pd, dnnl_query_weights_md, 0);
        for (Primitive q : all) {
            if (dnnl_memory_desc_equal(query(q.pd, dnnl_query_weights_md, 0), layout) == 1) {
                return q.weights;
            }
        }
        return reorder(user, layout);
    }

    /**
     * Moves {@code pd} past the implementations that do not compute the int8 definition exactly, to the first one
     * that does ({@code ref:any} at the latest). Two kinds, both found by the fuzz in {@code QuantizedConvTest} and
     * {@code QuantizedIsaTest}:
     * <ul>
     *   <li>oneDNN 3.11's gemm-based int8 convolutions ({@code x64:gemm_s8u8s32:jit}, {@code x64:gemm_s8s8s32:jit}),
     *       wrong on every spec they were offered (NCHW with one input channel per group: even a 1x1 convolution of
     *       one channel into four gave a wrong second channel, with or without zero points);
     *   <li>jit kernels for instruction sets without VNNI ({@code jit_uni_int8:avx2}, the AVX-512 ones without
     *       VNNI): they add pairs of u8 x s8 products in 16 bits with saturation, or halve the weights to avoid it,
     *       and were off by up to a dozen units (and float32 outputs by a third) under
     *       {@code ONEDNN_MAX_CPU_ISA=AVX2} or {@code AVX512_CORE}.
     * </ul>
     * They are skipped rather than declined, so those specs still run on oneDNN, more slowly.
     *
     * @throws OneDnnException if no exact implementation is left
     */
    private void skipInexact(dnnl_primitive_desc pd) {
        while (!exact(implementation(pd))) {
            int status = dnnl_primitive_desc_next_impl(pd);
            if (status != dnnl_success) {
                throw new OneDnnException("oneDNN offers no exact int8 convolution for " + spec, status);
            }
        }
    }

    /**
     * Whether the implementation named {@code impl} computes int8 exactly: the reference, or a kernel for an
     * instruction set with 32-bit int8 dot products (VNNI, and the sets that include it: AMX, AVX-512 BF16/FP16,
     * AVX10). The name ends with that set ({@code brg_conv_fwd:avx512_core_vnni}).
     */
    static boolean exact(String impl) {
        if (impl.startsWith("ref")) {
            return true;
        }
        if (impl.startsWith("x64:gemm")) {
            return false;
        }
        String isa = impl.substring(impl.lastIndexOf(':') + 1);
        return isa.contains("vnni") || isa.contains("amx") || isa.contains("bf16") || isa.contains("fp16")
                || isa.startsWith("avx10");
    }

    private void requireSize(String what, long primitiveBytes, long specBytes) {
        if (primitiveBytes != specBytes) {
            throw new OneDnnException("oneDNN's " + what + " descriptor has " + primitiveBytes + " bytes, the spec "
                    + specBytes + ": " + spec, dnnl_runtime_error);
        }
    }

    private static dnnl_memory_desc desc(long[] dims, int type, int tag) {
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, type, tag),
                "dnnl_memory_desc_create_with_tag(" + java.util.Arrays.toString(dims) + ", type " + type + ", tag "
                        + tag + ")");
        return md;
    }

    private static dnnl_memory_desc query(dnnl_primitive_desc pd, int what, int index) {
        return OneDnnObjects.query(pd, what, index);
    }

    private static String implementation(dnnl_primitive_desc pd) {
        return OneDnnObjects.implementation(pd);
    }

    /**
     * The user weights reordered into {@code to} (a new arena buffer); the reorder also fills the compensation
     * oneDNN appends to int8 weights for s8 or zero-pointed src.
     */
    private MemorySegment reorder(dnnl_memory_desc from, dnnl_memory_desc to) {
        MemorySegment out = arena.allocate(Math.max(1, dnnl_memory_desc_get_size(to)), 64);
        OneDnnObjects.reorder(runtime, from, userWeights, to, out);
        return out;
    }

    private dnnl_memory memory(dnnl_memory_desc md, long address) {
        return OneDnnObjects.memory(runtime, md, address);
    }

    // ---- per (batch, threads): the primitive and its executions -----------------------------------------

    private final class Primitive {
        final int batch, threads;
        dnnl_primitive_desc pd;
        dnnl_primitive primitive;
        MemorySegment weights;
        long scratchpadBytes;
        String implementation = "";
        final ConcurrentLinkedQueue<Execution> idle = new ConcurrentLinkedQueue<>();
        /** Every execution made, to free them; guarded by {@code this}. */
        private final List<Execution> made = new ArrayList<>();

        Primitive(int batch, int threads) {
            this.batch = batch;
            this.threads = threads;
        }

        synchronized Execution newExecution() {
            Execution e = new Execution(this);
            made.add(e);
            return e;
        }

        synchronized void close() {
            for (Execution e : made) {
                e.close();
            }
            made.clear();
            if (primitive != null) {
                dnnl_primitive_destroy(primitive);
                primitive = null;
            }
            if (pd != null) {
                dnnl_primitive_desc_destroy(pd);
                pd = null;
            }
        }
    }

    /** What one call at a time needs: a stream, memory objects, a scratchpad, staging for heap segments. */
    private final class Execution {
        private final Primitive p;
        private final List<dnnl_memory> memories = new ArrayList<>();
        private dnnl_memory src, dst;
        private dnnl_stream stream;
        private dnnl_exec_arg_t args;
        private int count;
        private MemorySegment stagedX, stagedY;

        Execution(Primitive p) {
            this.p = p;
            try {
                stream = new dnnl_stream();
                int status = dnnl_stream_create(stream, runtime.engine(), dnnl_stream_default_flags);
                if (status != dnnl_success) {
                    stream = null;
                    check(status, "dnnl_stream_create");
                }
                args = new dnnl_exec_arg_t(11);
                src = add(DNNL_ARG_SRC, query(p.pd, dnnl_query_src_md, 0), 0);
                add(DNNL_ARG_WEIGHTS, query(p.pd, dnnl_query_weights_md, 0), p.weights.address());
                dst = add(DNNL_ARG_DST, query(p.pd, dnnl_query_dst_md, 0), 0);
                if (bias != null) {
                    add(DNNL_ARG_BIAS, query(p.pd, dnnl_query_weights_md, 1), bias.address());
                }
                if (p.scratchpadBytes > 0) {
                    MemorySegment pad = arena.allocate(p.scratchpadBytes, 64);
                    add(DNNL_ARG_SCRATCHPAD, query(p.pd, dnnl_query_scratchpad_md, 0), pad.address());
                }
                vector(DNNL_ARG_ATTR_SCALES | DNNL_ARG_SRC, dnnl_f32, 1, srcScale);
                vector(DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, dnnl_f32, q.perChannelScales() ? spec.oc() : 1,
                        weightScales);
                if (q.output() != DType.FLOAT32) {
                    vector(DNNL_ARG_ATTR_SCALES | DNNL_ARG_DST, dnnl_f32, 1, dstScale);
                    if (q.outputZeroPoint() != 0) {
                        vector(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, dnnl_s32, 1, dstZeroPoint);
                    }
                }
                if (q.inputZeroPoint() != 0) {
                    vector(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, dnnl_s32, 1, srcZeroPoint);
                }
                args.position(0);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        private void vector(int arg, int type, long n, MemorySegment values) {
            dnnl_memory_desc md = desc(new long[] {n}, type, dnnl_x);
            try {
                add(arg, md, values.address());
            } finally {
                dnnl_memory_desc_destroy(md);
            }
        }

        private dnnl_memory add(int arg, dnnl_memory_desc md, long address) {
            dnnl_memory m = memory(md, address);
            memories.add(m);
            args.position(count++).arg(arg).memory(m);
            return m;
        }

        /** Runs the primitive on the caller's buffers, or on native copies of heap ones. */
        void run(MemorySegment x, MemorySegment y, int batch) {
            long inBytes = imageInBytes * batch, outBytes = imageOutBytes * batch;
            if (x.byteSize() < inBytes || y.byteSize() < outBytes) {
                throw new IndexOutOfBoundsException("segment too small for oneDNN: x " + x.byteSize() + " bytes (needs "
                        + inBytes + "), y " + y.byteSize() + " bytes (needs " + outBytes + ")");
            }
            long xa;
            if (x.isNative()) {
                xa = x.address();
            } else {
                if (stagedX == null) {
                    stagedX = arena.allocate(imageInBytes * p.batch, 64);
                }
                MemorySegment.copy(x, 0, stagedX, 0, inBytes);
                xa = stagedX.address();
            }
            long ya;
            if (y.isNative()) {
                ya = y.address();
            } else {
                if (stagedY == null) {
                    stagedY = arena.allocate(imageOutBytes * p.batch, 64);
                }
                ya = stagedY.address();
            }
            check(dnnl_memory_set_data_handle(src, new Address(xa)), "dnnl_memory_set_data_handle(src)");
            check(dnnl_memory_set_data_handle(dst, new Address(ya)), "dnnl_memory_set_data_handle(dst)");
            check(dnnl_primitive_execute(p.primitive, stream, count, args.position(0)), "dnnl_primitive_execute");
            check(dnnl_stream_wait(stream), "dnnl_stream_wait");
            if (!y.isNative()) {
                MemorySegment.copy(stagedY, 0, y, 0, outBytes);
            }
        }

        void close() {
            for (dnnl_memory m : memories) {
                dnnl_memory_destroy(m);
            }
            memories.clear();
            if (stream != null) {
                dnnl_stream_destroy(stream);
                stream = null;
            }
            if (args != null) {
                args.close();
                args = null;
            }
        }
    }
}
