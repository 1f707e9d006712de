package io.gochan.http.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link GzipDecodingStream} on its own (P30): whatever the bytes, decoding ends with the exact data or
 * an {@link HttpProtocolException} {@code BAD_CONTENT_ENCODING}, never another exception, never data
 * with a trailing part silently dropped, and the outcome does not depend on how the source splits its
 * reads.
 */
class GzipDecodingStreamTest {
    private static final String TEXT = "the quick brown fox jumps over the lazy dog; ".repeat(40);

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }
        return b.toByteArray();
    }

    /** Reads of 1 to 3 bytes, as a connection may deliver them. */
    private static InputStream trickled(byte[] bytes) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < bytes.length ? bytes[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos == bytes.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, 1 + pos % 3), bytes.length - pos);
                System.arraycopy(bytes, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    /** "ok:" and the decoded text, or "bad:" and the message: anything else fails the test. */
    private static String outcome(InputStream source) throws IOException {
        GzipDecodingStream in = new GzipDecodingStream(source);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[97];
        try {
            for (int n; (n = in.read(buf, 0, buf.length)) >= 0; ) {
                out.write(buf, 0, n);
            }
            assertThat(in.read(buf, 0, 1)).as("EOF again").isEqualTo(-1);
            return "ok:" + out.toString(StandardCharsets.ISO_8859_1);
        } catch (HttpProtocolException e) {
            assertThat(e.reason()).isEqualTo(Reason.BAD_CONTENT_ENCODING);
            assertThat(e.getMessage()).contains("gzip");
            return "bad:" + e.getMessage();
        }
    }

    @Test
    void P30_validMembersDecodeToTheirConcatenationAndAnEmptyBodyToNothing() throws IOException {
        byte[] one = gzip(TEXT);
        byte[] two = Arrays.copyOf(one, one.length * 2);
        System.arraycopy(one, 0, two, one.length, one.length);
        assertThat(outcome(new ByteArrayInputStream(one))).isEqualTo("ok:" + TEXT);
        assertThat(outcome(trickled(two))).isEqualTo("ok:" + TEXT + TEXT);
        assertThat(outcome(new ByteArrayInputStream(new byte[0]))).isEqualTo("ok:");
    }

    @Test
    void P30_everyTruncationAndEveryAppendedByteIsAnError() throws IOException {
        byte[] valid = gzip(TEXT);
        for (int length = 1; length < valid.length; length++) {
            byte[] cut = Arrays.copyOf(valid, length);
            assertThat(outcome(new ByteArrayInputStream(cut))).as("cut at %d", length).startsWith("bad:").contains("cut short");
            assertThat(outcome(trickled(cut))).as("cut at %d, trickled", length).startsWith("bad:");
        }
        for (int b = 0; b < 256; b++) {
            byte[] longer = Arrays.copyOf(valid, valid.length + 1);
            longer[valid.length] = (byte) b;
            assertThat(outcome(new ByteArrayInputStream(longer))).as("appended 0x%x", b).startsWith("bad:");
        }
    }

    @Test
    void P30_randomCorruptionIsAnErrorOrTheExactDataNeverAnotherException() throws IOException {
        byte[] valid = gzip(TEXT);
        Random random = new Random(20261202);
        for (int i = 0; i < 3000; i++) {
            byte[] bytes = valid.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                bytes[random.nextInt(bytes.length)] ^= (byte) (1 + random.nextInt(255));
            }
            String whole = outcome(new ByteArrayInputStream(bytes));
            String split = outcome(trickled(bytes));
            assertThat(split).as("mutation %d: same outcome however the reads are split", i).isEqualTo(whole);
            if (whole.startsWith("ok:")) {
                // Only header bytes that no check covers (time, OS, flags unused) may change without error.
                assertThat(whole).as("mutation %d decoded", i).isEqualTo("ok:" + TEXT);
            }
        }
    }
}
