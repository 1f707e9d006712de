package io.gochan.http.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.HttpRequest;
import io.gochan.http.RequestBody;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * R92, E12: {@link RequestWriter#headSize} counts the caller's part of a head exactly as
 * {@link RequestWriter#writeHead} writes it, field for field, for every shape the transport writes (not forwarded:
 * direct, tunnelled, SOCKS5; forwarded to an HTTP proxy, with and without the proxy URI's credentials). The head
 * written, less the transport's own {@code Host} line, is the size counted: each request here sets its own
 * {@code User-Agent} (so that line is the caller's) and has no body (so no framing line is added).
 */
class RequestWriterHeadSizeTest {
    private static final String CALLERS = "Basic Y29ycDpwcm94eS1wdw==";
    private static final String PROXY_URIS = "Basic dXNlcjpwdw==";

    private static String written(HttpRequest req, boolean absoluteForm, String proxyAuthorization) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RequestWriter.writeHead(out, req, false, false, absoluteForm, proxyAuthorization);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** The bytes written of the caller's: all of the head but the transport's {@code Host} line. */
    private static long callersPartWritten(HttpRequest req, boolean absoluteForm, String proxyAuthorization)
            throws IOException {
        String head = written(req, absoluteForm, proxyAuthorization);
        int host = head.indexOf("\r\nHost: ") + 2;
        int hostEnd = head.indexOf("\r\n", host) + 2;
        return head.length() - (hostEnd - host);
    }

    /** A request with fields the writer replaces or drops: the caller's Host, a Trailer, a second User-Agent. */
    private static HttpRequest.Builder request(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).header("User-Agent", "probe/1").header("X-A", "1")
                .header("Host", "elsewhere.test").header("Trailer", "X-T").header("User-Agent", "second/2");
    }

    @Test
    void R92_headSizeIsTheCallersPartOfTheHeadAsWritten() throws Exception {
        HttpRequest withField = request("http://origin.test:8080/p?q=1").header("Proxy-Authorization", CALLERS).build();
        HttpRequest without = request("http://origin.test:8080/p?q=1").build();
        HttpRequest connect = request("http://proxy.test:3128").method("CONNECT", RequestBody.none())
                .header("Proxy-Authorization", CALLERS).build();
        for (HttpRequest req : List.of(withField, without, connect)) {
            // Not forwarded (direct, through a tunnel or SOCKS5). Before: every field of the caller's counted, the
            // Proxy-Authorization left out, the Host, Trailer and second User-Agent replaced or dropped included.
            assertThat(RequestWriter.headSize(req)).as("%s, not forwarded", req)
                    .isEqualTo(callersPartWritten(req, false, null));
            assertThat(RequestWriter.headSize(req, false, null)).as("%s, not forwarded", req)
                    .isEqualTo(callersPartWritten(req, false, null));
            // Forwarded to an HTTP proxy, without and with the proxy URI's credentials (R7, R23, R56).
            assertThat(RequestWriter.headSize(req, true, null)).as("%s, forwarded", req)
                    .isEqualTo(callersPartWritten(req, true, null));
            assertThat(RequestWriter.headSize(req, true, PROXY_URIS)).as("%s, forwarded with the proxy URI's credentials", req)
                    .isEqualTo(callersPartWritten(req, true, PROXY_URIS));
        }
        // What each shape writes, so that the equalities above are about the fields in question.
        assertThat(written(withField, false, null)).doesNotContain("Proxy-Authorization")
                .doesNotContain("elsewhere.test").doesNotContain("second/2").doesNotContain("Trailer")
                .contains("\r\nUser-Agent: probe/1\r\n");
        assertThat(written(withField, true, null)).contains("\r\nProxy-Authorization: " + CALLERS + "\r\n");
        assertThat(written(withField, true, PROXY_URIS)).contains("\r\nProxy-Authorization: " + CALLERS + "\r\n")
                .doesNotContain(PROXY_URIS);
        assertThat(written(without, true, PROXY_URIS)).contains("\r\nProxy-Authorization: " + PROXY_URIS + "\r\n");
        // A CONNECT of the caller's keeps its field on every route (R65).
        assertThat(written(connect, false, null)).startsWith("CONNECT proxy.test:3128 HTTP/1.1\r\n")
                .contains("\r\nProxy-Authorization: " + CALLERS + "\r\n");
    }
}
