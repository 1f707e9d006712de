package io.gochan.http.internal.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Coverage-guided fuzz tests (Jazzer) of the response codec: status line and headers
 * ({@link ResponseHeadReader} over a {@link ConnInput}), framing ({@link BodyFraming}), and the body
 * streams ({@link ChunkedInputStream} and the others), for a whole keep-alive connection's worth of
 * responses. See {@code docs/fuzzing-and-faults.md}.
 *
 * <p>The contract under test: for any bytes, the codec either parses or throws
 * {@link HttpProtocolException}. Anything else (a {@code RuntimeException}, an {@code Error}, another
 * {@code IOException}, an endless loop) is a finding. Beyond "does not crash", each input is parsed
 * twice with the same limits, once from one buffer and once trickled in reads of 1 to 5 bytes with
 * the body read in odd sizes, and the two outcomes must be identical, byte offsets included: the
 * parser must not depend on how TCP split the stream. A third pass with tight limits exercises
 * every limit check.
 *
 * <p>In a plain {@code mvn verify} each method replays its committed corpus
 * ({@code src/test/resources/io/gochan/http/internal/codec/ResponseParserFuzzTestInputs/<method>/})
 * as a regression test; {@code http-transport/fuzz.sh} fuzzes one method for a given time.
 */
class ResponseParserFuzzTest {
    /** Small limits, so short inputs reach every limit check. */
    static final HttpLimits TIGHT = new HttpLimits(64, 256, 4, 32, 64);
    /** At most this many responses are parsed from one input (keep-alive pipelining). */
    static final int MAX_RESPONSES = 8;

    /** Head, framing and body of every response in the input, as a client connection would read them. */
    @FuzzTest(maxDuration = "30s")
    void responses(byte[] input) throws IOException {
        String whole = parseConnection(new ByteArrayInputStream(input), HttpLimits.DEFAULTS, false);
        String trickled = parseConnection(new TrickleInputStream(input), HttpLimits.DEFAULTS, true);
        if (!whole.equals(trickled)) {
            throw new AssertionError("outcome depends on how the input was split:\nwhole:    " + whole
                    + "\ntrickled: " + trickled);
        }
        parseConnection(new TrickleInputStream(input), TIGHT, true);
    }

    /** The chunked decoder alone: the input is the body after a {@code Transfer-Encoding: chunked} head. */
    @FuzzTest(maxDuration = "30s")
    void chunkedBody(byte[] input) throws IOException {
        String whole = decodeChunked(new ByteArrayInputStream(input), HttpLimits.DEFAULTS, false);
        String trickled = decodeChunked(new TrickleInputStream(input), HttpLimits.DEFAULTS, true);
        if (!whole.equals(trickled)) {
            throw new AssertionError("outcome depends on how the input was split:\nwhole:    " + whole
                    + "\ntrickled: " + trickled);
        }
        decodeChunked(new TrickleInputStream(input), TIGHT, true);
    }

    /**
     * Reads responses as the read loop does (1xx heads checked and skipped, every third request a HEAD) until EOF,
     * an until-close body, a protocol error, or {@link #MAX_RESPONSES}; returns a transcript.
     * Throws anything but {@link HttpProtocolException}.
     */
    static String parseConnection(InputStream raw, HttpLimits limits, boolean oddReads) throws IOException {
        ConnInput in = new ConnInput(raw);
        StringBuilder out = new StringBuilder();
        try {
            for (int i = 0; i < MAX_RESPONSES; i++) {
                ResponseHead head = ResponseHeadReader.read(in, limits);
                if (head == null) {
                    return out.append("eof@").append(in.bytesRead()).toString();
                }
                checkHead(head);
                out.append(head.version()).append(' ').append(head.status()).append(' ').append(head.reason())
                        .append(' ').append(head.headers());
                String method = i % 3 == 2 ? "HEAD" : "GET";
                if (head.status() < 200 && head.status() != 101) {
                    BodyFraming.of(method, head); // its framing fields checked, as the read loop checks them (P79)
                    out.append(" [1xx]\n");
                    continue;
                }
                BodyFraming framing = BodyFraming.of(method, head);
                FramedBody body = FramedBody.open(in, framing, limits);
                byte[] bytes = readToEnd(body.stream(), oddReads);
                checkBody(framing, bytes, body);
                out.append(" ").append(framing.kind()).append(" body=").append(bytes.length).append('#')
                        .append(Arrays.hashCode(bytes)).append(" trailers=").append(body.trailers().get())
                        .append(" @").append(in.bytesRead()).append('\n');
                if (framing.kind() == BodyFraming.Kind.UNTIL_CLOSE) {
                    return out.append("closed").toString();
                }
            }
            return out.append("max").toString();
        } catch (HttpProtocolException e) {
            checkException(e);
            return out.append("error ").append(e.reason()).append(": ").append(splitIndependent(e)).toString();
        }
    }

    /**
     * The message without the quoted sample of the input: a sample shows what had arrived when the
     * error was seen (e.g. the first bytes of a response that cannot be HTTP), which depends on how
     * the input was split; the reason and the rest of the message must not.
     */
    static String splitIndependent(HttpProtocolException e) {
        return e.getMessage().replaceAll("(?s)'.*'", "'...'"); // (?s): a sample may hold a line terminator
    }

    static String decodeChunked(InputStream raw, HttpLimits limits, boolean oddReads) throws IOException {
        ConnInput in = new ConnInput(raw);
        ChunkedInputStream chunked = new ChunkedInputStream(in, limits);
        try {
            byte[] bytes = readToEnd(chunked, oddReads);
            if (chunked.read() != -1) {
                throw new AssertionError("chunked body readable after its end");
            }
            return "body=" + bytes.length + "#" + Arrays.hashCode(bytes) + " trailers=" + chunked.trailers()
                    + " @" + in.bytesRead();
        } catch (HttpProtocolException e) {
            checkException(e);
            return "error " + e.reason() + ": " + splitIndependent(e);
        }
    }

    /** Reads a body to its EOF, in odd sizes if asked (1 byte, small, and one larger than ConnInput's buffer). */
    static byte[] readToEnd(InputStream body, boolean oddReads) throws IOException {
        if (!oddReads) {
            return body.readAllBytes();
        }
        int[] sizes = {1, 3, 17, 40_000, 2};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[40_000];
        for (int i = 0; ; i++) {
            int size = sizes[i % sizes.length];
            int n = size == 1 ? singleByte(body, buf) : body.read(buf, 0, size);
            if (n < 0) {
                return out.toByteArray();
            }
            if (n == 0) {
                throw new AssertionError("body read returned 0 bytes for a read of " + size);
            }
            out.write(buf, 0, n);
        }
    }

    private static int singleByte(InputStream body, byte[] buf) throws IOException {
        int b = body.read();
        if (b < 0) {
            return -1;
        }
        buf[0] = (byte) b;
        return 1;
    }

    static void checkHead(ResponseHead head) {
        if (head.status() < 100 || head.status() > 999) {
            throw new AssertionError("status out of range: " + head.status());
        }
        if (!head.version().equals("HTTP/1.1") && !head.version().equals("HTTP/1.0")) {
            throw new AssertionError("version accepted: " + head.version());
        }
        Headers h = head.headers();
        for (int i = 0; i < h.size(); i++) {
            String v = h.value(i);
            if (v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0 || v.indexOf(0) >= 0 || !v.equals(v.strip())) {
                throw new AssertionError("header value not clean: '" + v + "'");
            }
        }
    }

    static void checkBody(BodyFraming framing, byte[] bytes, FramedBody body) throws IOException {
        switch (framing.kind()) {
            case NONE -> {
                if (bytes.length != 0) {
                    throw new AssertionError("body without framing has " + bytes.length + " bytes");
                }
            }
            case FIXED -> {
                if (bytes.length != framing.length()) {
                    throw new AssertionError("Content-Length " + framing.length() + " but body of " + bytes.length);
                }
            }
            case CHUNKED, UNTIL_CLOSE -> { }
        }
        if (body.stream().read() != -1 || body.stream().read(new byte[8], 0, 8) != -1) {
            throw new AssertionError("body readable after its end (" + framing + ")");
        }
        if (framing.kind() != BodyFraming.Kind.CHUNKED && body.trailers().get().size() != 0) {
            throw new AssertionError("trailers without chunked framing");
        }
    }

    static void checkException(HttpProtocolException e) {
        if (e.reason() == null || e.getMessage() == null || e.getMessage().isEmpty()) {
            throw new AssertionError("protocol exception without a reason or message", e);
        }
    }

    /** Delivers the bytes in reads of 1 to 5 bytes (a fixed pattern), as a slow TCP peer might. */
    static final class TrickleInputStream extends InputStream {
        private final byte[] data;
        private int pos;
        private int reads;

        TrickleInputStream(byte[] data) {
            this.data = data;
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (pos >= data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, 1 + (reads++ * 7 + 3) % 5), data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
