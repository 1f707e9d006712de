package io.gochan.http.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The connection input's look for bytes after a response (P37), where the race with the read loop that an end-to-end
 * test cannot control is taken out: the stream below answers each read with all it holds, up to the buffer, as a
 * socket whose bytes have all arrived does.
 */
class ConnInputTest {
    private static final int BUFFER = 16 * 1024;

    /**
     * P37: a response whose head and body end exactly where a fill filled the whole 16 KiB buffer, followed by more
     * bytes in the socket: the look after the body sees them. Before, it trusted that the last fill had taken all
     * the socket held, and answered 0, so the connection went back to the pool with a forged response waiting.
     */
    @Test
    void P37_bytesAfterAResponseThatEndsExactlyAtAFullBufferAreSeen() throws Exception {
        String head = "HTTP/1.1 200 OK\r\nContent-Length: ";
        int bodyLength = BUFFER - head.length() - "16000\r\n\r\n".length();
        String response = head + bodyLength + "\r\n\r\n" + "x".repeat(bodyLength);
        assertThat(response).hasSize(BUFFER);
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged";
        ConnInput in = new ConnInput(new ByteArrayInputStream((response + forged).getBytes(StandardCharsets.ISO_8859_1)));

        ResponseHead h = ResponseHeadReader.read(in, HttpLimits.DEFAULTS);
        assertThat(h.headers().get("Content-Length")).isEqualTo(String.valueOf(bodyLength));
        byte[] body = new byte[bodyLength];
        in.readFully(body);
        assertThat(in.buffered()).as("the body ended exactly at the end of the filled buffer").isZero();

        assertThat(in.pendingWithoutBlocking()).as("the bytes still in the socket").isEqualTo(forged.length());
        assertThat(in.bufferedAscii(forged.length())).isEqualTo(forged);
    }

    /** P37: a response that ends inside a fill that did not fill the buffer costs no look at the socket. */
    @Test
    void P37_afterAFillThatTookLessThanABufferTheBufferAloneIsLookedAt() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        ConnInput in = new ConnInput(new ByteArrayInputStream(response.getBytes(StandardCharsets.ISO_8859_1)) {
            @Override
            public synchronized int available() {
                throw new AssertionError("the socket was asked although the last fill did not fill the buffer");
            }
        });
        ResponseHeadReader.read(in, HttpLimits.DEFAULTS);
        in.readFully(new byte[2]);
        assertThat(in.pendingWithoutBlocking()).isZero();
    }
}
