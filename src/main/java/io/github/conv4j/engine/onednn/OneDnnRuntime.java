package io.github.conv4j.engine.onednn;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;

/**
 * The process-wide oneDNN state: the loaded library, one CPU engine shared by every plan, and the OpenMP
 * thread control of the {@code libgomp} the preset ships.
 *
 * <p>The engine lives as long as the process: it is cheap to hold, every plan uses it, and destroying it while
 * another thread plans would be a use-after-free. Everything else native belongs to a plan.
 */
final class OneDnnRuntime {
    private final dnnl_engine engine;
    private final String version;
    private final String isa;
    private final int runtimeCode;
    private final MethodHandle ompSetNumThreads;
    private final MethodHandle ompGetMaxThreads;

    private OneDnnRuntime(dnnl_engine engine, String version, int runtimeCode, String isa, MethodHandle set,
            MethodHandle get) {
        this.engine = engine;
        this.version = version;
        this.runtimeCode = runtimeCode;
        this.isa = isa;
        this.ompSetNumThreads = set;
        this.ompGetMaxThreads = get;
    }

    /**
     * Loads the preset's natives, creates the CPU engine and binds OpenMP's thread calls.
     *
     * @throws Throwable whatever loading raises ({@link UnsatisfiedLinkError}, {@link OneDnnException}, ...);
     *     the engine turns it into an {@code Availability}
     */
    static OneDnnRuntime load() {
        Loader.load(dnnl.class);
        dnnl_version_t v = dnnl_version();
        String version = v.major() + "." + v.minor() + "." + v.patch();
        int runtime = v.cpu_runtime();
        if (runtime != DNNL_RUNTIME_OMP) {
            // the thread setting below only reaches an OpenMP build
            throw new IllegalStateException("oneDNN " + version + " cpu runtime is " + runtimeName(runtime)
                    + ", conv4j controls threads only for OpenMP builds");
        }
        Path gomp = Loader.getLoadedLibraries().values().stream()
                .map(Path::of)
                .filter(p -> p.getFileName().toString().equals("libgomp.so.1") && Files.isRegularFile(p))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("libgomp.so.1 from the dnnl preset is not loaded: "
                        + "loaded " + Loader.getLoadedLibraries().keySet()));
        // the preset already loaded this file; dlopen on the same path returns that copy, so the ICVs we set are
        // the ones oneDNN's parallel regions read
        SymbolLookup omp = SymbolLookup.libraryLookup(gomp, Arena.global());
        Linker linker = Linker.nativeLinker();
        MethodHandle set = linker.downcallHandle(symbol(omp, "omp_set_num_threads"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        MethodHandle get = linker.downcallHandle(symbol(omp, "omp_get_max_threads"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        dnnl_engine engine = new dnnl_engine();
        check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create(cpu, 0)");
        return new OneDnnRuntime(engine, version, runtime, isaName(dnnl_get_effective_cpu_isa()), set, get);
    }

    private static java.lang.foreign.MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: " + name));
    }

    /** The shared CPU engine. */
    dnnl_engine engine() {
        return engine;
    }

    /** oneDNN's version, {@code major.minor.patch}. */
    String version() {
        return version;
    }

    /** The CPU threading runtime oneDNN was built with, e.g. {@code OpenMP}. */
    String runtime() {
        return runtimeName(runtimeCode);
    }

    /** The instruction set oneDNN's JIT kernels target on this CPU, e.g. {@code avx512_core_amx}. */
    String isa() {
        return isa;
    }

    /**
     * Makes OpenMP parallel regions started from the calling thread use {@code n} threads. OpenMP keeps this
     * per OS thread, and oneDNN reads it when it creates a primitive and when it runs one, so it is set on
     * every thread that plans or executes, and only written when it differs.
     */
    void useThreads(int n) {
        try {
            if ((int) ompGetMaxThreads.invokeExact() != n) {
                ompSetNumThreads.invokeExact(n);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("omp_set_num_threads(" + n + ") failed", t);
        }
    }

    /** OpenMP's thread count for the calling thread's next parallel region. */
    int threads() {
        try {
            return (int) ompGetMaxThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("omp_get_max_threads() failed", t);
        }
    }

    /**
     * Throws unless {@code status} is {@code dnnl_success}.
     *
     * @throws OneDnnException naming the call and the status
     */
    static void check(int status, String call) {
        if (status != dnnl_success) {
            throw new OneDnnException(call + " failed: status " + statusName(status) + " (" + status + ")", status);
        }
    }

    /** The C enumerator name of a {@code dnnl_status_t}. */
    static String statusName(int status) {
        return switch (status) {
            case dnnl_success -> "dnnl_success";
            case dnnl_out_of_memory -> "dnnl_out_of_memory";
            case dnnl_invalid_arguments -> "dnnl_invalid_arguments";
            case dnnl_unimplemented -> "dnnl_unimplemented";
            case dnnl_last_impl_reached -> "dnnl_last_impl_reached";
            case dnnl_runtime_error -> "dnnl_runtime_error";
            case dnnl_not_required -> "dnnl_not_required";
            case dnnl_invalid_graph -> "dnnl_invalid_graph";
            case dnnl_invalid_graph_op -> "dnnl_invalid_graph_op";
            case dnnl_invalid_shape -> "dnnl_invalid_shape";
            case dnnl_invalid_data_type -> "dnnl_invalid_data_type";
            default -> "unknown status";
        };
    }

    private static String runtimeName(int runtime) {
        return switch (runtime) {
            case DNNL_RUNTIME_NONE -> "none";
            case DNNL_RUNTIME_SEQ -> "sequential";
            case DNNL_RUNTIME_OMP -> "OpenMP";
            case DNNL_RUNTIME_TBB -> "TBB";
            case DNNL_RUNTIME_THREADPOOL -> "threadpool";
            case DNNL_RUNTIME_SYCL -> "SYCL";
            default -> "runtime " + runtime;
        };
    }

    private static String isaName(int isa) {
        // the avx10_1 names alias the avx512_core_fp16/amx values; the older names are the ones users know
        return switch (isa) {
            case dnnl_cpu_isa_default -> "default";
            case dnnl_cpu_isa_sse41 -> "sse41";
            case dnnl_cpu_isa_avx -> "avx";
            case dnnl_cpu_isa_avx2 -> "avx2";
            case dnnl_cpu_isa_avx2_vnni -> "avx2_vnni";
            case dnnl_cpu_isa_avx2_vnni_2 -> "avx2_vnni_2";
            case dnnl_cpu_isa_avx512_core -> "avx512_core";
            case dnnl_cpu_isa_avx512_core_vnni -> "avx512_core_vnni";
            case dnnl_cpu_isa_avx512_core_bf16 -> "avx512_core_bf16";
            case dnnl_cpu_isa_avx512_core_fp16 -> "avx512_core_fp16";
            case dnnl_cpu_isa_avx512_core_amx -> "avx512_core_amx";
            case dnnl_cpu_isa_avx512_core_amx_fp16 -> "avx512_core_amx_fp16";
            case dnnl_cpu_isa_avx10_2_512 -> "avx10_2_512";
            case dnnl_cpu_isa_avx10_2_512_amx_2 -> "avx10_2_512_amx_2";
            default -> "isa 0x" + Integer.toHexString(isa);
        };
    }
}
