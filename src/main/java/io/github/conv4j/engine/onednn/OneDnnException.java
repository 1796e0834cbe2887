package io.github.conv4j.engine.onednn;

/** A oneDNN C API call returned a status other than {@code dnnl_success}; the message names call and status. */
public final class OneDnnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    OneDnnException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The {@code dnnl_status_t} value the call returned. */
    public int status() {
        return status;
    }
}
