package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.engine.onednn.OneDnnEngine;
import io.github.conv4j.testing.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Int8 on a CPU without VNNI: {@link QuantizedIsaMain} in a child JVM whose oneDNN may use no instruction set past
 * {@code ONEDNN_MAX_CPU_ISA}, so that it takes the kernels such a CPU would run (AVX2: 16-bit pair sums; AVX-512
 * without VNNI likewise). Its results must still agree with naive; the implementations it used are printed.
 */
class QuantizedIsaTest {
    @ParameterizedTest
    @ValueSource(strings = {"AVX2", "AVX512_CORE"})
    void oneDnnWithoutVnniStillAgreesWithNaive(String isa) throws Exception {
        assumeTrue(OneDnnEngine.info().isPresent(), "onednn is unavailable here");
        List<String> flags = new ArrayList<>(List.of("-Xmx1g"));
        flags.addAll(ChildJvm.nativeFlags());
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(flags, System.getProperty("java.class.path"),
                QuantizedIsaMain.class), Map.of("ONEDNN_MAX_CPU_ISA", isa), Duration.ofSeconds(180));
        System.out.println("ONEDNN_MAX_CPU_ISA=" + isa + ":\n" + r.stdout());
        assertEquals(0, r.exitCode(), r.output());
        List<String> impls = r.stdout().lines().filter(l -> l.startsWith("impl ")).toList();
        assertTrue(!impls.isEmpty(), r.output());
        // the limit took hold: no kernel of the VNNI instruction sets ran
        for (String i : impls) {
            assertTrue(!i.contains("vnni") && !i.contains("amx"), "ran " + i + " under " + isa);
        }
    }
}
