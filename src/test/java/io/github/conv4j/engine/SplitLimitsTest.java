package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Tensor;
import io.github.conv4j.testing.Engines;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The strided split keeps a table of one input row per (output row, kernel row): a spec whose table would not fit
 * a Java array is declined with the reason by every engine that splits, never an overflow at planning.
 */
class SplitLimitsTest {
    /** 2^30 - 2 output rows times 3 kernel rows: over 3 billion entries; the input itself fits one array. */
    private static final ConvSpec TALL = ConvSpec.builder().input(1, (1 << 30), 1, 1).kernel(3, 1, 1).build();

    @ParameterizedTest
    @ValueSource(strings = {"im2col-ffm", "im2col-jni", "java-vector"})
    void aSplitTableBeyondAnArrayIsDeclinedWithTheReason(String name) {
        Engines.require(name);
        Optional<String> why = Conv2d.whyNot(name, TALL);
        assertTrue(why.isPresent(), name + " accepted " + TALL);
        String expected = "strided split table exceeds a Java array: oh*kh = 1073741822*3 = 3221225466";
        assertTrue(why.get().endsWith(expected), why.get());
        Tensor w = Tensor.of(new float[3], TALL.weightShape());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Conv2d.plan(name, TALL, w, null));
        assertEquals(why.get(), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void theLimitIsExact(int over) {
        // the largest table a Java array holds, and one row more
        int oh = (Integer.MAX_VALUE - 8) / 2 + over;
        ConvSpec spec = ConvSpec.builder().input(1, oh + 1, 1, 1).kernel(2, 1, 1).build();
        assertEquals(oh, spec.oh());
        assertEquals(over == 1, StridedSplit.declines(spec).isPresent(), spec.toString());
    }
}
