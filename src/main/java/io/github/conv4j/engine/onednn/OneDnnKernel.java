package io.github.conv4j.engine.onednn;

import static io.github.conv4j.engine.onednn.OneDnnRuntime.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import io.github.conv4j.Accuracy;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.engine.Epilogue;
import io.github.conv4j.engine.onednn.OneDnnObjects.Address;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
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
 * A planned oneDNN convolution: the primitive, its weights in the layout the primitive chose, the bias, and a
 * pool of executions (stream, memory objects, scratchpad) so that concurrent calls never share mutable state.
 *
 * <p>Data layout: src {@code nhwc|nchw [mb][ic][ih][iw]}, weights user {@code hwio|oihw} (grouped
 * {@code hwigo|goihw [g][oc/g][ic/g][kh][kw]}) reordered once to the primitive's blocked format, dst like src.
 *
 * <p>oneDNN 3.11 crashes or computes wrong results on a few valid geometries; {@link Workarounds} decides once
 * per plan how to hand such a spec to it (bias and ReLU applied here after the primitive, a stride of 1 on a
 * single output column, or plain weights), and {@link #implementation()} names the workaround in use.
 *
 * <p>Threads: a oneDNN primitive fixes its thread count when it is created (its kernels split the work for
 * the OpenMP thread count of that moment and start that many threads, whatever the count when they run), so a
 * call's budget is honoured only by a primitive made for it. The plan makes the primitive for the budget of a
 * call computing alone and, when that is more than one thread, a one-thread primitive too, each with the weight
 * layout its fastest kernel wants, reordered while planning (shared when the layouts agree). On a 2-core machine
 * those are every budget a call can bring. Another budget (more cores; the setting changed) gets a primitive made
 * the first time it is seen, inside that call: asked for the planned primitive's weight layout, so it shares
 * those weights and nothing is reordered; if oneDNN then offers a different kernel (its reference kernel takes
 * any layout and is many times slower), the call runs on the plan's primitive for the most threads within its
 * budget instead.
 *
 * <p>Batches: a call may bring fewer images than the plan's batch (the short batch that ends a stream). The first
 * call with a new batch size (and thread count) makes a primitive for that batch inside the call, on the planned
 * weights as above; if oneDNN offers a different kernel for it, the call runs the plan's full-batch primitive on
 * staging buffers instead and copies out the images asked for. Either way {@code y} is written only for the
 * call's images.
 *
 * <p>Concurrency: primitives are safe to execute concurrently, streams are not, and the library-managed
 * scratchpad of this build is shared by all primitives of a thread (a primitive may not move between
 * threads). So every execution owns a stream and a user-mode scratchpad, and a call takes an idle execution
 * or makes one. Executions are few (the peak of concurrent calls) and freed on {@link #close()}.
 *
 * <p>Memory: every native buffer this kernel allocates comes from one shared arena closed on
 * {@link #close()}; the oneDNN objects are destroyed there too. Nothing waits for the GC.
 */
final class OneDnnKernel implements ConvKernel {
    private final OneDnnRuntime runtime;
    private final ConvSpec spec;
    /** How the spec is handed to oneDNN 3.11 around its bugs; usually the spec as it is. */
    private final Workarounds workarounds;
    /** Bytes of one image in and out. */
    private final long imageInBytes, imageOutBytes;
    /** Owns the reordered weights, the bias, scratchpads and heap staging buffers. */
    private final Arena arena = Arena.ofShared();
    private final MemorySegment bias;
    /** Bias and ReLU in Java, when the primitive is built without them (see {@link Workarounds}). */
    private final Epilogue epilogue;
    /** Every primitive made, the planned one first; guarded by {@code this}. */
    private final List<Primitive> primitives = new ArrayList<>();
    /** The primitive for each thread count seen, for the plan's batch; guarded by {@code this}. */
    private final Map<Integer, Primitive> byThreads = new HashMap<>();
    /** How each (batch, thread count) seen below the plan's batch is computed; guarded by {@code this}. */
    private final Map<Long, Route> shortBatches = new HashMap<>();
    /** The batch, thread count and route of the last call: the fast path when neither changed. */
    private volatile Choice latest;
    /** The budget of a lone call when the plan was made; its primitive chose the weight layout. */
    private final int plannedThreads;
    /**
     * Makes every short batch take the staged route, as when oneDNN offers another kernel for it (here a 1x1 with
     * 1024 outputs planned for 2 threads, called with 1 image of 16); tests set it so that the route is covered on
     * every CPU.
     */
    volatile boolean stageShortBatches;
    private boolean closed;

    /**
     * Creates the primitive for {@code threads} threads and reorders {@code weights} into its format.
     *
     * @throws OneDnnException if oneDNN refuses the convolution or fails
     */
    OneDnnKernel(OneDnnRuntime runtime, ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        this.runtime = runtime;
        this.spec = spec;
        this.workarounds = Workarounds.of(spec);
        this.imageInBytes = spec.inputElements() / spec.mb() * spec.dtype().byteSize();
        this.imageOutBytes = spec.outputElements() / spec.mb() * spec.dtype().byteSize();
        this.plannedThreads = threads;
        try {
            long biasBytes = spec.oc() * spec.dtype().byteSize();
            if (bias != null && bias.byteSize() < biasBytes) {
                throw new IndexOutOfBoundsException("bias segment too small: " + bias.byteSize() + " bytes < "
                        + biasBytes + " needed for oc=" + spec.oc());
            }
            this.bias = bias == null ? null : arena.allocate(biasBytes, 64).copyFrom(bias.asSlice(0, biasBytes));
            this.epilogue = workarounds.fusedEpilogue() ? null : new Epilogue(spec, bias);
            synchronized (this) {
                // one thread too, whenever the plan's count is more: a budget can always be met from here on
                // without a reorder (see the class comment)
                if (threads > 1) {
                    byThreads.put(1, createPrimitive(1, weights));
                }
                Primitive p = createPrimitive(threads, weights);
                byThreads.put(threads, p);
                latest = new Choice(spec.mb(), threads, new Route(p, false));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    @Override
    public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
        runtime.useThreads(threads);
        Route r = route(batch, threads);
        Primitive p = r.primitive();
        Execution e = p.acquire();
        try {
            e.run(x, y, batch, r.staged());
        } finally {
            p.release(e);
        }
    }

    /** A primitive, and whether it computes more images than the call's on staging buffers. */
    private record Route(Primitive primitive, boolean staged) {
    }

    /** A batch, a thread count and the route that serves them. */
    private record Choice(int batch, int threads, Route route) {
    }

    private Route route(int batch, int threads) {
        Choice c = latest;
        if (c.batch() == batch && c.threads() == threads) {
            return c.route();
        }
        synchronized (this) {
            Route r;
            if (batch == spec.mb()) {
                r = new Route(primitive(threads), false);
            } else {
                long key = (long) batch << 32 | threads;
                r = shortBatches.get(key);
                if (r == null) {
                    try {
                        if (stageShortBatches) {
                            throw new OneDnnException("short batches staged", dnnl_unimplemented);
                        }
                        r = new Route(createPrimitive(batch, threads, byThreads.get(plannedThreads)), false);
                    } catch (OneDnnException e) {
                        // no kernel like the planned one for this batch: the full batch on staging buffers, rather
                        // than a slower kernel or a reorder inside a call
                        r = new Route(primitive(threads), true);
                    }
                    shortBatches.put(key, r);
                }
            }
            latest = new Choice(batch, threads, r);
            return r;
        }
    }

    /** The primitive for the plan's batch at {@code threads}, made on first need; called holding {@code this}. */
    private Primitive primitive(int threads) {
        Primitive p = byThreads.get(threads);
        if (p == null) {
            Primitive planned = byThreads.get(plannedThreads);
            try {
                p = createPrimitive(spec.mb(), threads, planned);
            } catch (OneDnnException e) {
                // no kernel as fast as the planned one for that layout at this count: the primitive for the
                // most threads the plan made that fit the budget (one thread always does), rather than a
                // slower kernel or a reorder inside a call
                p = byThreads.get(byThreads.keySet().stream().filter(t -> t <= threads).max(Integer::compare)
                        .orElseThrow());
            }
            byThreads.put(threads, p);
        }
        return p;
    }

    @Override
    public String implementation() {
        Choice c = latest;
        if (c == null) {
            return "";
        }
        Primitive p = c.route().primitive();
        if (!workarounds.any(spec)) {
            return p.implementation + staging(c);
        }
        List<String> notes = new ArrayList<>();
        if (!workarounds.fusedEpilogue()) {
            notes.add("bias/relu applied in java");
        }
        if (workarounds.sw() != spec.sw()) {
            notes.add("sw=1, pad right " + workarounds.padRight());
        }
        if (!workarounds.blockedWeights()) {
            notes.add("plain weights");
        }
        return p.implementation + staging(c) + " (oneDNN 3.11 workaround: " + String.join(", ", notes) + ")";
    }

    private String staging(Choice c) {
        return c.route().staged() ? " (" + c.batch() + " images as a batch of " + spec.mb() + " on staging buffers)"
                : "";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Primitive p : primitives) {
            p.close();
        }
        primitives.clear();
        arena.close();
    }

    // ---- planning -------------------------------------------------------------------------------------

    /** The primitive for the caller's user-layout weights ({@code hwio}, {@code oihw}, or grouped). */
    private Primitive createPrimitive(int threads, MemorySegment userWeights) {
        dnnl_memory_desc user = desc(weightDims(), userWeightTag());
        try (Arena staging = Arena.ofConfined()) {
            // oneDNN reads through an address, so weights on the Java heap go through a native copy first
            MemorySegment w = userWeights.isNative() ? userWeights
                    : staging.allocate(userWeights.byteSize(), 64).copyFrom(userWeights);
            // any: the primitive picks the blocked weight layout its fastest kernel wants (its gain over plain
            // weights was not recorded in bench/results)
            dnnl_memory_desc layout = workarounds.blockedWeights() ? desc(weightDims(), dnnl_format_tag_any) : user;
            try {
                return createPrimitive(spec.mb(), threads, layout, p -> {
                    // a layout another primitive of this plan already holds the weights in: share them
                    for (Primitive q : primitives) {
                        if (dnnl_memory_desc_equal(q.weightsMd(), p.weightsMd()) == 1) {
                            return q.weights;
                        }
                    }
                    return reorder(user, w, p.weightsMd());
                });
            } finally {
                if (layout != user) {
                    dnnl_memory_desc_destroy(layout);
                }
            }
        } finally {
            dnnl_memory_desc_destroy(user);
        }
    }

    /**
     * The primitive for {@code batch} images on {@code threads}, on the weights {@code first} holds, in their
     * layout: no reorder.
     *
     * @throws OneDnnException if oneDNN has no kernel for that layout at that count, or only a different one than
     *     {@code first}'s (its reference kernel accepts any layout, many times slower)
     */
    private Primitive createPrimitive(int batch, int threads, Primitive first) {
        dnnl_memory_desc layout = first.weightsMd();
        return createPrimitive(batch, threads, layout, p -> {
            if (dnnl_memory_desc_equal(p.weightsMd(), layout) != 1 || !p.implementation.equals(first.implementation)) {
                throw new OneDnnException("oneDNN offers " + p.implementation + " instead of " + first.implementation
                        + " for " + batch + " images on " + threads + " threads on this weight layout",
                        dnnl_unimplemented);
            }
            return first.weights;
        });
    }

    /**
     * Creates the primitive for {@code batch} images on {@code threads} with weights described by
     * {@code weightsMd} (a layout or {@code any}, owned by the caller), and gives it the weights
     * {@code weightsFor} returns for it.
     */
    private Primitive createPrimitive(int batch, int threads, dnnl_memory_desc weightsMd,
            Function<Primitive, MemorySegment> weightsFor) {
        // oneDNN reads the calling thread's OpenMP count when it makes the primitive, and keeps it
        runtime.useThreads(threads);
        int tag = spec.layout() == Layout.NHWC ? dnnl_nhwc : dnnl_nchw;
        dnnl_memory_desc src = null, dst = null, biasMd = null;
        dnnl_primitive_attr attr = null;
        dnnl_post_ops ops = null;
        Primitive p = new Primitive(batch);
        boolean made = false;
        try {
            src = desc(new long[] {batch, spec.ic(), spec.ih(), spec.iw()}, tag);
            dst = desc(new long[] {batch, spec.oc(), spec.oh(), spec.ow()}, tag);
            boolean fused = workarounds.fusedEpilogue();
            biasMd = spec.hasBias() && fused ? desc(new long[] {spec.oc()}, dnnl_x) : null;

            attr = new dnnl_primitive_attr();
            check(dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                    "dnnl_primitive_attr_set_scratchpad_mode(user)");
            if (spec.accuracy() == Accuracy.BF16) {
                // oneDNN may then round float32 src and weights to bf16 inside the primitive (float32 sums); the
                // level's bound allows for that rounding. Integer primitives are untouched (apply_to_int 0).
                check(dnnl_primitive_attr_set_fpmath_mode_v2(attr, dnnl_fpmath_mode_bf16, 0),
                        "dnnl_primitive_attr_set_fpmath_mode_v2(bf16)");
            } else {
                // strict, said explicitly: the attribute's default is the process-wide mode, which
                // ONEDNN_DEFAULT_FPMATH_MODE=BF16 (or dnnl_set_default_fpmath_mode) changes, and on a CPU with AMX
                // that would let an EXACT or FAST spec compute in bf16, far outside the bound onednn promises
                check(dnnl_primitive_attr_set_fpmath_mode_v2(attr, dnnl_fpmath_mode_strict, 0),
                        "dnnl_primitive_attr_set_fpmath_mode_v2(strict)");
            }
            if (spec.relu() && fused) {
                ops = new dnnl_post_ops();
                check(dnnl_post_ops_create(ops), "dnnl_post_ops_create");
                check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0f, 0f),
                        "dnnl_post_ops_append_eltwise(relu)");
                check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
            }

            // oneDNN counts dilation from 0 (0 = dense), conv4j from 1
            long[] strides = {spec.sh(), workarounds.sw()};
            long[] dilates = {spec.dh() - 1, spec.dw() - 1};
            long[] padL = {spec.padTop(), spec.padLeft()};
            long[] padR = {spec.padBottom(), workarounds.padRight()};
            p.pd = new dnnl_primitive_desc();
            int status = dnnl_convolution_forward_primitive_desc_create(p.pd, runtime.engine(),
                    dnnl_forward_inference, dnnl_convolution_direct, src, weightsMd, biasMd, dst, strides, dilates, padL,
                    padR, attr);
            if (status != dnnl_success) {
                p.pd = null;
                check(status, "dnnl_convolution_forward_primitive_desc_create for " + spec);
            }
            p.primitive = new dnnl_primitive();
            status = dnnl_primitive_create(p.primitive, p.pd);
            if (status != dnnl_success) {
                p.primitive = null;
                check(status, "dnnl_primitive_create for " + spec);
            }
            p.implementation = implementation(p.pd) + fpmath(p.pd);
            p.scratchpadBytes = dnnl_memory_desc_get_size(query(p.pd, dnnl_query_scratchpad_md));
            // the primitive reads and writes as many bytes as its descriptors say: they must be the spec's, or a
            // forward could run past the caller's buffers
            requireSize("src", dnnl_memory_desc_get_size(query(p.pd, dnnl_query_src_md)), imageInBytes * batch);
            requireSize("dst", dnnl_memory_desc_get_size(query(p.pd, dnnl_query_dst_md)), imageOutBytes * batch);
            p.weights = weightsFor.apply(p);
            primitives.add(p);
            made = true;
            return p;
        } finally {
            if (!made) {
                p.close();   // frees whatever part of it exists; its arena buffers go with the kernel's arena
            }
            for (dnnl_memory_desc d : new dnnl_memory_desc[] {src, dst, biasMd}) {
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

    private void requireSize(String what, long primitiveBytes, long specBytes) {
        if (primitiveBytes != specBytes) {
            throw new OneDnnException("oneDNN's " + what + " descriptor has " + primitiveBytes + " bytes, the spec "
                    + specBytes + ": " + spec, dnnl_runtime_error);
        }
    }

    /** Weight dims in oneDNN's logical order: {@code O,I,H,W}, or {@code G,O/G,I/G,H,W} with groups. */
    private long[] weightDims() {
        return spec.groups() == 1
                ? new long[] {spec.oc(), spec.ic(), spec.kh(), spec.kw()}
                : new long[] {spec.groups(), spec.ocPerGroup(), spec.icPerGroup(), spec.kh(), spec.kw()};
    }

    /** conv4j's HWIO is {@code hwigo} once O splits into G x O/G (G outer); OIHW likewise is {@code goihw}. */
    private int userWeightTag() {
        boolean grouped = spec.groups() > 1;
        return spec.layout() == Layout.NHWC ? (grouped ? dnnl_hwigo : dnnl_hwio) : (grouped ? dnnl_goihw : dnnl_oihw);
    }

    private dnnl_memory_desc desc(long[] dims, int tag) {
        int type = switch (spec.dtype()) {
            case FLOAT32 -> dnnl_f32;
            case FLOAT64 -> dnnl_f64;
            case INT8, UINT8, INT32 -> throw new IllegalArgumentException("quantized specs go to OneDnnInt8Kernel");
            // bias too: oneDNN's bf16 convolutions take a bf16 bias and add it in float32 before rounding dst
            case BFLOAT16 -> dnnl_bf16;
        };
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, type, tag),
                "dnnl_memory_desc_create_with_tag(" + java.util.Arrays.toString(dims) + ", tag " + tag + ")");
        return md;
    }

    private static dnnl_memory_desc query(dnnl_primitive_desc pd, int what) {
        return query(pd, what, 0);
    }

    private static dnnl_memory_desc query(dnnl_primitive_desc pd, int what, int index) {
        return OneDnnObjects.query(pd, what, index);
    }

    private static String implementation(dnnl_primitive_desc pd) {
        return OneDnnObjects.implementation(pd);
    }

    /**
     * The math mode the primitive was made with, read back from it: {@code ", fpmath bf16"} at BF16, nothing in
     * the default strict mode. oneDNN may compute in float32 even then (without AMX it keeps its float32 kernels),
     * so the kernel name alone does not show it.
     */
    private static String fpmath(dnnl_primitive_desc pd) {
        dnnl_primitive_attr attr = new dnnl_primitive_attr();    // owned by pd: not destroyed here
        check(dnnl_primitive_desc_get_attr(pd, attr), "dnnl_primitive_desc_get_attr");
        int[] mode = new int[1], appliesToInt = new int[1];
        check(dnnl_primitive_attr_get_fpmath_mode_v2(attr, mode, appliesToInt),
                "dnnl_primitive_attr_get_fpmath_mode_v2");
        if (mode[0] == dnnl_fpmath_mode_strict) {
            return "";
        }
        return ", fpmath " + (mode[0] == dnnl_fpmath_mode_bf16 ? "bf16" : "mode " + mode[0]);
    }

    /** Copies {@code weights} (laid out as {@code from}) into a new arena buffer laid out as {@code to}. */
    private MemorySegment reorder(dnnl_memory_desc from, MemorySegment weights, dnnl_memory_desc to) {
        MemorySegment out = arena.allocate(Math.max(1, dnnl_memory_desc_get_size(to)), 64);
        if (dnnl_memory_desc_equal(from, to) == 1) {
            return out.copyFrom(weights.asSlice(0, out.byteSize()));
        }
        OneDnnObjects.reorder(runtime, from, weights, to, out);
        return out;
    }

    private dnnl_memory memory(dnnl_memory_desc md, long address) {
        return OneDnnObjects.memory(runtime, md, address);
    }

    // ---- per thread count: the primitive and its executions -------------------------------------------

    private final class Primitive {
        /** The images it computes at once. */
        final int batch;
        dnnl_primitive_desc pd;
        dnnl_primitive primitive;
        MemorySegment weights;
        long scratchpadBytes;
        String implementation = "";
        /** A one-slot cache: single-threaded use then allocates nothing per call. */
        private final AtomicReference<Execution> spare = new AtomicReference<>();
        private final ConcurrentLinkedQueue<Execution> idle = new ConcurrentLinkedQueue<>();
        /** Every execution made, to free them; guarded by {@code this}. */
        private final List<Execution> all = new ArrayList<>();

        Primitive(int batch) {
            this.batch = batch;
        }

        /** The weight layout the primitive chose; owned by {@link #pd}. */
        dnnl_memory_desc weightsMd() {
            return query(pd, dnnl_query_weights_md);
        }

        Execution acquire() {
            Execution e = spare.getAndSet(null);
            if (e == null) {
                e = idle.poll();
            }
            if (e == null) {
                e = new Execution(this);
                synchronized (this) {
                    all.add(e);
                }
            }
            return e;
        }

        void release(Execution e) {
            if (!spare.compareAndSet(null, e)) {
                idle.offer(e);
            }
        }

        synchronized void close() {
            for (Execution e : all) {
                e.close();
            }
            all.clear();
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
        private final dnnl_memory[] memories = new dnnl_memory[5];
        private final dnnl_memory src, dst;
        private final Address srcAt = new Address(0), dstAt = new Address(0);
        /** The addresses src and dst point at now; 0 (none) until the first call. */
        private long srcHandle, dstHandle;
        private final int count;
        private dnnl_stream stream;
        private dnnl_exec_arg_t args;
        /** Native copies of Java-heap x and y; made on first need. */
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
                int n = 0;
                args = new dnnl_exec_arg_t(5);
                src = add(n++, DNNL_ARG_SRC, query(p.pd, dnnl_query_src_md), 0);
                add(n++, DNNL_ARG_WEIGHTS, p.weightsMd(), p.weights.address());
                dst = add(n++, DNNL_ARG_DST, query(p.pd, dnnl_query_dst_md), 0);
                if (bias != null && workarounds.fusedEpilogue()) {
                    add(n++, DNNL_ARG_BIAS, query(p.pd, dnnl_query_weights_md, 1), bias.address());
                }
                if (p.scratchpadBytes > 0) {
                    MemorySegment pad = arena.allocate(p.scratchpadBytes, 64);
                    add(n++, DNNL_ARG_SCRATCHPAD, query(p.pd, dnnl_query_scratchpad_md), pad.address());
                }
                count = n;
                args.position(0);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        private dnnl_memory add(int i, int arg, dnnl_memory_desc md, long address) {
            dnnl_memory m = memory(md, address);
            memories[i] = m;
            args.position(i).arg(arg).memory(m);
            return m;
        }

        /**
         * Points the memory objects at the caller's buffers (or staging copies) and runs the primitive on the first
         * {@code batch} images; {@code staged}: the primitive computes more images than that, on staging buffers.
         */
        void run(MemorySegment x, MemorySegment y, int batch, boolean staged) {
            long inBytes = imageInBytes * batch, outBytes = imageOutBytes * batch;
            // the primitive reads p.batch images at x and writes them at y (its descriptors were checked when it
            // was made); unless staged, p.batch is the call's: one bound check per call before any address
            // reaches native code
            if (x.byteSize() < inBytes || y.byteSize() < outBytes) {
                throw new IndexOutOfBoundsException("segment too small for oneDNN: x " + x.byteSize() + " bytes (needs "
                        + inBytes + "), y " + y.byteSize() + " bytes (needs " + outBytes + ")");
            }
            long xa;
            if (x.isNative() && !staged) {
                xa = x.address();
            } else {
                if (stagedX == null) {
                    stagedX = arena.allocate(imageInBytes * p.batch, 64);
                }
                MemorySegment.copy(x, 0, stagedX, 0, inBytes);
                xa = stagedX.address();
            }
            long ya;
            if (y.isNative() && !staged) {
                ya = y.address();
            } else {
                if (stagedY == null) {
                    stagedY = arena.allocate(imageOutBytes * p.batch, 64);
                }
                ya = stagedY.address();
            }
            // callers usually reuse their buffers: skip the two native calls when the addresses did not change
            if (xa != srcHandle) {
                check(dnnl_memory_set_data_handle(src, srcAt.at(xa)), "dnnl_memory_set_data_handle(src)");
                srcHandle = xa;
            }
            if (ya != dstHandle) {
                check(dnnl_memory_set_data_handle(dst, dstAt.at(ya)), "dnnl_memory_set_data_handle(dst)");
                dstHandle = ya;
            }
            check(dnnl_primitive_execute(p.primitive, stream, count, args), "dnnl_primitive_execute");
            check(dnnl_stream_wait(stream), "dnnl_stream_wait");
            if (!y.isNative() || staged) {
                MemorySegment.copy(stagedY, 0, y, 0, outBytes);
            }
            if (epilogue != null) {
                epilogue.all(y, batch);
            }
        }

        void close() {
            for (int i = 0; i < memories.length; i++) {
                if (memories[i] != null) {
                    dnnl_memory_destroy(memories[i]);
                    memories[i] = null;
                }
            }
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
