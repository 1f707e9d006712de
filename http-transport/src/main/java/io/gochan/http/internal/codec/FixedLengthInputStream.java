package io.gochan.http.internal.codec;

import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.internal.BodyLength;

import java.io.IOException;

/**
 * Exactly {@code length} bytes; EOF before that is an error, never a silently short body. The read that completes
 * the length is the body's end (E49): {@link #framingEnded()} says so without a further read.
 */
final class FixedLengthInputStream extends BulkInputStream implements FramingEnd, BodyLength {
    private final ConnInput in;
    private long remaining;

    FixedLengthInputStream(ConnInput in, long length) {
        this.in = in;
        this.remaining = length;
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new HttpProtocolException(Reason.PREMATURE_EOF,
                    "connection closed with " + remaining + " bytes of the response body still to come");
        }
        remaining -= n;
        return n;
    }

    @Override
    public boolean framingEnded() {
        return remaining == 0;
    }

    /** The bytes of the declared length not read yet (P95): asked by the thread that reads, between its reads. */
    @Override
    public long remainingLength() {
        return remaining;
    }

    @Override
    public int available() {
        return (int) Math.min(remaining, in.buffered());
    }
}
