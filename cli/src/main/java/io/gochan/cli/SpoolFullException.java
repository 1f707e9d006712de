package io.gochan.cli;

import java.io.IOException;

/**
 * A body that would not fit in what a {@link Spool} may hold while it waits for its turn to be printed (R63): the
 * fetch of that URL fails with this, its spool deleted, so a server sending without end cannot fill the disk.
 */
final class SpoolFullException extends IOException {
    private static final long serialVersionUID = 1L;

    SpoolFullException(String message) {
        super(message);
    }
}
