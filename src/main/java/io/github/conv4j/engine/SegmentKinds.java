package io.github.conv4j.engine;

import java.lang.foreign.MemorySegment;

/**
 * Loads every kind of memory segment and session the JDK has before any kernel is compiled. The JIT compiles
 * segment accesses assuming the kinds loaded so far are all there are; when a new kind is loaded later (the first
 * heap segment of a JVM, made for a {@code float[]} or by {@code toArray}), every method compiled on that
 * assumption is thrown away at once. A plan measured then timed its Java engines while they ran uncompiled, many
 * times slower (java-vector on S1: 10.7 us against 0.64 in the recording at e200326). Loading them all first means
 * that never happens. Internal to conv4j's engines, not part of its API.
 */
public final class SegmentKinds {
    /** Implementation classes made only in some uses, named as JDK 22 to 25 name them; a missing one is skipped. */
    private static final String[] INTERNAL = {
        "jdk.internal.foreign.MappedMemorySegmentImpl",
        "jdk.internal.foreign.ConfinedSession",
        "jdk.internal.foreign.SharedSession",
        "jdk.internal.foreign.ImplicitSession",
        "jdk.internal.foreign.GlobalSession",
    };

    static {
        // one heap segment of each element type: each is its own class
        MemorySegment.ofArray(new byte[0]);
        MemorySegment.ofArray(new char[0]);
        MemorySegment.ofArray(new short[0]);
        MemorySegment.ofArray(new int[0]);
        MemorySegment.ofArray(new long[0]);
        MemorySegment.ofArray(new float[0]);
        MemorySegment.ofArray(new double[0]);
        for (String name : INTERNAL) {
            try {
                // loading (not initializing) is what the compiler's assumptions depend on
                Class.forName(name, false, MemorySegment.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // another JDK's names: nothing to load
            }
        }
    }

    private SegmentKinds() {
    }

    /** Makes sure the classes are loaded; cheap after the first call. */
    public static void load() {
        // the static initializer did the work
    }
}
