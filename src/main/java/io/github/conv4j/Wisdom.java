package io.github.conv4j;

import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide table of measured engine choices ("wisdom"): which engine measured fastest for a spec at a
 * thread budget, on which CPU, with which conv4j and engine versions. {@link PlanMode#MEASURE} fills it and reads
 * it before timing anything; {@code auto}'s default {@link PlanMode#ESTIMATE} consults it before its engine order.
 *
 * <p>The table can be written to a small JSON file and read back, in this JVM or another ({@link #exportTo},
 * {@link #importFrom}; {@value Settings#WISDOM} names a file read before the first plan that consults the table).
 * An entry measured on another CPU model (foreign) or with another conv4j version or engine version (stale) is
 * not trusted: importing skips it and logs one line per file saying how many. A file that is not valid wisdom is
 * an error naming the file and what is wrong. Thread-safe.
 */
public final class Wisdom {
    /** The first field of every wisdom file. */
    static final String FORMAT = "conv4j wisdom 1";

    private static final System.Logger LOG = System.getLogger("io.github.conv4j");
    private static final Map<String, Entry> TABLE = new ConcurrentHashMap<>();
    /** The start-up file's outcome: null until read, then empty when it loaded, else what went wrong. */
    private static volatile Optional<String> startupProblem;
    private static volatile String startupSummary = "";

    /**
     * One measured choice.
     *
     * @param spec the spec's description ({@link ConvSpec#toString()}), which names every field deciding it
     * @param threads the thread budget it was timed with
     * @param engine the engine that measured fastest
     * @param medianMicros that engine's median forward time
     * @param runs how many forwards that median is of
     * @param cpu the CPU model it was measured on
     * @param conv4j the conv4j and JDK versions it was measured with ({@link #versions()})
     * @param engineVersion the winning engine's native versions and settings ({@link ConvEngine#properties()})
     */
    public record Entry(String spec, int threads, String engine, double medianMicros, int runs, String cpu,
            String conv4j, String engineVersion) {
        String key() {
            return Wisdom.key(spec, threads);
        }
    }

    /** How an import went: entries taken, and entries skipped as stale or foreign. */
    public record Imported(int used, int stale, int foreign) {
    }

    private Wisdom() {
    }

    static String key(String spec, int threads) {
        return threads + " " + spec;
    }

    /** The entry for {@code spec} at {@code threads} threads, reading the start-up file first if there is one. */
    public static Optional<Entry> lookup(ConvSpec spec, int threads) {
        loadStartupFile();
        if (TABLE.isEmpty()) {
            return Optional.empty();    // the common case costs one check
        }
        return Optional.ofNullable(TABLE.get(key(spec.toString(), threads)));
    }

    /** Every entry, sorted by spec and threads. */
    public static List<Entry> entries() {
        loadStartupFile();
        List<Entry> all = new ArrayList<>(TABLE.values());
        all.sort(Comparator.comparing(Entry::spec).thenComparingInt(Entry::threads));
        return all;
    }

    /** Forgets every entry (the start-up file is not read again). */
    public static void clear() {
        loadStartupFile();
        TABLE.clear();
    }

    /** Adds or replaces {@code e}. */
    static void put(Entry e) {
        TABLE.put(e.key(), e);
    }

    /**
     * What the start-up file ({@value Settings#WISDOM}) gave: empty when none is set, else a line naming it and
     * how many entries were used and skipped.
     */
    public static String startupSummary() {
        loadStartupFile();
        return startupSummary;
    }

    /**
     * Writes every entry to {@code file} as JSON (replacing it whole: a reader never sees half a file).
     *
     * @throws IOException if the file cannot be written
     */
    public static void exportTo(Path file) throws IOException {
        StringBuilder b = new StringBuilder("{\n  \"format\": ").append(Json.quote(FORMAT)).append(",\n  \"entries\": [");
        List<Entry> all = entries();
        for (int i = 0; i < all.size(); i++) {
            Entry e = all.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"spec\": ").append(Json.quote(e.spec()))
                    .append(", \"threads\": ").append(e.threads())
                    .append(", \"engine\": ").append(Json.quote(e.engine()))
                    .append(", \"median_us\": ").append(e.medianMicros())
                    .append(", \"runs\": ").append(e.runs())
                    .append(", \"cpu\": ").append(Json.quote(e.cpu()))
                    .append(", \"conv4j\": ").append(Json.quote(e.conv4j()))
                    .append(", \"engine_version\": ").append(Json.quote(e.engineVersion())).append('}');
        }
        b.append(all.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads {@code file} and adds its entries measured on this CPU model with this conv4j version and the engine
     * versions here; the others are skipped, with one log line when there are any.
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
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a conv4j wisdom file: " + file + ": " + e.getMessage(), e);
        }
        String cpu = cpuModel(), version = versions();
        int used = 0, stale = 0, foreign = 0;
        for (Entry e : parsed) {
            if (!e.cpu().equals(cpu)) {
                foreign++;
            } else if (!e.conv4j().equals(version) || !e.engineVersion().equals(engineVersion(e.engine()))) {
                stale++;
            } else {
                put(e);
                used++;
            }
        }
        if (stale + foreign > 0) {
            LOG.log(System.Logger.Level.WARNING, "conv4j: wisdom file " + file + ": ignored " + foreign
                    + " entries measured on another CPU (this one: " + cpu + ") and " + stale
                    + " measured with another conv4j, JDK or engine version (here: conv4j " + version + ")");
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
                    number(m, "median_us", where), count(m, "runs", where), text(m, "cpu", where),
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

    /**
     * Reads {@value Settings#WISDOM}'s file once per JVM.
     *
     * @throws IllegalStateException, on every call, when that file cannot be read or is not wisdom
     */
    private static void loadStartupFile() {
        Optional<String> p = startupProblem;
        if (p == null) {
            synchronized (Wisdom.class) {
                if (startupProblem == null) {
                    startupProblem = readStartupFile();
                }
                p = startupProblem;
            }
        }
        if (p.isPresent()) {
            throw new IllegalStateException(p.get());
        }
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
