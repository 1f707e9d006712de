package io.gochan.http.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The connection input's look for bytes after a response (P37), where the race with the read loop that an end-to-end
 * test cannot control is taken out: the stream below answers each read with all it holds, up to the buffer, as a
 * socket whose bytes have all arrived does. And its reads of a stream that breaks {@code InputStream.read}'s contract
 * (P80): 0 bytes for a non-empty range, or a count it cannot have read.
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

    private static final String RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    /** A stream over {@code bytes} whose reads answer 0 bytes {@code zeros} times before each read that gives bytes. */
    private static InputStream zerosBeforeEachRead(String bytes, int zeros) {
        return new FilterInputStream(new ByteArrayInputStream(bytes.getBytes(StandardCharsets.ISO_8859_1))) {
            private int given;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len > 0 && given < zeros) {
                    given++;
                    return 0;
                }
                given = 0;
                return super.read(b, off, len);
            }
        };
    }

    /**
     * P80: 99 reads in a row that return 0 bytes (as many as Go's bufio tolerates before io.ErrNoProgress), before
     * every read that gives bytes, one byte at a time: the head and the body are read whole, and the stream's real
     * end is still the end. Before, the first 0 was taken for the end of the stream: the head reader found none
     * (null: "the server closed the connection").
     */
    @Test
    void P80_readsThatReturnZeroBytesAreAskedAgainNotTakenForTheEnd() throws Exception {
        InputStream oneByteAtATime = new FilterInputStream(zerosBeforeEachRead(RESPONSE, 99)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        ConnInput in = new ConnInput(oneByteAtATime);
        ResponseHead h = ResponseHeadReader.read(in, HttpLimits.DEFAULTS);
        assertThat(h).as("a head, not the stream's end").isNotNull();
        assertThat(h.status()).isEqualTo(200);
        byte[] body = new byte[5];
        in.readFully(body);
        assertThat(new String(body, StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        assertThat(in.peek()).as("the stream's real end").isEqualTo(-1);
    }

    /**
     * P80: a stream whose reads return 0 bytes for ever, and one that does so 100 times in a row before its bytes: the
     * read fails after the 100th, naming the stream and saying it made no progress. Before, the first 0 was the end:
     * peek answered -1, as for a connection the server had closed.
     */
    @Test
    void P80_aHundredReadsInARowThatReturnZeroBytesFailTheInput() {
        InputStream never = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return 0;
            }
        };
        assertThatThrownBy(() -> new ConnInput(never).peek())
                .isInstanceOf(StreamContractException.class)
                .hasMessageContaining("made no progress")
                .hasMessageContaining("100 times in a row");
        assertThatThrownBy(() -> ResponseHeadReader.read(new ConnInput(zerosBeforeEachRead(RESPONSE, 100)), HttpLimits.DEFAULTS))
                .isInstanceOf(StreamContractException.class)
                .hasMessageContaining("made no progress");
    }

    /**
     * P80: a count the stream cannot have read, more than asked or below -1, fails the read at once. Before, one more
     * than asked made the buffer's end lie past its bytes, and -2 was the end of the stream.
     */
    @Test
    void P80_aReadCountOutsideTheRangeFailsTheInput() {
        for (int bad : new int[] {-2, Integer.MIN_VALUE, 16 * 1024 + 1}) {
            InputStream lying = new InputStream() {
                @Override
                public int read() {
                    return 'H';
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return bad > 0 ? len + 1 : bad;
                }
            };
            assertThatThrownBy(() -> new ConnInput(lying).peek()).as("a read that returned %d", bad)
                    .isInstanceOf(StreamContractException.class)
                    .hasMessageContaining("from a read of at most");
        }
    }
}
