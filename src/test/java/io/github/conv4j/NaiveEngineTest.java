package io.github.conv4j;

/** The reference engine against hand-computed answers and the golden cases (and itself, trivially). */
class NaiveEngineTest extends EngineContract {
    @Override
    String engine() {
        return Conv2d.NAIVE;
    }
}
