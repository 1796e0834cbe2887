package io.github.conv4j.io;

import java.io.IOException;

/** A file that is not a {@code .npy} file conv4j can read: bad magic, header, dtype, order or length. */
public final class NpyFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A format error; {@code message} names the file and what is wrong with it. */
    public NpyFormatException(String message) {
        super(message);
    }
}
