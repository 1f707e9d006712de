package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a Java user reaches for in the first hour, and is refused clearly when it is wrong: a fixed proxy checked when
 * it is given (R83), a request URI given as text (R84), a cookie jar without a clock argument. No thread, no
 * connection: nothing here starts one.
 */
class ConvenienceTest {
    private static final HttpRequest TO_ORIGIN = HttpRequest.get("http://origin.test/");

    private static void assertNoPassword(Throwable t, String password) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            assertThat(c.getMessage()).as("%s", c).doesNotContain(password);
        }
    }

    @Test
    void R83_aProxyWithoutSlashesIsRefusedWhenGivenSayingHowToWriteIt() {
        Throwable t = catchThrowable(() -> Proxies.fixed(URI.create("localhost:3128")));
        assertThat(t).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("without a host")
                .hasMessageContaining("\"localhost\" as its scheme")
                .hasMessageContaining("did you mean http://localhost:3128?")
                .hasMessageContaining("e.g. http://localhost:3128");
        // A scheme the transport takes, written without "//", keeps it in the suggestion.
        assertThatThrownBy(() -> Proxies.fixed(URI.create("socks5:proxy.test:1080")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("did you mean socks5://proxy.test:1080?");
    }

    @Test
    void R83_everyProxyTheTransportCouldNotUseIsRefusedWhenGivenWithoutItsPassword() {
        // Opaque: URI reads "alice" as the scheme and has no user info to redact by; the suggestion is redacted as text.
        Throwable opaque = catchThrowable(() -> Proxies.fixed(URI.create("alice:s3cret@proxy.test:3128")));
        assertThat(opaque).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("did you mean http://alice:xxxxx@proxy.test:3128?");
        assertNoPassword(opaque, "s3cret");
        for (String[] c : List.of(
                new String[] {"//alice:s3cret@proxy.test:3128", "without a scheme"},
                new String[] {"http:///nohost", "without a host"},
                new String[] {"http://alice:s3cret@:3128", "without a host"},
                new String[] {"http://alice:s3cret@@proxy.test:3128", "without a host"},
                new String[] {"ftp://alice:s3cret@proxy.test:21", "unsupported proxy scheme"},
                new String[] {"socks4://proxy.test:1080", "unsupported proxy scheme"},
                new String[] {"http://alice:s3cret@proxy.test:70000", "port is not a number from 1 to 65535"},
                new String[] {"http://alice:s3cret@proxy.test:0", "port is not a number from 1 to 65535"})) {
            Throwable t = catchThrowable(() -> Proxies.fixed(URI.create(c[0])));
            assertThat(t).as(c[0]).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(c[1]);
            assertNoPassword(t, "s3cret");
        }
    }

    @Test
    void R83_aUsableFixedProxyIsTakenAsGivenAndAnInternationalNameInItsAsciiForm() {
        for (String ok : List.of("http://localhost:3128", "https://proxy.test", "socks5://alice:pw@proxy.test:1080",
                "socks5h://proxy.test:1080", "HTTP://proxy.test:3128", "http://my_proxy:3128", "http://[::1]:3128")) {
            assertThat(Proxies.fixed(URI.create(ok)).apply(TO_ORIGIN)).as(ok).contains(URI.create(ok));
        }
        URI idn = Proxies.fixed(URI.create("http://bücher.example:3128")).apply(TO_ORIGIN).orElseThrow();
        assertThat(idn.getHost()).isEqualTo("xn--bcher-kva.example");
        assertThat(idn.getPort()).isEqualTo(3128);
        // Loopback still goes direct.
        assertThat(Proxies.fixed(URI.create("http://proxy.test:3128")).apply(HttpRequest.get("http://127.0.0.1/"))).isEmpty();
    }

    @Test
    void R84_aRequestUriGivenAsTextIsParsedAsGetParsesIt() {
        HttpRequest viaText = HttpRequest.newBuilder("http://app.test/login?x=1#frag").POST(RequestBody.of("u=g")).build();
        HttpRequest viaUri = HttpRequest.newBuilder(URI.create("http://app.test/login?x=1#frag")).POST(RequestBody.of("u=g")).build();
        assertThat(viaText.uri()).isEqualTo(viaUri.uri()).isEqualTo(URI.create("http://app.test/login?x=1"));
        assertThat(viaText.method()).isEqualTo("POST");
        assertThat(HttpRequest.newBuilder("http://bücher.example/").build().uri().getHost()).isEqualTo("xn--bcher-kva.example");
        assertThat(viaText.toBuilder().uri("https://other.test/y").build().uri()).isEqualTo(URI.create("https://other.test/y"));
    }

    @Test
    void R84_aRequestUriGivenAsTextIsRefusedAsGetRefusesItWithoutItsPassword() {
        for (String text : List.of("http://alice:s3cret%zz@example.com/", "http://alice:s3cret@exa mple.com/",
                "http://alice:s3cret@example.com/a\tb", "http://alice:s3cret@@example.com:8o/",
                "ftp://alice:s3cret@example.com/", "http://alice:s3cret@example.com:70000/")) {
            String expected = catchThrowable(() -> HttpRequest.get(text)).getMessage();
            Throwable viaBuilder = catchThrowable(() -> HttpRequest.newBuilder(text));
            Throwable viaUri = catchThrowable(() -> HttpRequest.newBuilder("http://example.com/").uri(text));
            for (Throwable t : List.of(viaBuilder, viaUri)) {
                assertThat(t).as(text).isInstanceOf(IllegalArgumentException.class).hasMessage(expected)
                        .hasMessageContaining("alice:xxxxx@");
                assertNoPassword(t, "s3cret");
            }
        }
        assertThatThrownBy(() -> HttpRequest.newBuilder("http://exa mple.com/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a URI (").hasMessageContaining(" at index ").hasNoCause();
        assertThatThrownBy(() -> HttpRequest.newBuilder("localhost:8080")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported URI scheme");
    }

    @Test
    void aJarMadeWithoutArgumentsJudgesExpiryByTheSystemClock() {
        URI uri = URI.create("http://app.test/");
        Instant now = Instant.now();
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.minusSeconds(3600).atOffset(ZoneOffset.UTC));
        String future = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(3600).atOffset(ZoneOffset.UTC));
        List<Cookie> set = List.of(Cookie.parse("gone=1; Expires=" + past).orElseThrow(),
                Cookie.parse("kept=1; Expires=" + future).orElseThrow());
        MemoryCookieJar jar = new MemoryCookieJar();
        jar.setCookies(uri, set);
        assertThat(jar.cookies(uri)).extracting(Cookie::name).containsExactly("kept");
        // The clock matters: a jar whose clock stands two hours earlier keeps both.
        MemoryCookieJar earlier = new MemoryCookieJar(Clock.fixed(now.minusSeconds(7200), ZoneOffset.UTC));
        earlier.setCookies(uri, set);
        assertThat(earlier.cookies(uri)).extracting(Cookie::name).containsExactlyInAnyOrder("gone", "kept");
    }
}
