package io.github.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.conv4j.Wisdom;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tune}, {@code compare --plan measure --wisdom}, and {@code info --wisdom}. */
class TuneAndPlanTest {
    @TempDir
    Path dir;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    @AfterEach
    void forget() {
        Wisdom.clear();
    }

    @Test
    void tuneWritesWisdomThatCompareAndInfoRead() throws IOException {
        Path file = dir.resolve("wisdom.json");
        CliRun r = cli("tune", "--shapes", "S1,S2", "--threads", "1", "--budget", "0.02", "--out", file.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("[1/4 ") && r.err().contains("warm-up S1") && r.err().contains("[4/4 "),
                r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("conv4j tune: float32 NHWC, accuracy exact, 1 thread(s), budget 0.02 s per spec", lines.get(0));
        assertTrue(lines.get(2).startsWith("S1 ") && lines.get(3).startsWith("S2 "), r.out());
        assertTrue(lines.get(4).startsWith("wrote " + file + " (2 entries; CPU "), r.out());
        Wisdom.clear();
        assertEquals(new Wisdom.Imported(2, 0, 0), Wisdom.importFrom(file));
        String s1Engine = lines.get(2).split(" +")[1];

        Wisdom.clear();
        Path json = dir.resolve("compare.json");
        r = cli("compare", "--shapes", "S1", "--engines", "naive,auto", "--threads", "1", "--seconds", "0.05",
                "--wisdom", file.toString(), "--json", json.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("note: wisdom " + file + ": 2 entries used, 0 stale and 0 foreign ignored"),
                r.out());
        assertTrue(r.out().contains("note: S1 auto: uses " + s1Engine + " (estimate: wisdom)"), r.out());
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("estimate", root.get("plan").getAsString());

        Wisdom.clear();
        r = cli("info", "--wisdom", file.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("wisdom:   2 entries"), r.out());
        assertTrue(r.out().contains("1 thread(s): " + s1Engine + ", "), r.out());
    }

    @Test
    void tuneFromGoldenCasesHasARowPerCase() throws IOException {
        Path golden = Path.of(System.getProperty("conv4j.golden", "../src/test/resources/golden"));
        Path file = dir.resolve("golden-wisdom.json");
        CliRun r = cli("tune", "--from-golden", golden.toString(), "--budget", "0", "--out", file.toString());
        assertEquals(0, r.status(), r.err());
        String cases = Files.readString(golden.resolve("cases.json"));
        long count = JsonParser.parseString(cases).getAsJsonObject().getAsJsonArray("cases").size();
        long rows = r.out().lines().skip(2).filter(l -> !l.startsWith("wrote ")).count();
        assertEquals(count, rows, r.out());
        Wisdom.clear();
        assertTrue(Wisdom.importFrom(file).used() > 0, r.out());
    }

    @Test
    void compareWithPlanMeasureTimesTheEnginesForTheAutoRow() throws IOException {
        Path json = dir.resolve("measure.json");
        CliRun r = cli("compare", "--shapes", "S1", "--engines", "auto", "--threads", "1", "--seconds", "0.05",
                "--plan", "measure", "--json", json.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("conv4j compare: float32 NHWC, accuracy exact, auto planned by measure, "),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("note: S1 auto: uses \\S+ \\(measure: timed \\d candidate\\(s\\)"
                + " in \\d+ ms: .* ms \\(\\d+ runs\\).*\\)")), r.out());
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("measure", root.get("plan").getAsString());
    }

    @Test
    void badTuneAndPlanFlagsAreUserErrors() throws IOException {
        assertUserError("tune needs --out FILE, the wisdom file to write", "tune", "--shapes", "S1");
        assertUserError("tune takes --shapes or --from-golden, not both", "tune", "--shapes", "S1", "--from-golden",
                "x", "--out", "y");
        assertUserError("--out: no such directory: " + dir.resolve("none"), "tune", "--shapes", "S1", "--out",
                dir.resolve("none").resolve("w.json").toString());
        assertUserError("--budget must be a number of seconds in [0, 60]: -1", "tune", "--shapes", "S1", "--budget",
                "-1", "--out", dir.resolve("w.json").toString());
        assertUserError("unknown plan mode: fastest (estimate or measure)", "compare", "--plan", "fastest");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{}");
        assertUserError("not a conv4j wisdom file: " + bad + ": \"format\" is null, not \"conv4j wisdom 1\"",
                "compare", "--wisdom", bad.toString());
        assertUserError("no such file: " + dir.resolve("none.json"), "info", "--wisdom",
                dir.resolve("none.json").toString());
    }

    /** In a fresh JVM: a -Dconv4j.wisdom file that cannot be used is one error line and exit 2; info reports it. */
    @Test
    void anUnusableStartupWisdomFileIsAUserErrorAndInfoShowsIt() throws Exception {
        Path bad = dir.resolve("startup.json");
        Files.writeString(bad, "[[[");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> base = List.of(java, "--add-modules", "jdk.incubator.vector", "-Dconv4j.wisdom=" + bad, "-cp",
                System.getProperty("java.class.path"), Main.class.getName());
        List<String> compare = new java.util.ArrayList<>(base);
        compare.addAll(List.of("compare", "--shapes", "S1", "--engines", "naive"));
        Process p = new ProcessBuilder(compare).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(2, p.waitFor(), out + err);
        assertEquals(List.of("error: conv4j.wisdom=" + bad + " cannot be used: not a conv4j wisdom file: " + bad
                + ": expected a value at character 3, found end of input"), err);
        List<String> info = new java.util.ArrayList<>(base);
        info.add("info");
        p = new ProcessBuilder(info).redirectErrorStream(true).start();
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("wisdom:   0 entries\n  conv4j.wisdom=" + bad + " cannot be used: "), out);
    }

    private static void assertUserError(String message, String... args) {
        CliRun r = cli(args);
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals(List.of("error: " + message), r.err().lines().toList());
    }
}
