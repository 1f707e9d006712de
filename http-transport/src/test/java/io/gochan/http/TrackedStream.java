package io.gochan.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/** A request body stream that records whether it was closed (the tests of rules E17, E18 and E20). */
final class TrackedStream extends ByteArrayInputStream {
    final AtomicBoolean closed = new AtomicBoolean();

    TrackedStream(byte[] bytes) {
        super(bytes);
    }

    @Override
    public void close() throws IOException {
        closed.set(true);
        super.close();
    }
}
