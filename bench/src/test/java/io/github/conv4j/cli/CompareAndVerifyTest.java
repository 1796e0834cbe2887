package io.github.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.Availability;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compare} writes its table, JSON and chart and fails engines whose output is wrong; {@code verify} passes
 * the golden cases and fails bad ones.
 */
class CompareAndVerifyTest {
    @TempDir
    Path dir;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private static Path golden() {
        return Path.of(System.getProperty("conv4j.golden", "../src/test/resources/golden"));
    }

    @Test
    void compareReportsTheAccuracyLevelAndChecksWithItsTolerance() throws IOException {
        for (String level : List.of("exact", "fast")) {
            Path json = dir.resolve(level + ".json");
            List<String> args = new ArrayList<>(List.of("compare", "--shapes", "S1", "--engines", "naive,onednn",
                    "--seconds", "0.05", "--json", json.toString()));
            if (level.equals("fast")) {
                args.addAll(List.of("--accuracy", "fast"));
            }
            CliRun r = cli(args.toArray(String[]::new));
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().startsWith("conv4j compare: float32 NHWC, accuracy " + level + ", "), r.out());
            JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            assertEquals(level, root.get("accuracy").getAsString());
        }
    }

    @Test
    void compareWritesTableJsonAndCharts() throws IOException {
        Path json = dir.resolve("r.json"), png = dir.resolve("r.png"), svg = dir.resolve("r.svg");
        CliRun r = cli("compare", "--shapes", "S1", "--engines", "naive", "--seconds", "0.05", "--json",
                json.toString(), "--chart", png.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("S1    naive"), r.out());
        assertTrue(r.err().contains("[1/1"), r.err());
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        for (String key : List.of("jdk", "cpu", "commit", "threads", "openblas_core", "onednn_version", "results")) {
            assertTrue(root.has(key), key);
        }
        JsonObject m = root.getAsJsonArray("results").get(0).getAsJsonObject();
        assertEquals("naive", m.get("engine").getAsString());
        assertEquals(0.0, m.get("max_abs_err").getAsDouble());
        assertEquals(1.0, m.get("speedup_vs_naive").getAsDouble());
        assertTrue(m.get("median_us").getAsDouble() > 0 && m.get("gflops").getAsDouble() > 0, m.toString());
        assertTrue(m.get("ok").getAsBoolean(), m.toString());
        io.github.conv4j.ConvSpec s1 = io.github.conv4j.bench.Shapes.spec("S1", io.github.conv4j.DType.FLOAT32,
                io.github.conv4j.Layout.NHWC);
        try (io.github.conv4j.spi.ConvKernel k = Conv2d.engine("naive").plan(s1,
                java.lang.foreign.MemorySegment.ofArray(new float[(int) s1.weightElements()]), null, 1)) {
            assertEquals(k.implementation(), m.get("implementation").getAsString());
        }
        byte[] head = Files.readAllBytes(png);
        assertEquals((byte) 0x89, head[0]);
        assertEquals('P', head[1]);
        assertEquals('N', head[2]);

        // a peer's file merges into the chart
        Path peer = dir.resolve("peer.json");
        Files.writeString(peer, """
                {"results": [{"shape": "S1", "engine": "numpy-einsum", "dtype": "float32", "threads": 1,
                  "median_us": 20.0, "min_us": 19.0, "gflops": 1.8, "speedup_vs_naive": null,
                  "max_abs_err": 1e-7, "plan_us": null}]}
                """);
        r = cli("compare", "--shapes", "S1", "--engines", "naive", "--seconds", "0.05", "--merge", peer.toString(),
                "--chart", svg.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.readString(svg).contains("<svg"), "an SVG file");
        var chart = Chart.build(Report.readResults(peer), "t");
        assertEquals(List.of("numpy-einsum"), List.copyOf(chart.getSeriesMap().keySet()));
    }

    /** The records of a compare JSON file by engine name. */
    private static Map<String, JsonObject> byEngine(Path json) throws IOException {
        Map<String, JsonObject> out = new LinkedHashMap<>();
        for (var e : JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("results")) {
            out.put(e.getAsJsonObject().get("engine").getAsString(), e.getAsJsonObject());
        }
        return out;
    }

    /** The table row of {@code engine}, its cells split on blanks. */
    private static List<String> row(String table, String shape, String engine) {
        return table.lines().map(l -> List.of(l.trim().split(" +")))
                .filter(c -> c.size() > 2 && c.get(0).equals(shape) && c.get(1).equals(engine)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + shape + " " + engine + " in\n" + table));
    }

    @Test
    void compareFailsWrongEnginesAfterWritingItsResults() throws Exception {
        // naive runs first, so an engine that writes nothing would see naive's output if it were not poisoned
        Path json = dir.resolve("r.json");
        CliRun r;
        try (var _ = WrongEngine.enable()) {
            r = cli("compare", "--shapes", "S1", "--engines",
                    "naive,wrong-writes-nothing,wrong-plus-one,wrong-first-call-only,auto", "--seconds", "0.02",
                    "--json", json.toString());
        }
        assertEquals(1, r.status(), r.out() + r.err());
        Map<String, JsonObject> m = byEngine(json);
        assertEquals(List.of("naive", "wrong-writes-nothing", "wrong-plus-one", "wrong-first-call-only", "auto"),
                List.copyOf(m.keySet()));
        assertTrue(m.get("naive").get("ok").getAsBoolean(), m.get("naive").toString());
        assertTrue(m.get("auto").get("ok").getAsBoolean(), m.get("auto").toString());
        for (String wrong : List.of("wrong-writes-nothing", "wrong-plus-one", "wrong-first-call-only")) {
            assertFalse(m.get(wrong).get("ok").getAsBoolean(), m.get(wrong).toString());
            assertEquals("FAIL", row(r.out(), "S1", wrong).getLast(), r.out());
        }
        assertEquals("ok", row(r.out(), "S1", "naive").getLast(), r.out());
        assertTrue(m.get("wrong-writes-nothing").get("max_abs_err").isJsonNull(), "a NaN error is null in JSON");
        assertEquals(1.0, m.get("wrong-plus-one").get("max_abs_err").getAsDouble(), 1e-5);
        assertTrue(r.out().contains("wrote " + json), r.out());

        // one line per wrong engine, after the progress lines; S1's output is 2 x 5 x 4 x 16 = 640 elements
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(3, errors.size(), r.err());
        assertEquals("error: S1 wrong-writes-nothing: 640 of 640 outputs differ from naive by more than the "
                + "tolerance, worst at flat index 0: NaN (unwritten outputs stay NaN)", errors.get(0));
        assertTrue(errors.get(1).startsWith("error: S1 wrong-plus-one: 1 of 640 outputs differ from naive by more "
                + "than the tolerance, worst at flat index 639: |err| 1.00e+00 > "), errors.get(1));
        assertTrue(errors.get(2).startsWith("error: S1 wrong-first-call-only: 640 of 640 outputs"), errors.get(2));
        List<String> lines = r.err().lines().toList();
        assertEquals(errors, lines.subList(lines.size() - 3, lines.size()), "error lines come last");
    }

    @Test
    void compareFailsUnwrittenBatchElementsWhereNaiveRunsOnOne() throws Exception {
        // R2 is large enough that naive runs on batch element 0 alone; the other seven must still be written
        Path json = dir.resolve("r.json");
        CliRun r;
        try (var _ = WrongEngine.enable()) {
            r = cli("compare", "--shapes", "R2", "--engines", "wrong-first-image-only", "--seconds", "0.01",
                    "--json", json.toString());
        }
        assertEquals(1, r.status(), r.out() + r.err());
        JsonObject m = byEngine(json).get("wrong-first-image-only");
        assertFalse(m.get("ok").getAsBoolean(), m.toString());
        assertEquals(0.0, m.get("max_abs_err").getAsDouble(), "batch element 0 is naive's own output");
        // R2's output is 8 x 56 x 56 x 256, of which 7 x 56 x 56 x 256 = 5619712 after batch element 0
        assertEquals("error: R2 wrong-first-image-only: 5619712 outputs of batch elements 1..7 are NaN or infinite "
                + "(unwritten outputs stay NaN)", r.err().lines().toList().getLast());
    }

    @Test
    void compareAllLeavesTheWrongEnginesOutAndPassesTheRealOnes() throws IOException {
        Path json = dir.resolve("r.json");
        CliRun r = cli("compare", "--shapes", "S1", "--engines", "all", "--seconds", "0.02", "--json",
                json.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        Map<String, JsonObject> m = byEngine(json);
        assertTrue(m.containsKey("naive") && m.containsKey("auto"), m.keySet().toString());
        for (JsonObject e : m.values()) {
            assertFalse(e.get("engine").getAsString().startsWith("wrong-"), e.toString());
            assertTrue(e.get("ok").getAsBoolean(), e.toString());
        }
        assertTrue(r.out().contains("note: S1: engine wrong-plus-one is unavailable: wrong on purpose"), r.out());
    }

    @Test
    void compareLeavesOutADecliningEngineWithItsReason() {
        Availability a = Conv2d.engine("onednn").probe();
        assumeTrue(a.available(), () -> "onednn is unavailable here: " + a.reason());
        CliRun r = cli("compare", "--shapes", "S1", "--engines", "naive,onednn", "--dtype", "float64", "--seconds",
                "0.02");
        assertEquals(0, r.status(), r.out() + r.err());
        String declined = "note: S1: engine onednn declines ConvSpec[NHWC float64 ";
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith(declined)), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("S1    onednn")), r.out());
    }

    /**
     * {@code --dtype int8|uint8}: every engine but naive and onednn declines saying so, those two agree within one
     * output unit, and the table says its errors are in output units.
     */
    @Test
    void compareRunsInt8AndUint8() throws IOException {
        for (String dtype : List.of("int8", "uint8")) {
            Path json = dir.resolve(dtype + ".json");
            CliRun r = cli("compare", "--shapes", "S1,D1", "--engines", "all", "--dtype", dtype, "--seconds", "0.02",
                    "--json", json.toString());
            assertEquals(0, r.status(), r.out() + r.err());
            assertTrue(r.out().startsWith("conv4j compare: " + dtype + " NHWC"), r.out());
            assertTrue(r.out().contains(dtype + " activations, int8 weights (scales per output channel), int8 output:"
                    + " max |err| in output units"), r.out());
            Map<String, JsonObject> m = byEngine(json);
            assertTrue(m.containsKey("naive") && m.containsKey("auto"), m.keySet().toString());
            for (JsonObject e : m.values()) {
                assertTrue(e.get("ok").getAsBoolean(), e.toString());
                assertTrue(e.get("max_abs_err").getAsDouble() <= 1, e.toString());
            }
            for (String engine : List.of("im2col-jni", "java-vector", "winograd")) {
                assertTrue(r.out().contains("note: S1: engine " + engine + " declines ConvSpec[NHWC " + dtype), r.out());
            }
        }
    }

    /** Every byte is a valid int8, so an unwritten output shows only against a second fill: compare uses two. */
    @Test
    void compareFailsAnInt8EngineThatWritesNothing() throws Exception {
        CliRun r;
        try (var _ = WrongEngine.enable()) {
            r = cli("compare", "--shapes", "S1", "--engines", "wrong-writes-nothing", "--dtype", "int8", "--seconds",
                    "0.01");
        }
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("error: S1 wrong-writes-nothing: ")), r.err());
    }

    @Test
    void compareRejectsBadFlagsBeforeRunning() {
        assertUserError("unknown shape: R9 (S1, S2, R1, R2, R3, R4, R5, R6, D1)", "compare", "--shapes", "S1,R9");
        assertUserError("--chart must end in .png or .svg: c.gif", "compare", "--chart", "c.gif");
        assertUserError("--seconds must be a number in (0, 600]: 0", "compare", "--seconds", "0");
        assertUserError("unknown dtype: half (float32, float64, int8, uint8, int32 or bfloat16)", "compare", "--dtype", "half");
        assertUserError("--dtype int32 is a bias type: compare takes float32, float64, bfloat16, int8 or uint8", "compare",
                "--dtype", "int32");
        assertUserError("verify --dtype takes bfloat16 only (the golden files' own dtype is the default), not float64",
                "verify", golden().toString(), "--dtype", "float64");
    }

    @Test
    void verifyPassesTheGoldenCases() {
        CliRun r = cli("verify", golden().toString(), "--engines", "naive");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("42 passed, 0 failed, 0 declined"), r.out());
    }

    /** compare on bfloat16 checks each engine against naive's bfloat16 output; verify rounds the golden inputs. */
    @Test
    void compareAndVerifyTakeBfloat16() throws IOException {
        Availability a = Conv2d.engine("onednn").probe();
        assumeTrue(a.available(), () -> "onednn is unavailable here: " + a.reason());
        Path json = dir.resolve("b.json");
        CliRun r = cli("compare", "--shapes", "S1", "--engines", "naive,onednn,winograd", "--dtype", "bfloat16",
                "--seconds", "0.05", "--json", json.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("conv4j compare: bfloat16 NHWC, accuracy exact, "), r.out());
        Map<String, JsonObject> m = byEngine(json);
        assertEquals("bfloat16", m.get("onednn").get("dtype").getAsString());
        assertTrue(m.get("onednn").get("ok").getAsBoolean(), m.toString());
        assertTrue(r.out().contains("engine winograd declines") && r.out().contains(": bfloat16: "), r.out());

        r = cli("verify", golden().toString(), "--engines", "naive,onednn", "--layouts", "NHWC", "--dtype", "bfloat16");
        assertEquals(0, r.status(), r.out() + r.err());
        // onednn declines explicit_pads_ge_kernel in bfloat16: its padding makes oneDNN 3.11's crash geometry
        assertTrue(r.out().contains("40 passed, 0 failed, 2 declined"), r.out());
        assertTrue(r.out().lines().filter(l -> l.contains(" declines ")).allMatch(l -> l.contains("issue 5942")),
                r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("valid_3x3_s1 ")).allMatch(l -> l.contains(" bfloat16 ")),
                r.out());
    }

    @Test
    void verifyCountsDeclinedCasesAndSaysWhy() {
        // onednn declines float64, and the golden cases are 11 float32 and 10 float64 ones
        Availability a = Conv2d.engine("onednn").probe();
        assumeTrue(a.available(), () -> "onednn is unavailable here: " + a.reason());
        CliRun r = cli("verify", golden().toString(), "--engines", "onednn", "--layouts", "NHWC");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("11 passed, 0 failed, 10 declined"), r.out());
        String row = r.out().lines().filter(l -> l.startsWith("valid_3x3_s1 ")).findFirst().orElseThrow();
        assertTrue(row.contains(" engine onednn declines ConvSpec[NHWC float64 "), row);
    }

    @Test
    void verifyFailsAWrongExpectation() throws IOException {
        // a copy of one case whose expected output is off by one in its last element
        Path src = golden().resolve("valid_3x3_s1"), dst = dir.resolve("valid_3x3_s1");
        Files.createDirectories(dst);
        for (String f : List.of("x.npy", "w.npy", "y.npy")) {
            Files.copy(src.resolve(f), dst.resolve(f));
        }
        byte[] y = Files.readAllBytes(dst.resolve("y.npy"));
        y[y.length - 2] ^= 0x10;   // flips a bit of the last float64's exponent
        Files.write(dst.resolve("y.npy"), y);
        String cases = Files.readString(golden().resolve("cases.json"));
        Files.writeString(dir.resolve("cases.json"), cases);
        // keep only the copied case in the index
        JsonObject root = JsonParser.parseString(cases).getAsJsonObject();
        var kept = new com.google.gson.JsonArray();
        root.getAsJsonArray("cases").forEach(c -> {
            if (c.getAsJsonObject().get("name").getAsString().equals("valid_3x3_s1")) {
                kept.add(c);
            }
        });
        root.add("cases", kept);
        Files.writeString(dir.resolve("cases.json"), root.toString());
        CliRun r = cli("verify", dir.toString(), "--engines", "naive", "--layouts", "NHWC");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("FAIL") && r.out().contains("0 passed, 1 failed"), r.out());
    }

    @Test
    void verifyNeedsACasesFile() {
        assertUserError("no such file: " + dir.resolve("cases.json"), "verify", dir.toString());
        assertUserError("verify takes one directory: verify DIR [--engines ...]", "verify");
    }

    private static void assertUserError(String message, String... args) {
        CliRun r = cli(args);
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals(List.of("error: " + message), r.err().lines().toList());
    }
}
