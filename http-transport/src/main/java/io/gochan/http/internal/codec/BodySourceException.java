package io.gochan.http.internal.codec;

import java.io.IOException;

/**
 * The request body's own source failed while the transport read it (an {@link IOException} or an
 * unchecked exception from the caller's stream): the caller's failure, not the connection's. The
 * transport never retries it and reports {@link #sourceFailure()} itself to the caller.
 */
public final class BodySourceException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps what the source threw.
     *
     * @param failure the source's exception
     */
    public BodySourceException(Throwable failure) {
        super("request body source failed: " + failure, failure);
    }

    /** @return what the source threw, to be thrown to the caller as it is */
    public Throwable sourceFailure() {
        return getCause();
    }
}
