package io.github.conv4j.cli;

/**
 * One engine on one shape: times of {@code forward} on a prepared plan, and how far its output is from the
 * reference.
 *
 * @param shape benchmark shape name
 * @param engine engine name (or a peer's name, for merged results)
 * @param dtype float32, float64, bfloat16, int8 or uint8 (a quantized run's activation type)
 * @param threads threads the native engines were given
 * @param medianUs median time of one forward, microseconds
 * @param minUs fastest time of one forward, microseconds
 * @param gflops floating-point operations per second at the median, in units of 10^9
 * @param speedupVsNaive naive's median over this median (NaN when naive did not run)
 * @param maxAbsErr largest absolute difference from naive, over the whole batch or, on shapes where naive runs
 *     on one batch element, over batch element 0; NaN when an output there is NaN
 * @param planUs time to create the plan, microseconds
 * @param estimated true when timed on a slice of the batch and scaled
 * @param ok false when the output is wrong: an element beyond the tolerance of naive's, or NaN or infinite
 * @param implementation what computed inside the engine ({@code ConvPlan.implementation()}, for example oneDNN's
 *     kernel), empty when it says nothing or for a peer's result
 */
public record Measurement(String shape, String engine, String dtype, int threads, double medianUs, double minUs,
        double gflops, double speedupVsNaive, double maxAbsErr, double planUs, boolean estimated, boolean ok,
        String implementation) {

    /** The same measurement with the speed-up over naive filled in. */
    Measurement withSpeedup(double naiveMedianUs) {
        return new Measurement(shape, engine, dtype, threads, medianUs, minUs, gflops, naiveMedianUs / medianUs,
                maxAbsErr, planUs, estimated, ok, implementation);
    }
}
