package io.gochan.http.testing;

import java.io.IOException;
import java.io.InputStream;

/** Reading HTTP/1.1 request heads on a raw server's side, for tests that script a server by hand. */
public final class Heads {
    private Heads() {}

    /** One head up to and including its blank line, read byte by byte; null at the end of the stream before one. */
    public static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        for (int state = 0, ch; state < 4; ) {
            if ((ch = in.read()) < 0) {
                return null;
            }
            head.append((char) ch);
            state = (ch == '\r' && state % 2 == 0) || (ch == '\n' && state % 2 == 1) ? state + 1 : ch == '\r' ? 1 : 0;
        }
        return head.toString();
    }

    /** The head's Content-Length (its name in any case), or {@code absent} if it has none. */
    public static int contentLength(String head, int absent) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return absent;
    }
}
