package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.ChildJvm;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wisdom files: a round trip, stale and foreign entries skipped with one log line, corrupt files as errors. */
class WisdomTest {
    @TempDir
    Path dir;

    @BeforeEach
    @AfterEach
    void noWisdom() {
        Wisdom.clear();
    }

    private static Wisdom.Entry entry(String spec, int threads, String engine) {
        return new Wisdom.Entry(spec, threads, engine, 123.5, 7, Wisdom.cpuModel(), Wisdom.versions(),
                Wisdom.engineVersion(engine));
    }

    @Test
    void measuredEntriesRoundTripThroughAFile() throws Exception {
        double before = Settings.planBudgetSeconds();
        Settings.setPlanBudgetSeconds(0.01);
        try (Arena arena = Arena.ofConfined()) {
            for (int c : new int[] {4, 8}) {
                ConvSpec spec = ConvSpec.builder().input(1, 10, 10, c).kernel(3, 3, c).padding(Padding.SAME).build();
                Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(c), spec.weightShape());
                Conv2d.plan(Conv2d.AUTO, spec, w, null, PlanMode.MEASURE).close();
            }
        } finally {
            Settings.setPlanBudgetSeconds(before);
        }
        Wisdom.put(entry("a \"quoted\" \\ spec\n", 3, "naive"));
        Wisdom.put(new Wisdom.Entry("a spec with a variant", 2, "winograd", "F(2x2,3x3)", 9.5, 3, Wisdom.cpuModel(),
                Wisdom.versions(), Wisdom.engineVersion("winograd")));
        List<Wisdom.Entry> measured = Wisdom.entries();
        assertEquals(4, measured.size());
        Path file = dir.resolve("wisdom.json");
        Wisdom.exportTo(file);
        Wisdom.clear();
        assertEquals(List.of(), Wisdom.entries());
        assertTrue(Files.readString(file).contains("\"engine\": \"winograd\", \"variant\": \"F(2x2,3x3)\""));
        assertEquals(new Wisdom.Imported(4, 0, 0), Wisdom.importFrom(file));
        assertEquals(measured, Wisdom.entries());
        // exporting what was imported writes the same file
        Path again = dir.resolve("again.json");
        Wisdom.exportTo(again);
        assertEquals(Files.readString(file), Files.readString(again));
    }

    @Test
    void staleAndForeignEntriesAreSkippedAndEngineVersionsCheckedOnFirstUse() throws Exception {
        ConvSpec a = ConvSpec.builder().input(1, 5, 5, 2).kernel(3, 3, 2).build();
        ConvSpec d = ConvSpec.builder().input(1, 6, 5, 2).kernel(3, 3, 2).build();
        Wisdom.Entry good = entry(a.toString(), 1, "java-vector");
        Wisdom.Entry foreign = new Wisdom.Entry("spec B", 1, "java-vector", 5, 3, "Some Other CPU 9000",
                good.conv4j(), good.engineVersion());
        Wisdom.Entry oldConv4j = new Wisdom.Entry("spec C", 1, "java-vector", 5, 3, good.cpu(), "0.0.1, JDK 22",
                good.engineVersion());
        Wisdom.Entry otherNatives = new Wisdom.Entry(d.toString(), 1, "naive", 5, 3, good.cpu(), good.conv4j(),
                "{onednn_version=0.1}");
        for (Wisdom.Entry e : List.of(good, foreign, oldConv4j, otherNatives)) {
            Wisdom.put(e);
        }
        Path file = dir.resolve("mixed.json");
        Wisdom.exportTo(file);
        Wisdom.clear();
        assertEquals(new Wisdom.Imported(2, 1, 1), Wisdom.importFrom(file));
        assertEquals(List.of(good, otherNatives).stream().sorted((x, y) -> x.spec().compareTo(y.spec())).toList(),
                Wisdom.entries());
        // the engine versions: checked when looked up, and the entry measured with other ones dropped
        assertEquals(Optional.of(good), Wisdom.lookup(a, 1));
        assertEquals(Optional.empty(), Wisdom.lookup(d, 1));
        assertEquals(List.of(good), Wisdom.entries());
        assertEquals(Optional.empty(), Wisdom.lookup(a, 2), "another thread budget");
    }

    @Test
    void aFileThatIsNotWisdomIsAnErrorNamingFileAndProblem() throws Exception {
        String ok = "{\"spec\": \"s\", \"threads\": 1, \"engine\": \"naive\", \"median_us\": 1, \"runs\": 1,"
                + " \"cpu\": \"c\", \"conv4j\": \"v\", \"engine_version\": \"{}\"}";
        String[][] cases = {
            {"{\"format\": \"conv4j wisdom 1\", \"entries\": [", "expected a value at character"},
            {"[]", "the top level is not an object"},
            {"{\"format\": \"something else\", \"entries\": []}", "\"format\" is something else"},
            {"{\"format\": \"conv4j wisdom 1\"}", "\"entries\" is not an array"},
            {"{\"format\": \"conv4j wisdom 1\", \"entries\": [3]}", "entry 0 is not an object"},
            {"{\"format\": \"conv4j wisdom 1\", \"entries\": [" + ok + ", " + ok.replace("\"runs\": 1", "\"runs\": 0")
                + "]}", "entry 1: \"runs\" is 0.0, not a whole number >= 1"},
            {"{\"format\": \"conv4j wisdom 1\", \"entries\": [" + ok.replace("\"engine\": \"naive\", ", "") + "]}",
                "entry 0: \"engine\" is null, not a string"},
        };
        for (String[] c : cases) {
            Path file = dir.resolve("bad.json");
            Files.writeString(file, c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Wisdom.importFrom(file));
            assertTrue(e.getMessage().startsWith("not a conv4j wisdom file: " + file + ": ")
                    && e.getMessage().contains(c[1]), e.getMessage());
            assertEquals(List.of(), Wisdom.entries(), "nothing taken from a bad file");
        }
    }

    /**
     * conv4j.wisdom at start-up, in fresh JVMs: a valid file steers auto, its foreign entry skipped with one log
     * line; a corrupt one is an error on planning.
     */
    @Test
    void theStartupFileIsReadBeforeTheFirstPlan() throws Exception {
        ConvSpec spec = WisdomMain.SPEC;
        Wisdom.put(new Wisdom.Entry(spec.toString(), 1, "naive", 9, 3, Wisdom.cpuModel(), Wisdom.versions(),
                Wisdom.engineVersion("naive")));
        Wisdom.put(new Wisdom.Entry("another spec", 1, "naive", 9, 3, "Some Other CPU 9000", Wisdom.versions(),
                Wisdom.engineVersion("naive")));
        Path file = dir.resolve("startup.json");
        Wisdom.exportTo(file);
        List<String> flags = new ArrayList<>(ChildJvm.nativeFlags());
        flags.add("-Dconv4j.threads=1");
        flags.add("-Dconv4j.wisdom=" + file);
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(flags, System.getProperty("java.class.path"),
                WisdomMain.class), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("engine naive, estimate: wisdom"), r.output());
        assertTrue(r.stdout().contains("conv4j.wisdom=" + file + ": 1 entries used, 0 stale and 1 foreign ignored"),
                r.output());
        List<String> warned = r.stderr().lines().filter(l -> l.contains("wisdom file")).toList();
        assertEquals(1, warned.size(), r.output());
        assertTrue(warned.get(0).contains("ignored 1 entries measured on another CPU (this one: "
                + Wisdom.cpuModel() + ") and 0 measured with another conv4j or JDK version"), r.output());

        Files.writeString(file, "{ not json");
        flags.set(flags.size() - 1, "-Dconv4j.wisdom=" + file);
        r = ChildJvm.run(ChildJvm.command(flags, System.getProperty("java.class.path"), WisdomMain.class),
                Duration.ofSeconds(60));
        assertEquals(3, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("IllegalStateException: conv4j.wisdom=" + file
                + " cannot be used: not a conv4j wisdom file: " + file + ": expected a string key at character 2"),
                r.output());
    }
}
