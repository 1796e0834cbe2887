package io.github.conv4j;

import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Keeps a forward's input and output open while its kernel computes, when another thread could close them.
 *
 * <p>A shared arena can be closed by any thread at any time. Java code that then touches one of its segments
 * throws {@link IllegalStateException}, but native code reached through JNI holds raw addresses and would read
 * and write freed memory. Java has no public way to hold a segment's scope open, except one: a
 * {@code java.lang.foreign} downcall acquires the scope of every segment passed to it until it returns, and
 * closing an acquired arena throws {@link IllegalStateException} in the closing thread. So the kernel runs
 * inside a downcall: the C library's {@code bsearch(key, base, 1, size, compar)} calls {@code compar(key, base)}
 * exactly once, with {@code x} as key and {@code y} as base, and {@code compar} is an upcall into Java that
 * runs the kernel on the same thread. The call waits for the kernel's worker threads, so they are covered too.
 *
 * <p>The round trip is a downcall and an upcall per forward, so only segments that another thread can close go
 * through it ({@link #needed}); heap, global, automatic and confined segments are passed as they are.
 */
final class ScopeHold {
    /** A thread that never runs: a segment accessible from it is not confined to any thread. */
    private static final Thread STRANGER = new Thread(() -> { });
    private static final MemorySegment.Scope GLOBAL = Arena.global().scope();
    /** The scope class of automatic arenas (closed only by the garbage collector), or null if not told apart. */
    private static final Class<?> AUTO = autoScopeClass();
    /** The call the upcall runs on this thread; set around each downcall, restored after it (calls may nest). */
    private static final ThreadLocal<Call> CURRENT = new ThreadLocal<>();

    private ScopeHold() {
    }

    /** A kernel call handed to the upcall, and what it threw. */
    private static final class Call {
        final ConvKernel kernel;
        final MemorySegment x, y;
        final int batch, threads;
        boolean ran;
        Throwable failure;

        Call(ConvKernel kernel, MemorySegment x, MemorySegment y, int batch, int threads) {
            this.kernel = kernel;
            this.x = x;
            this.y = y;
            this.batch = batch;
            this.threads = threads;
        }
    }

    /** The downcall and the upcall stub, made on first use. */
    private static final class Natives {
        static final MethodHandle BSEARCH;
        static final MemorySegment COMPAR;
        /** Stands in for a heap segment, which a plain downcall refuses; bsearch only passes it on. */
        static final MemorySegment PLACEHOLDER;
        static final RuntimeException FAILURE;

        static {
            MethodHandle bsearch = null;
            MemorySegment compar = null, placeholder = null;
            RuntimeException failure = null;
            try {
                Linker linker = Linker.nativeLinker();
                MemorySegment symbol = linker.defaultLookup().find("bsearch")
                        .orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: bsearch"));
                // pointers travel as longs where Java does not need a segment (result, compar's arguments): on
                // x86-64 and AArch64 both are passed the same way, and no segment object is made per call
                bsearch = linker.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS));
                MethodHandle target = MethodHandles.lookup().findStatic(ScopeHold.class, "compare",
                        MethodType.methodType(int.class, long.class, long.class));
                compar = linker.upcallStub(target, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Arena.global());
                placeholder = Arena.global().allocate(8);
            } catch (LinkageError | RuntimeException | ReflectiveOperationException e) {
                failure = new IllegalStateException("cannot hold a shared arena open during forward: " + e, e);
            }
            BSEARCH = bsearch;
            COMPAR = compar;
            PLACEHOLDER = placeholder;
            FAILURE = failure;
        }
    }

    private static Class<?> autoScopeClass() {
        Class<?> auto = Arena.ofAuto().scope().getClass();
        try (Arena shared = Arena.ofShared()) {
            // if a JDK made both kinds one class, automatic segments are held too: slower, still safe
            return auto == shared.scope().getClass() ? null : auto;
        }
    }

    /**
     * Whether another thread could close {@code s} while this thread computes on it: a native segment of a
     * shared arena. Heap segments are never freed under a call; a confined one can only be closed by its own
     * thread, which is the caller (checked before); global memory is never freed; an automatic arena is freed
     * only once unreachable, and the caller keeps the segment reachable.
     */
    static boolean needed(MemorySegment s) {
        if (!s.isNative() || !s.isAccessibleBy(STRANGER)) {
            return false;
        }
        MemorySegment.Scope scope = s.scope();
        return !scope.equals(GLOBAL) && scope.getClass() != AUTO;
    }

    /** Whether conv4j may make downcalls; without it the kernel runs without holding anything open. */
    static boolean available() {
        return ScopeHold.class.getModule().isNativeAccessEnabled();
    }

    /**
     * Runs {@code kernel.forward(x, y, batch, threads)} with the scopes of {@code x} and {@code y} (the native ones) acquired
     * throughout, so closing their arena from another thread throws {@link IllegalStateException} there.
     *
     * @throws IllegalStateException if an arena was closed before the call could hold it
     */
    static void forward(ConvKernel kernel, MemorySegment x, MemorySegment y, int batch, int threads) {
        if (Natives.FAILURE != null) {
            throw Natives.FAILURE;
        }
        MemorySegment key = x.isNative() ? x : Natives.PLACEHOLDER;
        MemorySegment base = y.isNative() ? y : Natives.PLACEHOLDER;
        Call call = new Call(kernel, x, y, batch, threads);
        Call outer = CURRENT.get();
        CURRENT.set(call);
        try {
            long unused = (long) Natives.BSEARCH.invokeExact(key, base, 1L, 1L, Natives.COMPAR);
        } catch (IllegalStateException e) {
            // the downcall refused a segment: its arena closed between the checks at the border and here
            throw new IllegalStateException("x or y segment is not alive: its arena was closed as forward began",
                    e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("bsearch downcall failed", t);
        } finally {
            CURRENT.set(outer);
        }
        if (call.failure instanceof RuntimeException e) {
            throw e;
        }
        if (call.failure instanceof Error e) {
            throw e;
        }
        if (call.failure != null) {
            throw new IllegalStateException("kernel failed", call.failure);    // checked, though forward declares none
        }
        if (!call.ran) {
            throw new IllegalStateException("bsearch returned without calling back: the kernel did not run");
        }
    }

    /**
     * The upcall: runs the current call's kernel the first time it is called. Nothing may be thrown out of an
     * upcall (the JVM would exit), so whatever the kernel throws is kept for {@link #forward} to rethrow.
     */
    private static int compare(long key, long base) {
        Call call = null;
        try {
            call = CURRENT.get();
            if (call != null && !call.ran) {
                call.ran = true;
                call.kernel.forward(call.x, call.y, call.batch, call.threads);
            }
        } catch (Throwable t) {
            if (call != null) {
                call.failure = t;
            }
        }
        return 0;
    }
}
