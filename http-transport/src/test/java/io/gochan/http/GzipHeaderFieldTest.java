package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * P83: the file name and the comment of a gzip member header, in a body the transport un-gzips (P25), are held to
 * Go's bound: 511 bytes and their NUL. A longer one is a bad header ({@code BAD_CONTENT_ENCODING}), as Go's
 * {@code compress/gzip} reader's {@code ErrHeader}; before, they were skipped however long, so a header whose name
 * never ended kept one read of the body consuming whatever the server sent, returning nothing and failing nothing.
 */
@NoGoroutineLeaks
class GzipHeaderFieldTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    /** FNAME, FCOMMENT (RFC 1952 §2.3.1). */
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static byte[] gzip(String text) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write(text.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return b.toByteArray();
    }

    /** {@code member} (a gzip member without optional fields) with {@code field} and its NUL inserted as {@code flag}. */
    private static byte[] withHeaderString(byte[] member, int flag, byte[] field) {
        byte[] out = new byte[member.length + field.length + 1];
        System.arraycopy(member, 0, out, 0, 10);
        out[3] |= (byte) flag;
        System.arraycopy(field, 0, out, 10, field.length);
        out[10 + field.length] = 0;
        System.arraycopy(member, 10, out, 11 + field.length, member.length - 10);
        return out;
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /**
     * A chunked gzip body whose member header announces a file name (or a comment) that never ends: 1 MiB of it is
     * sent, and the server then waits without closing. The first read of the body fails with
     * {@code BAD_CONTENT_ENCODING} naming the field, once 512 bytes of it came (as Go); the connection is closed by the
     * client, the request reports that failure in its one {@code done()}, and the next request is served. Before, the
     * read took in the whole MiB and waited for more, until the request's timeout.
     */
    @ParameterizedTest(name = "flag {0}")
    @ValueSource(ints = {FNAME, FCOMMENT})
    void P83_aGzipHeaderStringThatNeverEndsFailsTheReadAtGosBound(int flag) throws Exception {
        byte[] header = {0x1f, (byte) 0x8b, 8, (byte) flag, 0, 0, 0, 0, 0, 3};
        byte[] endless = new byte[16 * 1024];
        Arrays.fill(endless, (byte) 'a');
        CountDownLatch clientClosed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     if (c.index == 0) {
                         c.readRequest();
                         c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
                         c.write(Integer.toHexString(header.length) + "\r\n" + latin1(header) + "\r\n");
                         for (int i = 0; i < 64; i++) {
                             c.write(Integer.toHexString(endless.length) + "\r\n" + latin1(endless) + "\r\n");
                         }
                         while (c.in.read() >= 0) {
                             // wait, never ending the body, until the client closes
                         }
                     } else {
                         while (c.readRequest() != null) {
                             c.write(OK);
                         }
                     }
                 } catch (SocketException e) {
                     // reset by the client: closed as well
                 } finally {
                     if (c.index == 0) {
                         clientClosed.countDown();
                     }
                 }
             });
             Transport t = Transport.builder().listener(dones).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            HttpProtocolException[] failure = new HttpProtocolException[1];
            try (HttpResponse r = t.roundTrip(req)) {
                InputStream body = r.body().stream();
                assertThatThrownBy(() -> body.read(new byte[100]))
                        .isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                            assertThat(e.reason()).isEqualTo(Reason.BAD_CONTENT_ENCODING);
                            failure[0] = e;
                        })
                        .hasMessageContaining(flag == FNAME ? "file name" : "comment")
                        .hasMessageContaining("511 bytes");
            }
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection").isTrue();
            Leaks.awaitTrue(() -> dones.done.containsKey(req), "done()");
            List<Throwable> reported = dones.done.get(req);
            assertThat(reported).hasSize(1);
            assertThat(reported.get(0)).isSameAs(failure[0]);
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(2);
        }
    }

    /**
     * Go's bound exactly: a file name and a comment of 511 bytes each (with their NULs, 512) are read and the body
     * decoded, its connection reused; a name of 512 bytes fails the read with {@code BAD_CONTENT_ENCODING}, and its
     * connection, whose framing the decoder had read to its end with its first read of the body (the whole body was
     * there), is reused all the same (E49, as any bad gzip found once its framing ended).
     */
    @Test
    void P83_aHeaderStringOf511BytesIsReadAndOneOf512IsABadHeader() throws Exception {
        byte[] member = gzip("hello, gzip header");
        byte[] name511 = "n".repeat(511).getBytes(StandardCharsets.ISO_8859_1);
        byte[] atBound = withHeaderString(withHeaderString(member, FCOMMENT, name511), FNAME, name511);
        byte[] over = withHeaderString(member, FNAME, "n".repeat(512).getBytes(StandardCharsets.ISO_8859_1));
        String[] answers = {
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + atBound.length + "\r\n\r\n" + latin1(atBound),
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + over.length + "\r\n\r\n" + latin1(over),
            OK};
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     while (c.readRequest() != null) {
                         c.write(answers[Math.min(served.getAndIncrement(), answers.length - 1)]);
                     }
                 } catch (SocketException e) {
                     // reset by the client, which closed the bad header's connection
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().string()).isEqualTo("hello, gzip header");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build())) {
                assertThatThrownBy(() -> r.body().bytes())
                        .isInstanceOfSatisfying(HttpProtocolException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.BAD_CONTENT_ENCODING))
                        .hasMessageContaining("file name");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("one connection throughout").isEqualTo(1);
        }
    }
}
