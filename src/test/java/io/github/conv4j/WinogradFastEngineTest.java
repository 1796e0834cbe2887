package io.github.conv4j;

/**
 * The Winograd engine at {@link Accuracy#FAST}, where it computes F(4x4,3x3): every test of
 * {@link WinogradEngineTest} and of the engine contract, with specs asking for that level and held to its bound.
 */
class WinogradFastEngineTest extends WinogradEngineTest {
    @Override
    Accuracy accuracy() {
        return Accuracy.FAST;
    }
}
