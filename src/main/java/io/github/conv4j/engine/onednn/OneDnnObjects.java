package io.github.conv4j.engine.onednn;

import static io.github.conv4j.engine.onednn.OneDnnRuntime.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import java.lang.foreign.MemorySegment;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * What the float and the int8 kernels both do with oneDNN objects: query a primitive descriptor, wrap a segment's
 * address in a memory object, and reorder weights into the layout a primitive chose.
 */
final class OneDnnObjects {
    private OneDnnObjects() {
    }

    /** A memory descriptor the primitive descriptor owns; {@code index} 1 of weights is the bias. */
    static dnnl_memory_desc query(dnnl_primitive_desc pd, int what, int index) {
        dnnl_memory_desc md = dnnl_primitive_desc_query_md(pd, what, index);
        if (md == null || md.isNull()) {
            throw new OneDnnException("dnnl_primitive_desc_query_md(" + what + ", " + index + ") failed: returned null",
                    dnnl_invalid_arguments);
        }
        return md;
    }

    /** The implementation oneDNN chose for {@code pd}, for example {@code brg_conv_fwd:avx512_core}. */
    static String implementation(dnnl_primitive_desc pd) {
        try (PointerPointer<BytePointer> out = new PointerPointer<>(1)) {
            check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, out),
                    "dnnl_primitive_desc_query(impl_info_str)");
            BytePointer name = out.get(BytePointer.class, 0);
            return name == null || name.isNull() ? "" : name.getString();
        }
    }

    /** A memory object over {@code address} (0 for none yet); oneDNN neither copies nor frees the buffer. */
    static dnnl_memory memory(OneDnnRuntime runtime, dnnl_memory_desc md, long address) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, runtime.engine(), new Address(address)), "dnnl_memory_create");
        return m;
    }

    /**
     * Copies {@code from}'s bytes at {@code weights} into {@code out} laid out as {@code to}, by a reorder primitive
     * (for int8 weights it also fills the compensation oneDNN appends for s8 or zero-pointed src).
     */
    static void reorder(OneDnnRuntime runtime, dnnl_memory_desc from, MemorySegment weights, dnnl_memory_desc to,
            MemorySegment out) {
        dnnl_memory src = null, dst = null;
        dnnl_primitive_desc pd = null;
        dnnl_primitive reorder = null;
        dnnl_stream stream = null;
        try (dnnl_exec_arg_t args = new dnnl_exec_arg_t(2)) {
            src = memory(runtime, from, weights.address());
            dst = memory(runtime, to, out.address());
            pd = new dnnl_primitive_desc();
            check(dnnl_reorder_primitive_desc_create(pd, from, runtime.engine(), to, runtime.engine(), null),
                    "dnnl_reorder_primitive_desc_create(weights)");
            reorder = new dnnl_primitive();
            check(dnnl_primitive_create(reorder, pd), "dnnl_primitive_create(weights reorder)");
            stream = new dnnl_stream();
            check(dnnl_stream_create(stream, runtime.engine(), dnnl_stream_default_flags), "dnnl_stream_create");
            args.position(0).arg(DNNL_ARG_FROM).memory(src);
            args.position(1).arg(DNNL_ARG_TO).memory(dst);
            check(dnnl_primitive_execute(reorder, stream, 2, args.position(0)), "dnnl_primitive_execute(reorder)");
            check(dnnl_stream_wait(stream), "dnnl_stream_wait(reorder)");
        } finally {
            if (stream != null && !stream.isNull()) {
                dnnl_stream_destroy(stream);
            }
            if (reorder != null && !reorder.isNull()) {
                dnnl_primitive_destroy(reorder);
            }
            if (pd != null && !pd.isNull()) {
                dnnl_primitive_desc_destroy(pd);
            }
            if (src != null) {
                dnnl_memory_destroy(src);
            }
            if (dst != null) {
                dnnl_memory_destroy(dst);
            }
        }
    }

    /** A JavaCPP pointer to a raw address: how a segment's address reaches the preset's {@code void*}. */
    static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }

        /** Points this at {@code address} and returns it, so a call reuses one pointer object. */
        Address at(long address) {
            this.address = address;
            return this;
        }
    }
}
