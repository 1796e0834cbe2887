package io.github.conv4j.spi;

import java.util.Objects;

/**
 * Whether an engine can run in this JVM, and why not when it cannot.
 *
 * @param available true when the engine can plan convolutions
 * @param reason why it is unavailable, with a fix hint; a short description of what it runs on otherwise
 */
public record Availability(boolean available, String reason) {

    public Availability {
        Objects.requireNonNull(reason, "reason");
    }

    /** The engine can run; {@code detail} says on what (for example a native version). */
    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    /** The engine cannot run, for {@code reason}, which should say how to fix it. */
    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
