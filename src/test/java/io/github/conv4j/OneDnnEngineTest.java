package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.testing.Golden;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * oneDNN against hand-computed answers, the golden cases and naive. The contract's float64 cases skip, since
 * the engine declines float64; so the float64 golden cases also run here with their inputs rounded to float32,
 * against naive on the same rounded inputs.
 */
class OneDnnEngineTest extends EngineContract {
    @Override
    String engine() {
        return "onednn";
    }

    @TestFactory
    List<DynamicTest> float64GoldenInputsRoundedToFloat32() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Golden.Case c : Golden.cases()) {
            for (Layout layout : Layout.values()) {
                tests.add(DynamicTest.dynamicTest(c.name() + " " + layout, () -> rounded(c, layout)));
            }
        }
        return tests;
    }

    private void rounded(Golden.Case c, Layout layout) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensors.convert(c.load("x.npy", arena), DType.FLOAT32, arena);
            Tensor w = Tensors.convert(c.load("w.npy", arena), DType.FLOAT32, arena);
            ConvSpec spec = c.spec(layout, x, w);
            if (layout == Layout.NCHW) {
                x = Tensors.nhwcToNchw(x, arena);
                w = Tensors.hwioToOihw(w, arena);
            }
            Tensor want = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, null, want);
            Tensor got = run(spec, x, w, null, arena);
            double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
            double tol = 8 * 0x1p-23 * (k + 1);
            for (long i = 0; i < want.elementCount(); i++) {
                double ref = want.getDouble(i), v = got.getDouble(i);
                if (!(Math.abs(v - ref) <= tol * (1 + Math.abs(ref)))) {
                    fail(engine() + " golden " + c.name() + " rounded to float32, " + layout + " at flat index " + i
                            + ": got " + v + ", naive " + ref + " (tolerance " + tol + " x (1 + |naive|))");
                }
            }
        }
    }
}
