/**
 * 2-D convolution through interchangeable engines. The API, the engine SPI and the NPY reader are exported; the
 * engines themselves stay inside and are offered as services, so {@code auto} and {@code Conv2d.engine} find them
 * on the module path as they do on the class path.
 *
 * <p>Every dependency an engine needs is optional ({@code requires static}): a missing JavaCPP preset, natives
 * jar or {@code jdk.incubator.vector} makes that engine report itself unavailable instead of stopping the module
 * graph from resolving. Optional modules are resolved only when asked for, so an application names them, with
 * native access for this module and JavaCPP's: {@code native-config/jvm-modules.args} has the flags.
 */
module io.github.conv4j {
    // the engines: each one checks at run time that what it needs was resolved
    requires static jdk.incubator.vector;
    requires static org.bytedeco.javacpp;
    requires static org.bytedeco.openblas;
    requires static org.bytedeco.dnnl;

    exports io.github.conv4j;
    exports io.github.conv4j.spi;
    exports io.github.conv4j.io;

    uses io.github.conv4j.spi.ConvEngine;

    provides io.github.conv4j.spi.ConvEngine with
            io.github.conv4j.engine.naive.NaiveEngine,
            io.github.conv4j.engine.onednn.OneDnnEngine,
            io.github.conv4j.engine.im2col.Im2colFfmEngine,
            io.github.conv4j.engine.im2col.Im2colJniEngine,
            io.github.conv4j.engine.vector.JavaVectorEngine,
            io.github.conv4j.engine.winograd.WinogradEngine;
}
