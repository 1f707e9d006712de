package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The record parser under the TLS socket (P33): whatever sizes the reads come in, a stream that ends
 * between records ended cleanly, and one cut anywhere inside a record or its header did not.
 */
class TlsRecordWatchTest {
    /** Records of these body lengths (empty, tiny, around 256, the TLS maximum), each with its 5-byte header. */
    private static byte[] records(int... lengths) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int n : lengths) {
            b.writeBytes(new byte[] {23, 3, 3, (byte) (n >>> 8), (byte) n});
            byte[] body = new byte[n];
            Arrays.fill(body, (byte) 0x5a);
            b.writeBytes(body);
        }
        return b.toByteArray();
    }

    /** Serves {@code data} in reads of at most {@code step} bytes, then EOF. */
    private static InputStream inSteps(byte[] data, int step) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < data.length ? data[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos == data.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, step), data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private static boolean endedInside(byte[] data, int step) throws IOException {
        TlsRecordWatch.Watched w = new TlsRecordWatch.Watched(inSteps(data, step));
        byte[] buf = new byte[1000];
        while (w.read(buf, 0, buf.length) >= 0) {
            // the TLS layer's reads
        }
        return w.endedInside();
    }

    @Test
    void P33_anEndBetweenRecordsIsCleanAnEndInsideOneIsNot() throws IOException {
        int[] lengths = {0, 1, 255, 256, 300, 16384 + 256};
        byte[] all = records(lengths);
        java.util.Set<Integer> clean = new java.util.HashSet<>(java.util.List.of(0));
        int at = 0;
        for (int n : lengths) {
            at += 5 + n;
            clean.add(at);
        }
        for (int step : new int[] {1, 3, 5, 1000}) {
            for (int cut = 0; cut <= all.length; cut++) {
                assertThat(endedInside(Arrays.copyOf(all, cut), step))
                        .as("cut after %d bytes, reads of %d", cut, step)
                        .isEqualTo(!clean.contains(cut));
            }
        }
    }
}
