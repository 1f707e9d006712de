package io.gochan.http.internal.codec;

import io.gochan.http.Headers;

/** A parsed status line and header block. */
public record ResponseHead(String version, int status, String reason, Headers headers) {
    /** HTTP/1.0 (keep-alive only if asked for). */
    public boolean isHttp10() {
        return version.equals("HTTP/1.0");
    }
}
