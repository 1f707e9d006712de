package io.gochan.http.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The transport's allocation target: at most one allocation per response header beyond the response
 * objects themselves (a known name is a constant; the value is the one String). Measured as bytes
 * allocated by this thread for the extra headers of a larger head, which is exact per thread
 * (com.sun.management.ThreadMXBean), not a timing.
 */
class HeaderAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static byte[] head(int headers) {
        String[] names = {"Date", "Server", "Content-Type", "Cache-Control", "ETag", "Vary", "Age", "Via"};
        StringBuilder b = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < headers; i++) {
            b.append(names[i % names.length]).append(": value-").append((char) ('a' + i % 26)).append("\r\n");
        }
        return b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static long allocatedParsing(byte[] head, int rounds) throws Exception {
        HttpLimits limits = HttpLimits.DEFAULTS;
        ConnInput[] inputs = new ConnInput[rounds];
        for (int i = 0; i < rounds; i++) {
            inputs[i] = new ConnInput(new ByteArrayInputStream(head));
            inputs[i].peek(); // buffer filled outside the measured section
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (ConnInput in : inputs) {
            assertThat(ResponseHeadReader.read(in, limits)).isNotNull();
        }
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void eachExtraKnownHeaderCostsOneValueStringAndItsSlots() throws Exception {
        byte[] small = head(10);
        byte[] large = head(90);
        for (int i = 0; i < 200; i++) { // let the JIT settle so that the measured code is the steady state
            allocatedParsing(small, 20);
            allocatedParsing(large, 20);
        }
        int rounds = 100;
        long perExtraHeader = (allocatedParsing(large, rounds) - allocatedParsing(small, rounds)) / rounds / 80;
        // One 7-char Latin-1 String is 24 + 24 bytes; each field also takes two reference slots in the
        // parser's list, the builder's list and the final array (amortised growth included): ~60 bytes.
        // The previous parser (line, name and value as Strings, CR stripped by substring) cost 361.
        assertThat(perExtraHeader).isLessThanOrEqualTo(130);
    }

    @Test
    void knownNamesTakeTheirCanonicalSpellingOthersKeepTheServers() throws Exception {
        byte[] head = "HTTP/1.1 200 OK\r\ncontent-TYPE: text/plain\r\nx-Custom-thing:  v \r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        ResponseHead h = ResponseHeadReader.read(new ConnInput(new ByteArrayInputStream(head)), HttpLimits.DEFAULTS);
        assertThat(h.headers().names()).containsExactly("Content-Type", "x-Custom-thing");
        assertThat(h.headers().get("content-type")).isEqualTo("text/plain");
        assertThat(h.headers().get("X-CUSTOM-THING")).isEqualTo("v");
    }
}
