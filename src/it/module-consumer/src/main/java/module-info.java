/** The consumer as a named module: conv4j is read from the module path, its engines found as services. */
module conv4j.consumer {
    requires io.github.conv4j;
}
