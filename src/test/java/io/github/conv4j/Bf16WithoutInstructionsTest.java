package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.ChildJvm;
import io.github.conv4j.testing.Engines;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * oneDNN with its instruction set capped below avx512_bf16 ({@code ONEDNN_MAX_CPU_ISA} in a child JVM), as on a
 * CPU without bfloat16 instructions: results stay within the bound, and the bf16 kernel that needs the
 * instructions is not the one that runs.
 */
class Bf16WithoutInstructionsTest {

    private static ChildJvm.Result child(String isa) throws Exception {
        return child(Map.of("ONEDNN_MAX_CPU_ISA", isa));
    }

    private static ChildJvm.Result child(Map<String, String> env) throws Exception {
        Engines.require("onednn");
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(ChildJvm.nativeFlags(),
                System.getProperty("java.class.path"), Bf16WithoutInstructionsMain.class),
                env, Duration.ofSeconds(120));
        System.out.println(env + ":\n" + r.stdout());
        assertEquals(0, r.exitCode(), r.output());
        return r;
    }

    /** AVX2: oneDNN 3.11 has no bf16 convolution at all; onednn declines bfloat16, auto takes java-vector. */
    @Test
    void avx2DeclinesBFloat16AndComputesTheBf16LevelInFloat32() throws Exception {
        String out = child("AVX2").stdout();
        assertTrue(out.contains("isa avx2\n"), out);
        assertTrue(out.contains("bf16-math onednn implementation: ") && !out.contains("bf16-math onednn declines"),
                out);
        assertFalse(out.lines().filter(l -> l.contains("implementation: ")).anyMatch(l -> l.contains("avx512")), out);
        assertTrue(out.contains("bfloat16 onednn declines: bfloat16: oneDNN 3.11.0 makes no bf16 convolution on this"
                + " CPU (effective ISA avx2"), out);
        assertTrue(out.contains("bfloat16 auto engine: java-vector\n"), out);
    }

    /** AVX-512 without its bf16 extension: oneDNN emulates bf16 (jit_bf16:avx512_core), within the bound. */
    @Test
    void avx512WithoutBf16InstructionsEmulatesThem() throws Exception {
        String out = child("AVX512_CORE").stdout();
        assertTrue(out.contains("isa avx512_core\n"), out);
        assertTrue(out.contains("bfloat16 onednn implementation: "), out);
        assertFalse(out.contains("avx512_core_bf16"), out);
        assertTrue(out.contains("bfloat16 auto engine: onednn\n"), out);
    }

    /**
     * oneDNN's process-wide math mode set to bf16 ({@code ONEDNN_DEFAULT_FPMATH_MODE}) leaves an EXACT spec strict:
     * onednn says strict on every primitive but a BF16 one, so on a CPU with AMX an exact spec cannot compute in
     * bf16 behind the bound it promises.
     */
    @Test
    void aBf16DefaultMathModeLeavesExactSpecsStrict() throws Exception {
        String out = child(Map.of("ONEDNN_DEFAULT_FPMATH_MODE", "BF16")).stdout();
        String exact = out.lines().filter(l -> l.startsWith("exact onednn implementation: ")).findFirst()
                .orElseThrow(() -> new AssertionError(out));
        assertFalse(exact.contains("fpmath"), exact);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("bf16-math onednn implementation: ")
                && l.endsWith(", fpmath bf16")), out);
    }
}
