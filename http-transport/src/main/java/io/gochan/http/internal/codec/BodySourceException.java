package io.gochan.http.internal.codec;

import io.gochan.http.internal.ThrowableText;
import java.io.IOException;

/**
 * The request body's own source failed while the transport read or closed it (an {@link IOException}, an
 * unchecked exception or an {@link Error} from the caller's stream: E6, E48): the caller's failure, not the
 * connection's. The
 * transport never retries it and reports {@link #sourceFailure()} itself to the caller.
 */
public final class BodySourceException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps what the source threw. Its text is the caller's code too, and may throw: made on the write loop, inside
     * its handling of this very failure, the message names the exception's class instead (E48), never throwing in its
     * place.
     *
     * @param failure the source's exception
     */
    public BodySourceException(Throwable failure) {
        super("request body source failed: " + ThrowableText.of(failure), failure);
    }

    /** @return what the source threw, to be thrown to the caller as it is */
    public Throwable sourceFailure() {
        return getCause();
    }
}
