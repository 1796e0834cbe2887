package io.github.conv4j;

/** The Vector API engine against hand-computed answers, the golden cases and naive (more in engine/vector). */
class JavaVectorEngineTest extends EngineContract {
    @Override
    String engine() {
        return "java-vector";
    }

    @Override
    int randomSpecs() {
        return 200;
    }
}
