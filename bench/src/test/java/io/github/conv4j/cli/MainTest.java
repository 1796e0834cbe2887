package io.github.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line's contract: {@code run} output, and exit 2 with one error line for every bad input. */
class MainTest {
    @TempDir
    Path dir;
    private Path x, w, b, x64, y;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble(-1, 1);
        }
        return v;
    }

    @BeforeEach
    void files() throws IOException {
        x = dir.resolve("x.npy");
        w = dir.resolve("w.npy");
        b = dir.resolve("b.npy");
        x64 = dir.resolve("x64.npy");
        y = dir.resolve("y.npy");
        Npy.write(x, Tensor.of(random(2 * 7 * 6 * 4, 1), 2, 7, 6, 4));
        Npy.write(w, Tensor.of(random(3 * 3 * 2 * 6, 2), 3, 3, 2, 6));
        Npy.write(b, Tensor.of(random(6, 3), 6));
        Npy.write(x64, Tensor.of(new double[2 * 7 * 6 * 4], 2, 7, 6, 4));
    }

    @Test
    void runMatchesTheLibrary() throws IOException {
        CliRun r = cli("run", "--input", x.toString(), "--weights", w.toString(), "--bias", b.toString(),
                "--stride", "2,1", "--padding", "SAME_LOWER", "--groups", "2", "--relu", "--engine", "naive",
                "--output", y.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("engine naive"), r.out());
        try (Arena arena = Arena.ofConfined()) {
            Tensor got = Npy.read(y, arena);
            ConvSpec spec = ConvSpec.builder().input(2, 7, 6, 4).kernel(3, 3, 6).stride(2, 1).groups(2)
                    .padding(Padding.SAME_LOWER).bias(true).relu(true).build();
            assertEquals(DType.FLOAT32, got.dtype());
            assertArrayEquals(spec.outputShape(), got.shape());
            Tensor want = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, Npy.read(x, arena), Npy.read(w, arena), Npy.read(b, arena), want);
            assertArrayEquals(want.toFloatArray(), got.toFloatArray());
        }
    }

    /** bfloat16 in ('<V2'), bfloat16 out, equal to naive on the same bits, through auto (onednn where it runs). */
    @Test
    void runKeepsBfloat16() throws IOException {
        Path xb = dir.resolve("xb.npy"), wb = dir.resolve("wb.npy"), bb = dir.resolve("bb.npy");
        Npy.write(xb, Tensor.bfloat16(random(2 * 7 * 6 * 4, 11), 2, 7, 6, 4));
        Npy.write(wb, Tensor.bfloat16(random(3 * 3 * 4 * 6, 12), 3, 3, 4, 6));
        Npy.write(bb, Tensor.bfloat16(random(6, 13), 6));
        CliRun r = cli("run", "--input", xb.toString(), "--weights", wb.toString(), "--bias", bb.toString(),
                "--padding", "SAME", "--output", y.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains(" NHWC bfloat16 [2, 7, 6, 6], engine "), r.out());
        try (Arena arena = Arena.ofConfined()) {
            Tensor got = Npy.read(y, arena);
            assertEquals(DType.BFLOAT16, got.dtype());
            ConvSpec spec = ConvSpec.builder().dtype(DType.BFLOAT16).input(2, 7, 6, 4).kernel(3, 3, 6)
                    .padding(Padding.SAME).bias(true).build();
            assertArrayEquals(spec.outputShape(), got.shape());
            Tensor want = Tensor.allocate(arena, DType.BFLOAT16, spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, Npy.read(xb, arena), Npy.read(wb, arena), Npy.read(bb, arena), want);
            for (long i = 0; i < want.elementCount(); i++) {
                double ref = want.getDouble(i);
                assertTrue(Math.abs(got.getDouble(i) - ref) <= spec.tolerance(ref), i + ": " + got.getDouble(i));
            }
        }
    }

    @Test
    void runKeepsFloat64AndReadsNchw() throws IOException {
        Path xn = dir.resolve("xn.npy"), wn = dir.resolve("wn.npy");
        double[] xv = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Npy.write(xn, Tensor.of(xv, 1, 1, 3, 3));
        Npy.write(wn, Tensor.of(new double[] {1, 1, 1, 1}, 1, 1, 2, 2));
        CliRun r = cli("run", "--input", xn.toString(), "--weights", wn.toString(), "--layout", "nchw",
                "--output", y.toString());
        assertEquals(0, r.status(), r.err());
        try (Arena arena = Arena.ofConfined()) {
            Tensor got = Npy.read(y, arena);
            assertEquals(DType.FLOAT64, got.dtype());
            assertArrayEquals(new long[] {1, 1, 2, 2}, got.shape());
            assertArrayEquals(new double[] {12, 16, 24, 28}, got.toDoubleArray());
        }
    }

    @Test
    void infoListsTheEngines() {
        CliRun r = cli("info");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("naive") && r.out().contains("available"), r.out());
        assertTrue(r.out().contains("jdk:"), r.out());
    }

    /** The reduced-precision section: the CPU's flags, and oneDNN's implementation per precision. */
    @Test
    void infoShowsReducedPrecision() {
        CliRun r = cli("info");
        assertEquals(0, r.status(), r.err());
        String out = r.out();
        assertTrue(out.contains("\nreduced precision:\n  cpu:    avx512_bf16 "), out);
        for (String flag : InfoCommand.PRECISION_FLAGS) {
            assertTrue(out.matches("(?s).*  cpu:    .*" + flag + " (yes|no|unknown).*"), flag + " in " + out);
        }
        if (Conv2d.engine("onednn").probe().available()) {
            for (String line : List.of("    float32 exact:   brg", "    float32 at bf16: ", "    bfloat16:        ")) {
                assertTrue(out.contains(line), line + " in " + out);
            }
            assertTrue(out.lines().anyMatch(l -> l.startsWith("    float32 at bf16: ") && l.endsWith(", fpmath bf16")),
                    out);
        } else {
            assertTrue(out.contains("  onednn: unavailable\n"), out);
        }
    }

    @Test
    void infoNamesWhatComputesASmallInt8Convolution() {
        CliRun r = cli("info");
        assertEquals(0, r.status(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("    uint8 -> int8:   ")).findFirst().orElseThrow(() ->
                new AssertionError("no int8 line: " + r.out()));
        if (io.github.conv4j.Conv2d.engine("onednn").probe().available()) {
            // an implementation's name, not a refusal
            assertFalse(line.contains("declined") || line.contains("failed"), line);
        }
        System.out.println(line);
    }

    /** {@code run} computes float .npy files only: an int8 input is one error line and exit 2. */
    @Test
    void runRefusesInt8Files() throws IOException {
        Path q = dir.resolve("q.npy");
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Npy.write(q, Tensor.allocate(arena, io.github.conv4j.DType.INT8, 2, 7, 6, 4));
        }
        userError("run computes float32, float64 and bfloat16 .npy files only: q.npy is int8 (an int8 convolution needs scales"
                + " and zero points, which run does not take; compare --dtype int8|uint8 runs synthetic ones)",
                "run", "--input", q.toString(), "--weights", w.toString(), "--output", y.toString());
    }

    @Test
    void infoNamesTheLibraryVersionFromItsJar() {
        // the tests run against the installed library jar, whose manifest carries the version this project asks for
        String want = System.getProperty("conv4j.library.version");
        assertTrue(want != null && !want.isEmpty(), "conv4j.library.version is not set (bench/pom.xml sets it)");
        CliRun r = cli("info");
        assertEquals(0, r.status(), r.err());
        assertEquals("conv4j " + want, r.out().lines().findFirst().orElse(""), r.out());
    }

    @Test
    void helpAndNoArguments() {
        assertEquals(0, cli("--help").status());
        CliRun none = cli();
        assertEquals(2, none.status());
        assertTrue(none.out().startsWith("usage: conv4j"), none.out());
    }

    // ---- user errors: exit 2, one line on stderr, no stack trace, no output file -------------------------

    private void userError(String expected, String... args) throws IOException {
        CliRun r = cli(args);
        assertEquals(2, r.status(), () -> "status for " + String.join(" ", args) + "; stderr " + r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), () -> "one stderr line expected: " + r.err());
        assertEquals("error: " + expected, lines.get(0));
        assertFalse(Files.exists(y), "no output file on error");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().contains(".tmp")).toList(),
                    "no temporary files left");
        }
    }

    private String[] run(String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "--input", x.toString(), "--weights", w.toString(),
                "--output", y.toString(), "--groups", "2"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "--stride   | 0       | stride must be >= 1: sh=0, sw=0",
        "--stride   | 1,x     | --stride must be N or A,B with integers: 1,x",
        "--stride   | 1,2,3   | --stride must be N or A,B: 1,2,3",
        "--dilation | 0,1     | dilation must be >= 1 (1 = none): dh=0, dw=1",
        "--padding  | MIRROR  | padding must be VALID, SAME, SAME_LOWER or T,B,L,R: MIRROR",
        "--padding  | 1,-1,0,0 | pads must be >= 0: top=1, bottom=-1, left=0, right=0",
        "--layout   | NWHC    | unknown layout: NWHC (NHWC or NCHW)",
        "--engine   | fastest | unknown engine: fastest (engines: ENGINES, auto)",
        "--threads  | -1      | --threads must be an integer in 0..4096: -1",
        "--padding  | 0,0,0,0 | --padding given twice",
        "--accuracy | half    | unknown accuracy: half (exact, fast or bf16)",
    })
    void badFlagValues(String flag, String value, String message) throws IOException {
        String engines = String.join(", ", Conv2d.engines().stream().map(e -> e.name()).toList());
        String[] args = flag.equals("--padding") && value.equals("0,0,0,0")
                ? run("--padding", "VALID", flag, value) : run(flag, value);
        userError(message.replace("ENGINES", engines), args);
    }

    @Test
    void groupsThatDoNotFit() throws IOException {
        userError("input channels differ: x ic=4, w ic=2 per group x groups=3 = 6 "
                + "(NHWC x [2, 7, 6, 4], HWIO w [3, 3, 2, 6])", withGroups("3"));
        userError("groups must be >= 1: groups=0", withGroups("0"));
    }

    private String[] withGroups(String g) {
        return new String[] {"run", "--input", x.toString(), "--weights", w.toString(), "--output", y.toString(),
            "--groups", g};
    }

    @Test
    void missingAndUnknownFlags() throws IOException {
        userError("missing --input", "run", "--weights", w.toString(), "--output", y.toString());
        userError("missing --output", "run", "--input", x.toString(), "--weights", w.toString());
        userError("unknown flag for run: --fast", run("--fast"));
        userError("--relu takes no value: --relu=yes", run("--relu=yes"));
        userError("--bias needs a value", run("--bias"));
        userError("unexpected argument for run: extra", run("extra"));
        userError("unknown command: convolve (info, run, compare, verify, tune)", "convolve");
    }

    @Test
    void missingOrMalformedFiles() throws IOException {
        Path nothing = dir.resolve("nothing.npy");
        userError("no such file: " + nothing, "run", "--input", nothing.toString(), "--weights", w.toString(),
                "--output", y.toString());
        Path text = dir.resolve("text.npy");
        Files.writeString(text, "this is not numpy at all");
        userError(text + ": not a .npy file: bad magic (expected \\x93NUMPY)", "run", "--input", text.toString(),
                "--weights", w.toString(), "--output", y.toString());
        Path cut = dir.resolve("cut.npy");
        byte[] whole = Files.readAllBytes(x);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 4));
        userError(cut + ": truncated: header says float32 [2, 7, 6, 4] = 1344 bytes of data, file has 1340",
                "run", "--input", cut.toString(), "--weights", w.toString(), "--output", y.toString(), "--groups", "2");
    }

    @Test
    void mismatchedFiles() throws IOException {
        userError("dtype differs: x64.npy is float64, w.npy is float32", "run", "--input", x64.toString(),
                "--weights", w.toString(), "--output", y.toString(), "--groups", "2");
        userError("input channels differ: x ic=4, w ic=2 (NHWC x [2, 7, 6, 4], HWIO w [3, 3, 2, 6])",
                "run", "--input", x.toString(), "--weights", w.toString(), "--output", y.toString());
        Path b5 = dir.resolve("b5.npy");
        Npy.write(b5, Tensor.of(new float[5], 5));
        userError("bias shape differs: b5.npy [5], expected [6] (output channels)", run("--bias", b5.toString()));
        Path w4 = dir.resolve("w4.npy");
        Npy.write(w4, Tensor.of(new float[9 * 9 * 2 * 2], 9, 9, 2, 2));
        userError("output height < 1: ih=7 + pads 0+0 < effective kernel 9", "run", "--input", x.toString(),
                "--weights", w4.toString(), "--output", y.toString(), "--groups", "2");
        Path w3 = dir.resolve("w3.npy");
        Npy.write(w3, Tensor.of(new float[12], 3, 2, 2));
        userError("w must be 4-D: w shape [3, 2, 2]", "run", "--input", x.toString(), "--weights", w3.toString(),
                "--output", y.toString());
    }

    @Test
    void unwritableOutput() {
        Path missingDir = dir.resolve("no/such/dir/y.npy");
        CliRun r = cli("run", "--input", x.toString(), "--weights", w.toString(), "--groups", "2",
                "--output", missingDir.toString());
        assertEquals(2, r.status());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: no such file: "), r.err());
        assertFalse(Files.exists(dir.resolve("no")));
    }

    @Test
    void layoutParsesAnyCase() {
        assertEquals(Layout.NCHW, Layout.parse("nchw"));
    }
}
