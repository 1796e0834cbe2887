package consumer;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * An application that uses conv4j as its users do: one small convolution through {@code auto}, {@code naive} and
 * every engine it is told must be available, each checked against loops written here.
 *
 * <p>System properties: {@code expect.module} is the module conv4j must be in (empty for the class path);
 * {@code expect.engines} names the engines that must be available and {@code expect.unavailable} those that must
 * report themselves unavailable (their jars or modules left out), each comma-separated.
 */
public final class Consume {

    private Consume() {
    }

    /** Exits with status 1, after saying why on stderr, if anything is not as expected. */
    public static void main(String[] args) {
        List<String> failures = new ArrayList<>();

        String module = Conv2d.class.getModule().getName();
        String expectModule = System.getProperty("expect.module", "");
        String where = module == null ? "" : module;
        if (!where.equals(expectModule)) {
            failures.add("conv4j is in module '" + where + "', expected '" + expectModule + "'");
        }
        System.out.println("conv4j module: " + (module == null ? "(class path)" : module));
        ModuleDescriptor descriptor = Conv2d.class.getModule().getDescriptor();
        if (descriptor != null) {
            // the API, the SPI and the NPY reader, unqualified; the engines and their shared parts stay inside
            Set<String> exported = new TreeSet<>();
            for (ModuleDescriptor.Exports e : descriptor.exports()) {
                exported.add(e.source() + (e.isQualified() ? " to " + e.targets() : ""));
            }
            Set<String> intended = new TreeSet<>(List.of("io.github.conv4j", "io.github.conv4j.io",
                    "io.github.conv4j.spi"));
            if (!exported.equals(intended)) {
                failures.add("conv4j exports " + exported + ", intended " + intended);
            }
            System.out.println("conv4j exports: " + exported);
        }

        // NHWC float32, 2 images of 5x6x3, a 3x2 kernel to 4 channels, stride 1x2, SAME, bias, no relu
        ConvSpec spec = ConvSpec.builder().layout(Layout.NHWC).dtype(DType.FLOAT32)
                .input(2, 5, 6, 3).kernel(3, 2, 4).stride(1, 2).padding(Padding.SAME).bias(true).build();
        float[] x = values(spec.inputElements(), 0.37f);
        float[] w = values(spec.weightElements(), 0.11f);
        float[] b = values(spec.oc(), 0.5f);
        double[] expected = reference(spec, x, w, b);

        List<String> engines = new ArrayList<>(List.of(Conv2d.AUTO, Conv2d.NAIVE));
        String expectEngines = System.getProperty("expect.engines", "");
        for (String name : expectEngines.split(",")) {
            if (!name.isBlank() && !engines.contains(name.strip())) {
                engines.add(name.strip());
            }
        }
        for (ConvEngine e : Conv2d.engines()) {
            Availability a = e.probe();
            System.out.println("engine " + e.name() + ": " + (a.available() ? "available" : "unavailable, " + a.reason()));
        }
        for (String name : System.getProperty("expect.unavailable", "").split(",")) {
            if (name.isBlank()) {
                continue;
            }
            // found as a service, but says it cannot run: what a missing optional dependency must lead to
            List<ConvEngine> found = Conv2d.engines().stream().filter(e -> e.name().equals(name.strip())).toList();
            if (found.isEmpty()) {
                failures.add("engine " + name.strip() + " is not registered");
            } else if (found.get(0).probe().available()) {
                failures.add("engine " + name.strip() + " is available, expected it unavailable");
            }
        }
        for (String name : engines) {
            try {
                float[] y = new float[Math.toIntExact(spec.outputElements())];
                Conv2d.forward(name, spec, Tensor.of(x, spec.inputShape()), Tensor.of(w, spec.weightShape()),
                        Tensor.of(b, spec.oc()), Tensor.of(y, spec.outputShape()));
                double worst = 0;
                for (int i = 0; i < y.length; i++) {
                    worst = Math.max(worst, Math.abs(y[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
                }
                // float32 sums of 18 products of values under 1: far under 1e-5 relative when right
                if (!(worst <= 1e-5)) {
                    failures.add("engine " + name + " differs from the loops by " + worst);
                }
                System.out.println("engine " + name + " (" + (name.equals(Conv2d.AUTO)
                        ? Conv2d.select(spec).name() : name) + "): max relative error " + worst);
            } catch (RuntimeException e) {
                failures.add("engine " + name + " failed: " + e);
            }
        }

        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("consumer check failed: " + f));
            System.exit(1);
        }
        System.out.println("consumer check passed: " + engines);
    }

    private static float[] values(long n, float step) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * step);
        }
        return v;
    }

    // the convolution by its definition, NHWC input, HWIO weights, pads from the spec
    private static double[] reference(ConvSpec s, float[] x, float[] w, float[] b) {
        double[] y = new double[Math.toIntExact(s.outputElements())];
        for (int n = 0; n < s.mb(); n++) {
            for (int oh = 0; oh < s.oh(); oh++) {
                for (int ow = 0; ow < s.ow(); ow++) {
                    for (int oc = 0; oc < s.oc(); oc++) {
                        double sum = b[oc];
                        for (int kh = 0; kh < s.kh(); kh++) {
                            for (int kw = 0; kw < s.kw(); kw++) {
                                int ih = oh * s.sh() - s.padTop() + kh;
                                int iw = ow * s.sw() - s.padLeft() + kw;
                                if (ih < 0 || ih >= s.ih() || iw < 0 || iw >= s.iw()) {
                                    continue;
                                }
                                for (int ic = 0; ic < s.ic(); ic++) {
                                    sum += (double) x[((n * s.ih() + ih) * s.iw() + iw) * s.ic() + ic]
                                            * w[((kh * s.kw() + kw) * s.ic() + ic) * s.oc() + oc];
                                }
                            }
                        }
                        y[((n * s.oh() + oh) * s.ow() + ow) * s.oc() + oc] = sum;
                    }
                }
            }
        }
        return y;
    }
}
