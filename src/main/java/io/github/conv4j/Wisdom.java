package io.github.conv4j;

import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide table of measured engine choices ("wisdom"): which engine measured fastest for a spec at a
 * thread budget, on which CPU, with which conv4j and engine versions. {@link PlanMode#MEASURE} fills it and reads
 * it before timing anything; {@code auto}'s default {@link PlanMode#ESTIMATE} consults it before its engine order.
 *
 * <p>The table can be written to a small JSON file and read back, in this JVM or another ({@link #exportTo},
 * {@link #importFrom}; {@value Settings#WISDOM} names a file read before the first plan that consults the table).
 * An entry measured on another CPU model (foreign) or with another conv4j or JDK version (stale) is not trusted:
 * importing skips it and logs one line per file saying how many. An entry whose engine now reports other native
 * versions is stale too; that is checked when the entry is first used (asking a native engine loads its
 * libraries, which reading a file should not), and it is then dropped with one log line. A file that is not valid
 * wisdom is an error naming the file and what is wrong. Thread-safe.
 */
public final class Wisdom {
    /** The first field of every wisdom file. */
    static final String FORMAT = "conv4j wisdom 1";

    private static final System.Logger LOG = System.getLogger("io.github.conv4j");
    private static final Map<String, Entry> TABLE = new ConcurrentHashMap<>();
    /** Keys of entries whose engine version was checked here (or that were measured here). */
    private static final Set<String> VERIFIED = ConcurrentHashMap.newKeySet();
    /** The start-up file's outcome: null until read, then empty when it loaded, else what went wrong. */
    private static volatile Optional<String> startupProblem;
    private static volatile String startupSummary = "";

    /**
     * One measured choice.
     *
     * @param spec the spec's description ({@link ConvSpec#toString()}), which names every field deciding it
     * @param threads the thread budget it was timed with
     * @param engine the engine that measured fastest
     * @param variant which of its {@link ConvEngine#variants variants}, or empty for an engine with one way (a
     *     file without the field means empty)
     * @param medianMicros that engine's median forward time
     * @param runs how many forwards that median is of
     * @param cpu the CPU model it was measured on
     * @param conv4j the conv4j and JDK versions it was measured with ({@link #versions()})
     * @param engineVersion the winning engine's native versions and settings ({@link ConvEngine#properties()})
     */
    public record Entry(String spec, int threads, String engine, String variant, double medianMicros, int runs,
            String cpu, String conv4j, String engineVersion) {
        /** Checks the names are present. */
        public Entry {
            java.util.Objects.requireNonNull(engine, "engine");
            java.util.Objects.requireNonNull(variant, "variant");
        }

        /** An entry for an engine with one way of computing the spec. */
        public Entry(String spec, int threads, String engine, double medianMicros, int runs, String cpu,
                String conv4j, String engineVersion) {
            this(spec, threads, engine, "", medianMicros, runs, cpu, conv4j, engineVersion);
        }

        String key() {
            return Wisdom.key(spec, threads);
        }
    }

    /**
     * How an import went: entries taken, and entries skipped as stale (another conv4j or JDK version) or foreign
     * (another CPU model).
     */
    public record Imported(int used, int stale, int foreign) {
    }

    private Wisdom() {
    }

    static String key(String spec, int threads) {
        return threads + " " + spec;
    }

    /**
     * The entry for {@code spec} at {@code threads} threads, reading the start-up file first if there is one. An
     * imported entry's engine versions are checked the first time it is looked up (see the class comment).
     *
     * @throws IllegalStateException if {@value Settings#WISDOM} names a file that cannot be used
     */
    public static Optional<Entry> lookup(ConvSpec spec, int threads) {
        Optional<String> problem = loadStartupFile();
        if (problem.isPresent()) {
            throw new IllegalStateException(problem.get());
        }
        if (TABLE.isEmpty()) {
            return Optional.empty();    // the common case costs one check
        }
        String key = key(spec.toString(), threads);
        Entry e = TABLE.get(key);
        if (e == null || VERIFIED.contains(key)) {
            return Optional.ofNullable(e);
        }
        String here = engineVersion(e.engine());
        if (!here.equals(e.engineVersion())) {
            TABLE.remove(key, e);
            LOG.log(System.Logger.Level.WARNING, "conv4j: wisdom for " + e.spec() + " at " + e.threads()
                    + " thread(s) is stale and not used: engine " + e.engine() + " was " + e.engineVersion()
                    + " when measured, " + here + " now");
            return Optional.empty();
        }
        VERIFIED.add(key);
        return Optional.of(e);
    }

    /** Every entry, sorted by spec and threads (imported ones included before their first use checks them). */
    public static List<Entry> entries() {
        loadStartupFile();
        List<Entry> all = new ArrayList<>(TABLE.values());
        all.sort(Comparator.comparing(Entry::spec).thenComparingInt(Entry::threads));
        return all;
    }

    /** Forgets every entry; a start-up file is not read afterwards (if it was not yet, it never is). */
    public static void clear() {
        synchronized (Wisdom.class) {
            if (startupProblem == null) {
                startupProblem = Optional.empty();
            }
        }
        TABLE.clear();
        VERIFIED.clear();
    }

    /** Adds or replaces {@code e}, measured in this JVM. */
    static void put(Entry e) {
        TABLE.put(e.key(), e);
        VERIFIED.add(e.key());
    }

    /**
     * What the start-up file ({@value Settings#WISDOM}) gave: empty when none is set, else a line naming it and
     * how many entries were used and skipped, or why it cannot be used.
     */
    public static String startupSummary() {
        return loadStartupFile().orElse(startupSummary);
    }

    /** Why the start-up file ({@value Settings#WISDOM}) cannot be used; empty when it can or none is set. */
    public static Optional<String> startupProblem() {
        return loadStartupFile();
    }

    /**
     * Writes every entry to {@code file} as JSON (replacing it whole: a reader never sees half a file).
     *
     * @throws IOException if the file cannot be written
     */
    public static void exportTo(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(String.valueOf(dir), null, "no such directory for " + file);
        }
        StringBuilder b = new StringBuilder("{\n  \"format\": ").append(Json.quote(FORMAT)).append(",\n  \"entries\": [");
        List<Entry> all = entries();
        for (int i = 0; i < all.size(); i++) {
            Entry e = all.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"spec\": ").append(Json.quote(e.spec()))
                    .append(", \"threads\": ").append(e.threads())
                    .append(", \"engine\": ").append(Json.quote(e.engine()))
                    .append(e.variant().isEmpty() ? "" : ", \"variant\": " + Json.quote(e.variant()))
                    .append(", \"median_us\": ").append(e.medianMicros())
                    .append(", \"runs\": ").append(e.runs())
                    .append(", \"cpu\": ").append(Json.quote(e.cpu()))
                    .append(", \"conv4j\": ").append(Json.quote(e.conv4j()))
                    .append(", \"engine_version\": ").append(Json.quote(e.engineVersion())).append('}');
        }
        b.append(all.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            try {
                // createTempFile makes it private to its owner; wisdom is meant to be shared
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // keep the file system's default
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads {@code file} and adds its entries measured on this CPU model with these conv4j and JDK versions; the
     * others are skipped, with one log line when there are any. Engine versions are checked on first use.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if it is not a wisdom file, naming the file and what is wrong
     */
    public static Imported importFrom(Path file) throws IOException {
        loadStartupFile();
        return read(file);
    }

    private static Imported read(Path file) throws IOException {
        List<Entry> parsed;
        try {
            parsed = parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not a conv4j wisdom file: " + file + ": not UTF-8 text", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a conv4j wisdom file: " + file + ": " + e.getMessage(), e);
        }
        String cpu = cpuModel(), version = versions();
        int used = 0, stale = 0, foreign = 0;
        for (Entry e : parsed) {
            if (!e.cpu().equals(cpu)) {
                foreign++;
            } else if (!e.conv4j().equals(version)) {
                stale++;
            } else {
                TABLE.put(e.key(), e);
                VERIFIED.remove(e.key());    // its engine versions are checked when it is first looked up
                used++;
            }
        }
        if (stale + foreign > 0) {
            LOG.log(System.Logger.Level.WARNING, "conv4j: wisdom file " + file + ": ignored " + foreign
                    + " entries measured on another CPU (this one: " + cpu + ") and " + stale
                    + " measured with another conv4j or JDK version (here: conv4j " + version + ")");
        }
        return new Imported(used, stale, foreign);
    }

    private static List<Entry> parse(String text) {
        if (!(Json.parse(text) instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("the top level is not an object");
        }
        if (!FORMAT.equals(top.get("format"))) {
            throw new IllegalArgumentException("\"format\" is " + top.get("format") + ", not \"" + FORMAT + "\"");
        }
        if (!(top.get("entries") instanceof List<?> list)) {
            throw new IllegalArgumentException("\"entries\" is not an array");
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("entry " + i + " is not an object");
            }
            String where = "entry " + i;
            out.add(new Entry(text(m, "spec", where), count(m, "threads", where), text(m, "engine", where),
                    m.containsKey("variant") ? text(m, "variant", where) : "", number(m, "median_us", where), count(m, "runs", where), text(m, "cpu", where),
                    text(m, "conv4j", where), text(m, "engine_version", where)));
        }
        return out;
    }

    private static String text(Map<?, ?> m, String field, String where) {
        if (m.get(field) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(where + ": \"" + field + "\" is " + m.get(field) + ", not a string");
    }

    private static double number(Map<?, ?> m, String field, String where) {
        if (m.get(field) instanceof Double d && d >= 0 && !d.isInfinite()) {
            return d;
        }
        throw new IllegalArgumentException(where + ": \"" + field + "\" is " + m.get(field)
                + ", not a number >= 0");
    }

    private static int count(Map<?, ?> m, String field, String where) {
        if (m.get(field) instanceof Double d && d >= 1 && d <= Integer.MAX_VALUE && d == Math.rint(d)) {
            return d.intValue();
        }
        throw new IllegalArgumentException(where + ": \"" + field + "\" is " + m.get(field)
                + ", not a whole number >= 1");
    }

    /** Reads {@value Settings#WISDOM}'s file once per JVM; returns why it cannot be used, if it cannot. */
    private static Optional<String> loadStartupFile() {
        Optional<String> p = startupProblem;
        if (p == null) {
            synchronized (Wisdom.class) {
                if (startupProblem == null) {
                    startupProblem = readStartupFile();
                }
                p = startupProblem;
            }
        }
        return p;
    }

    private static Optional<String> readStartupFile() {
        String name = System.getProperty(Settings.WISDOM);
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        try {
            Imported r = read(Path.of(name));
            startupSummary = Settings.WISDOM + "=" + name + ": " + r.used() + " entries used, " + r.stale()
                    + " stale and " + r.foreign() + " foreign ignored";
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of(Settings.WISDOM + "=" + name + " cannot be used: " + e.getMessage());
        }
    }

    /** The CPU model from {@code /proc/cpuinfo}, or the architecture and processor count where there is none. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " processors";
    }

    /** The library's version from its jar's manifest, or "(development build)" when it runs from classes. */
    public static String version() {
        String v = Conv2d.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }

    /** The conv4j version and the JDK's, which compiles the pure-Java engines: {@code 0.1.0, JDK 25.0.3+9}. */
    static String versions() {
        return version() + ", JDK " + Runtime.version();
    }

    /**
     * What of {@code engine} a measurement depends on besides the CPU: its {@link ConvEngine#properties()} (native
     * versions, the kernels chosen), sorted, without thread counts, which follow the setting of the moment.
     */
    static String engineVersion(String engine) {
        Optional<ConvEngine> e = Conv2d.engines().stream().filter(x -> x.name().equals(engine)).findFirst();
        if (e.isEmpty()) {
            return "(no such engine)";
        }
        TreeMap<String, String> p = new TreeMap<>(e.get().properties());
        p.keySet().removeIf(k -> k.endsWith("_threads"));
        return p.toString();
    }
}
