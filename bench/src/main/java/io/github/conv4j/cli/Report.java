package io.github.conv4j.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.conv4j.Accuracy;
import io.github.conv4j.PlanMode;
import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A comparison's results with the facts needed to reproduce them (JDK, CPU, commit, threads, OpenBLAS core,
 * oneDNN version), as written by {@code compare --json} and read back to merge peers' results into a chart.
 */
record Report(String jdk, String cpu, String commit, int threads, String accuracy, String plan, String openblasCore,
        String onednnVersion, String environment, List<Measurement> results) {

    /** The facts of this JVM and machine, with {@code results}. */
    static Report of(int threads, Accuracy accuracy, PlanMode plan, List<Measurement> results) {
        String core = "", onednn = "";
        for (ConvEngine e : Conv2d.engines()) {
            if (!e.probe().available()) {
                continue;
            }
            Map<String, String> p = e.properties();
            core = core.isEmpty() ? p.getOrDefault("openblas_core", "") : core;
            onednn = onednn.isEmpty() ? p.getOrDefault("onednn_version", "") : onednn;
        }
        String env = "OPENBLAS_CORETYPE=" + InfoCommand.env("OPENBLAS_CORETYPE") + " OPENBLAS_L2_SIZE="
                + InfoCommand.env("OPENBLAS_L2_SIZE") + " OMP_NUM_THREADS=" + InfoCommand.env("OMP_NUM_THREADS");
        return new Report(System.getProperty("java.vm.vendor") + " " + Runtime.version(), InfoCommand.cpuModel()
                + " (" + Runtime.getRuntime().availableProcessors() + " processors)", gitCommit(), threads,
                accuracy.toString(), plan.toString(), core, onednn, env, results);
    }

    /**
     * The git commit of the working directory, with {@code -dirty} when the code differs from it (the build files,
     * {@code src}, {@code native-config}, {@code bench/src}; not results being written while it runs), or
     * "unknown".
     */
    static String gitCommit() {
        String head = git("rev-parse", "--short=12", "HEAD");
        if (head == null || head.isEmpty()) {
            return "unknown";
        }
        String diff = git("diff", "--name-only", "HEAD", "--", ":/pom.xml", ":/src", ":/native-config",
                ":/bench/pom.xml", ":/bench/src");
        return diff == null ? head : diff.isEmpty() ? head : head + "-dirty";
    }

    /** What {@code git args} prints, trimmed, or null when it fails. */
    private static String git(String... args) {
        try {
            List<String> command = new ArrayList<>(List.of("git"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException | InterruptedException | RuntimeException e) {
            return null;
        }
    }

    void write(Path path) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("jdk", jdk);
        root.addProperty("cpu", cpu);
        root.addProperty("commit", commit);
        root.addProperty("threads", threads);
        root.addProperty("accuracy", accuracy);
        root.addProperty("plan", plan);
        root.addProperty("openblas_core", openblasCore);
        root.addProperty("onednn_version", onednnVersion);
        root.addProperty("environment", environment);
        JsonArray rs = new JsonArray();
        for (Measurement m : results) {
            JsonObject r = new JsonObject();
            r.addProperty("shape", m.shape());
            r.addProperty("engine", m.engine());
            r.addProperty("dtype", m.dtype());
            r.addProperty("threads", m.threads());
            r.add("median_us", number(m.medianUs()));
            r.add("min_us", number(m.minUs()));
            r.add("gflops", number(m.gflops()));
            r.add("speedup_vs_naive", number(m.speedupVsNaive()));
            r.add("max_abs_err", number(m.maxAbsErr()));
            r.add("plan_us", number(m.planUs()));
            r.addProperty("estimated", m.estimated());
            r.addProperty("ok", m.ok());
            r.addProperty("implementation", m.implementation());
            rs.add(r);
        }
        root.add("results", rs);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();
        Path tmp = Files.createTempFile(path.toAbsolutePath().getParent(), "." + path.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, gson.toJson(root) + "\n");
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static JsonElement number(double v) {
        return Double.isFinite(v) ? new com.google.gson.JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    /**
     * Reads the results of a file in this schema (conv4j's own or a peer's; a record without {@code ok}, as
     * peers write them, counts as ok).
     *
     * @throws UsageException if the file is not such JSON
     */
    static List<Measurement> readResults(Path path) throws IOException {
        try {
            JsonObject root = JsonParser.parseString(Files.readString(path)).getAsJsonObject();
            List<Measurement> out = new ArrayList<>();
            for (JsonElement e : root.getAsJsonArray("results")) {
                JsonObject r = e.getAsJsonObject();
                out.add(new Measurement(r.get("shape").getAsString(), r.get("engine").getAsString(),
                        r.get("dtype").getAsString(), r.has("threads") ? r.get("threads").getAsInt() : 0,
                        num(r, "median_us"), num(r, "min_us"), num(r, "gflops"), num(r, "speedup_vs_naive"),
                        num(r, "max_abs_err"), num(r, "plan_us"),
                        r.has("estimated") && r.get("estimated").getAsBoolean(),
                        !r.has("ok") || r.get("ok").getAsBoolean(),
                        r.has("implementation") && !r.get("implementation").isJsonNull()
                                ? r.get("implementation").getAsString() : ""));
            }
            return out;
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException e) {
            throw new UsageException(path + ": not a compare results file (" + e.getMessage() + ")");
        }
    }

    private static double num(JsonObject r, String key) {
        JsonElement e = r.get(key);
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }
}
