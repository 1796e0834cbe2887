package io.github.conv4j.engine.im2col;

import io.github.conv4j.spi.Availability;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one OpenBLAS both im2col engines use: the {@code libopenblas_nolapack.so.0} that the JavaCPP preset
 * extracts and loads, reached from Java through JavaCPP (JNI) and through {@code java.lang.foreign} downcalls
 * resolved in that same loaded library, so both bindings share one thread pool and one thread setting.
 *
 * <p>Loading happens once, on first use; a failure is remembered as a reason, never thrown from here.
 */
public final class OpenBlas {
    /** The CBLAS enum values of {@code cblas.h}: row-major order, no transposition, transposition. */
    static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private static final Object THREAD_LOCK = new Object();
    /** The thread count last handed to OpenBLAS; -1 until the first call, so it is applied then. */
    private static volatile int appliedThreads = -1;

    private OpenBlas() {
    }

    /** Downcall handles into the loaded library, or why there are none. */
    record Natives(Path library, MethodHandle sgemm, MethodHandle sgemmHeap, MethodHandle dgemm,
            MethodHandle dgemmHeap, MethodHandle setNumThreads, MethodHandle getNumThreads,
            MethodHandle getConfig, MethodHandle getCorename, String failure) {
    }

    private static final class Holder {
        static final Natives NATIVES = load();
    }

    /** The loaded natives; call {@link #availability()} first, this throws if they could not load. */
    static Natives natives() {
        Natives n = Holder.NATIVES;
        if (n.failure() != null) {
            throw new IllegalStateException("OpenBLAS is unavailable: " + n.failure());
        }
        return n;
    }

    private static Natives load() {
        try {
            // loads libjniopenblas_nolapack.so and, beside it in the JavaCPP cache, libopenblas_nolapack.so.0
            String jni = org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            if (jni == null) {
                return failed("JavaCPP did not load the openblas_nolapack preset (Loader.load returned null)");
            }
            Path library = Path.of(jni).resolveSibling("libopenblas_nolapack.so.0");
            if (!Files.exists(library)) {
                return failed("libopenblas_nolapack.so.0 not found beside " + jni);
            }
            // dlopen of a path already loaded returns the same handle: these symbols are JavaCPP's
            SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
            Linker linker = Linker.nativeLinker();
            FunctionDescriptor sgemm = gemmDescriptor(ValueLayout.JAVA_FLOAT);
            FunctionDescriptor dgemm = gemmDescriptor(ValueLayout.JAVA_DOUBLE);
            // critical(true) lets heap segments (float[]) through without a copy; used only for those calls,
            // since a critical call holds off the garbage collector for as long as the GEMM runs
            Linker.Option heap = Linker.Option.critical(true);
            return new Natives(library,
                    linker.downcallHandle(symbol(lib, "cblas_sgemm"), sgemm),
                    linker.downcallHandle(symbol(lib, "cblas_sgemm"), sgemm, heap),
                    linker.downcallHandle(symbol(lib, "cblas_dgemm"), dgemm),
                    linker.downcallHandle(symbol(lib, "cblas_dgemm"), dgemm, heap),
                    linker.downcallHandle(symbol(lib, "openblas_set_num_threads"),
                            FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT)),
                    linker.downcallHandle(symbol(lib, "openblas_get_num_threads"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT)),
                    linker.downcallHandle(symbol(lib, "openblas_get_config"),
                            FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    linker.downcallHandle(symbol(lib, "openblas_get_corename"),
                            FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    null);
        } catch (LinkageError | RuntimeException e) {
            // NoClassDefFoundError (jar missing), UnsatisfiedLinkError (natives missing), IllegalCallerException
            // (native access disabled), IllegalArgumentException (library not openable), ...
            return failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Natives failed(String why) {
        return new Natives(null, null, null, null, null, null, null, null, null, why);
    }

    private static MemorySegment symbol(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: " + name));
    }

    /** {@code cblas_?gemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)}. */
    private static FunctionDescriptor gemmDescriptor(ValueLayout scalar) {
        ValueLayout i = ValueLayout.JAVA_INT, p = ValueLayout.ADDRESS;
        return FunctionDescriptor.ofVoid(i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i);
    }

    /** Whether OpenBLAS loaded, and if not why, with a fix hint; never throws. */
    static Availability availability() {
        Natives n = Holder.NATIVES;
        if (n.failure() != null) {
            return Availability.no("OpenBLAS did not load: " + n.failure() + "; fix: put org.bytedeco:openblas:"
                    + "0.3.31-1.5.13 and its linux-x86_64 classifier jar (and org.bytedeco:javacpp with its"
                    + " classifier) on the class path, and run with --enable-native-access=ALL-UNNAMED");
        }
        return Availability.yes(info());
    }

    /**
     * Sets OpenBLAS's thread count to {@code wanted} (a call's budget) when it changed since the
     * last call; OpenBLAS holds one process-wide setting, so this is cheap and shared by every plan.
     */
    static void applyThreads(int wanted) {
        if (wanted == appliedThreads) {
            return;
        }
        synchronized (THREAD_LOCK) {
            if (wanted != appliedThreads) {
                try {
                    natives().setNumThreads().invokeExact(wanted);
                } catch (Throwable t) {
                    throw new IllegalStateException("openblas_set_num_threads(" + wanted + ") failed", t);
                }
                appliedThreads = wanted;
            }
        }
    }

    /**
     * What OpenBLAS runs on, for {@code conv4j info}: its build configuration (version first), the CPU core
     * kernel it picked, and its current thread count; or why it did not load.
     */
    public static String info() {
        Natives n = Holder.NATIVES;
        if (n.failure() != null) {
            return "OpenBLAS unavailable: " + n.failure();
        }
        return config() + ", core " + corename() + ", threads " + threads() + ", " + n.library();
    }

    /** OpenBLAS's build configuration as {@code openblas_get_config} reports it, e.g. {@code OpenBLAS 0.3.31 ...}. */
    public static String config() {
        return string(natives().getConfig());
    }

    /** The core kernel OpenBLAS picked ({@code openblas_get_corename}), e.g. {@code Haswell}. */
    public static String corename() {
        return string(natives().getCorename());
    }

    /** OpenBLAS's current thread count ({@code openblas_get_num_threads}). */
    public static int threads() {
        try {
            return (int) natives().getNumThreads().invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    private static String string(MethodHandle h) {
        try {
            MemorySegment s = (MemorySegment) h.invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0).trim();
        } catch (Throwable t) {
            throw new IllegalStateException("OpenBLAS string query failed", t);
        }
    }
}
