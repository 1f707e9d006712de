package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Rules R129, R130 and R133 (docs/spec/transport-reach.md): what a refusal or a {@code toString()} prints of the caller's
 * text. Found by session 44's API audit.
 */
@io.gochan.leakcheck.NoGoroutineLeaks
class RefusalTextTest {

    /** R129: a value character above 0xff is refused for what it is, not called a control character. */
    @Test
    void R129_aHeaderValueBeyondIsoLatin1IsRefusedSayingSo() {
        assertThatThrownBy(() -> Headers.of("X-Name", "caf\u00e9 \u65e5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid character 0x65e5 in value of header 'X-Name'")
                .hasMessageContaining("ISO-8859-1")
                .hasMessageNotContaining("controls are not allowed");
        assertThat(Headers.of("X-Name", "caf\u00e9").get("X-Name")).isEqualTo("caf\u00e9"); // Latin-1 is written as is
        assertThatThrownBy(() -> Headers.of("X-Name", "a\u0001b")).hasMessageContaining("controls are not allowed");
    }

    /** R129: a refused method or cookie name is quoted with its control characters escaped, as a header name is. */
    @Test
    void R129_aRefusedMethodOrCookieNameIsQuotedWithItsControlsEscaped() {
        assertThatThrownBy(() -> HttpRequest.newBuilder(java.net.URI.create("http://example.test/"))
                .method("GET\r\nX-Injected: 1", RequestBody.none()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid HTTP method 'GET\\x0d\\x0aX-Injected: 1'");
        assertThatThrownBy(() -> Cookie.of("sid\r\nSet-Cookie: x", "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid cookie name 'sid\\x0d\\x0aSet-Cookie: x'");
    }

    /**
     * R133: an escape is two hex digits always, so that a tab before a {@code B} reads {@code \x09B}, not {@code \x9B},
     * the C1 character 0x9b (CSI, which starts a terminal's control sequences). Found in session 45's review.
     */
    @Test
    void R133_anEscapeIsTwoHexDigits() {
        assertThatThrownBy(() -> Headers.of("A\tB", "v")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'A\\x09B'").hasMessageNotContaining("\\x9B");
        assertThatThrownBy(() -> Headers.of("X-\u0000", "v")).hasMessageContaining("'X-\\x00'");
    }

    /**
     * R133: a redirect's Location quoted in the client's refusal is escaped as every other quote of a peer's text is,
     * C1 controls (a NEL, 0x85, ends a line in some log readers) included; before, the client's own escaping left them.
     */
    @Test
    void R133_aLocationTheClientCannotParseIsQuotedWithItsC1ControlsEscaped() throws Exception {
        try (io.gochan.http.testing.RawServer server = io.gochan.http.testing.RawServer.start(c -> {
                 // An IPv6 literal that is none: the Location cannot be parsed, whatever is encoded.
                 while (c.readRequestHead() != null) {
                     c.write("HTTP/1.1 302 Found\r\nLocation: http://[::1\u0085c\u009bd]/\r\nContent-Length: 0\r\n\r\n");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(server.uri("/")).build()).close())
                    .isInstanceOf(HttpProtocolException.class)
                    .hasMessageContaining("[::1\\x85c\\x9bd]")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u0085").doesNotContain("\u009b"));
        }
    }

    /** R130: a cookie prints its value hidden, as the Cookie and Set-Cookie fields are (R94); value() gives it. */
    @Test
    void R130_aCookiePrintsItsValueHidden() {
        Cookie c = new Cookie("sid", "s3cr3t-session", "example.test", "/", Instant.EPOCH, Duration.ofSeconds(60), true, true);
        assertThat(c.toString()).isEqualTo("Cookie[name=sid, value=xxxxx, domain=example.test, path=/, "
                + "expires=1970-01-01T00:00:00Z, maxAge=PT1M, secure=true, httpOnly=true]").doesNotContain("s3cr3t");
        assertThat(c.value()).isEqualTo("s3cr3t-session");
        assertThat(Cookie.parse("sid=abc; Path=/").orElseThrow().toString()).doesNotContain("abc");
    }
}
