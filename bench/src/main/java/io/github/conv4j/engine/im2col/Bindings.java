package io.github.conv4j.engine.im2col;

/** The im2col engine of a benchmark's {@code binding} parameter, checked to be available. */
final class Bindings {
    private Bindings() {
    }

    /**
     * {@code im2col-ffm} for {@code ffm}, {@code im2col-jni} for {@code jni}.
     *
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException if the engine cannot run here
     */
    static Im2colEngine engine(String binding) {
        Im2colEngine engine = switch (binding) {
            case "ffm" -> new Im2colFfmEngine();
            case "jni" -> new Im2colJniEngine();
            default -> throw new IllegalArgumentException("unknown binding: " + binding + " (ffm, jni)");
        };
        if (!engine.probe().available()) {
            throw new IllegalStateException(engine.name() + " is unavailable: " + engine.probe().reason());
        }
        return engine;
    }
}
