package io.github.conv4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.Styler;

/** Grouped bars of GFLOP/s, one group per shape and one bar per engine, as PNG or SVG. */
final class Chart {
    private Chart() {
    }

    /**
     * Checks that {@code path} names a PNG or SVG file in an existing directory.
     *
     * @throws UsageException if it does not
     */
    static void checkPath(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".png") && !name.endsWith(".svg")) {
            throw new UsageException("--chart must end in .png or .svg: " + path);
        }
        Path dir = path.toAbsolutePath().getParent();
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new UsageException("--chart directory does not exist: " + dir);
        }
    }

    /**
     * Draws {@code results} to {@code path}; the format follows the extension ({@code .png} or {@code .svg}).
     *
     * @throws UsageException for another extension
     */
    static void write(Path path, List<Measurement> results, String title) throws IOException {
        checkPath(path);
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        CategoryChart chart = build(results, title);
        String base = path.toString().substring(0, path.toString().length() - 4);
        if (name.endsWith(".png")) {
            BitmapEncoder.saveBitmapWithDPI(chart, base, BitmapEncoder.BitmapFormat.PNG, 110);
        } else {
            VectorGraphicsEncoder.saveVectorGraphic(chart, base, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        }
    }

    /** The chart: one category per shape, one series per engine (or peer), GFLOP/s on a log axis. */
    static CategoryChart build(List<Measurement> results, String title) {
        System.setProperty("java.awt.headless", "true");
        Set<String> shapes = new LinkedHashSet<>(), engines = new LinkedHashSet<>();
        for (Measurement m : results) {
            shapes.add(m.shape());
            engines.add(m.engine());
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(900, 120 * shapes.size() * 2)).height(560)
                .title(title).xAxisTitle("shape").yAxisTitle("GFLOP/s (log scale)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisLogarithmic(true);
        // a bar chart on a log axis needs explicit bounds (xchart would start the bars at 0): whole decades
        double lo = results.stream().mapToDouble(Measurement::gflops).filter(v -> v > 0).min().orElse(1);
        double hi = results.stream().mapToDouble(Measurement::gflops).filter(v -> v > 0).max().orElse(10);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lo))));
        chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(hi * 1.01))));
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        List<String> xs = new ArrayList<>(shapes);
        for (String engine : engines) {
            List<Double> ys = new ArrayList<>();
            for (String shape : xs) {
                ys.add(results.stream().filter(m -> m.engine().equals(engine) && m.shape().equals(shape))
                        .map(Measurement::gflops).filter(Double::isFinite).findFirst().orElse(null));
            }
            chart.addSeries(engine, xs, ys);
        }
        return chart;
    }
}
