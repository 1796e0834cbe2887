package io.github.conv4j.testing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The process's resident memory, from {@code /proc/self/status}, and the C heap's bytes in use, from glibc. */
public final class NativeMemory {
    /** glibc's {@code struct mallinfo2}: ten {@code size_t} fields, of which two are read. */
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("arena"), ValueLayout.JAVA_LONG.withName("ordblks"),
            ValueLayout.JAVA_LONG.withName("smblks"), ValueLayout.JAVA_LONG.withName("hblks"),
            ValueLayout.JAVA_LONG.withName("hblkhd"), ValueLayout.JAVA_LONG.withName("usmblks"),
            ValueLayout.JAVA_LONG.withName("fsmblks"), ValueLayout.JAVA_LONG.withName("uordblks"),
            ValueLayout.JAVA_LONG.withName("fordblks"), ValueLayout.JAVA_LONG.withName("keepcost"));
    private static final long HBLKHD = MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("hblkhd"));
    private static final long UORDBLKS = MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("uordblks"));

    private NativeMemory() {
    }

    /** The downcall, resolved on first use; null where the C library has no mallinfo2 (glibc before 2.33, musl). */
    private static final class Mallinfo {
        static final MethodHandle MALLINFO = find();

        private static MethodHandle find() {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> symbol = linker.defaultLookup().find("mallinfo2");
            return symbol.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(MALLINFO2))).orElse(null);
        }
    }

    /** Whether {@link #rssBytes()} can be read here (Linux). */
    public static boolean supported() {
        return Files.isReadable(Path.of("/proc/self/status"));
    }

    /** Whether {@link #mallocBytes()} can be read here: glibc 2.33 or newer, and native access for this code. */
    public static boolean mallocSupported() {
        try {
            return Mallinfo.MALLINFO != null;
        } catch (IllegalCallerException | LinkageError e) {
            return false;
        }
    }

    /**
     * Bytes the C allocator has handed out and not had back, in every arena, mmapped blocks included (glibc's
     * {@code mallinfo2}: {@code uordblks + hblkhd}). JNI code, OpenBLAS, oneDNN, JavaCPP and the JVM's
     * {@code Unsafe.allocateMemory} (behind FFM arenas) all allocate through it, so a leak of any of them shows
     * here byte by byte (each block rounded up to glibc's 16-byte chunks, with 8 bytes of header: 32 bytes asked
     * for count 48). Call {@link System#gc()} first when dropped Java objects should release theirs.
     */
    public static long mallocBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) Mallinfo.MALLINFO.invokeExact((SegmentAllocator) arena);
            return info.get(ValueLayout.JAVA_LONG, UORDBLKS) + info.get(ValueLayout.JAVA_LONG, HBLKHD);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mallinfo2 failed", t);
        }
    }

    /** Resident set size in bytes; call {@link System#gc()} first when dropped Java objects should release theirs. */
    public static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
