package io.github.conv4j.cli;

/** A mistake on the command line or in the files it names: exit status 2, one {@code error:} line. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
