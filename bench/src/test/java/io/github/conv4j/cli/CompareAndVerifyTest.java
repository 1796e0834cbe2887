package io.github.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code compare} writes its table, JSON and chart; {@code verify} passes the golden cases and fails bad ones. */
class CompareAndVerifyTest {
    @TempDir
    Path dir;

    private record Result(int status, String out, String err) {
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path golden() {
        return Path.of(System.getProperty("conv4j.golden", "../src/test/resources/golden"));
    }

    @Test
    void compareWritesTableJsonAndCharts() throws IOException {
        Path json = dir.resolve("r.json"), png = dir.resolve("r.png"), svg = dir.resolve("r.svg");
        Result r = cli("compare", "--shapes", "S1", "--engines", "naive", "--seconds", "0.05", "--json",
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

    @Test
    void compareRejectsBadFlagsBeforeRunning() {
        assertUserError("unknown shape: R9 (S1, S2, R1, R2, R3, R4, R5, R6, D1)", "compare", "--shapes", "S1,R9");
        assertUserError("--chart must end in .png or .svg: c.gif", "compare", "--chart", "c.gif");
        assertUserError("--seconds must be a number in (0, 600]: 0", "compare", "--seconds", "0");
        assertUserError("unknown dtype: half (float32 or float64)", "compare", "--dtype", "half");
    }

    @Test
    void verifyPassesTheGoldenCases() {
        Result r = cli("verify", golden().toString(), "--engines", "naive");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("42 passed, 0 failed, 0 declined"), r.out());
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
        Result r = cli("verify", dir.toString(), "--engines", "naive", "--layouts", "NHWC");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("FAIL") && r.out().contains("0 passed, 1 failed"), r.out());
    }

    @Test
    void verifyNeedsACasesFile() {
        assertUserError("no such file: " + dir.resolve("cases.json"), "verify", dir.toString());
        assertUserError("verify takes one directory: verify DIR [--engines ...]", "verify");
    }

    private static void assertUserError(String message, String... args) {
        Result r = cli(args);
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals(List.of("error: " + message), r.err().lines().toList());
    }
}
