package io.gochan.http.testing;

import io.gochan.http.RequestBody;

import java.io.InputStream;

/** A request body that never ends: zeros as fast as the socket takes them, declared 1 GiB long. */
public final class EndlessBody {
    private EndlessBody() {
    }

    /** {@return an upload of zeros that outlasts any test: its write blocks once the server stops reading} */
    public static RequestBody zeros() {
        return RequestBody.ofStream(() -> new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len; // b's bytes as they are: what is sent does not matter, only that it never ends
            }
        }, 1L << 30, "application/octet-stream");
    }
}
