package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a caller keeps after handing something to the library, or after getting something back, cannot
 * change a built request, its headers, or a jar (R72): arrays and lists passed in are copied, lists handed
 * out are copies or unmodifiable, a builder used after build() changes only what it builds next, and a
 * refused builder call leaves the builder as it was.
 */
class SharedStateRulesTest {
    private static final URI HOST = URI.create("http://example.test/");

    @Test
    void R72_aRefusedHeaderValueLeavesNoHalfFieldInTheBuilder() {
        Headers.Builder b = Headers.builder().add("a", "1");
        assertThatThrownBy(() -> b.add("X-Injected", "v\r\nEvil: 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.set("a", "bad\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.add("b", null)).isInstanceOf(NullPointerException.class);
        Headers h = b.build();
        assertThat(h.size()).isEqualTo(1);
        assertThat(h.toString()).isEqualTo("{a: 1}");
        HttpRequest.Builder rb = HttpRequest.newBuilder(HOST).header("a", "1");
        assertThatThrownBy(() -> rb.header("X-Injected", "v\r\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rb.setHeader("a", "v\r\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rb.POST(null)).isInstanceOf(NullPointerException.class);
        HttpRequest r = rb.build();
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.headers().toString()).isEqualTo("{a: 1}");
    }

    @Test
    void R72_arraysAndListsPassedInAreCopied() throws Exception {
        byte[] bytes = "abc".getBytes(StandardCharsets.US_ASCII);
        RequestBody body = RequestBody.of(bytes, null);
        bytes[0] = 'X';
        try (InputStream in = body.open()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).as("a retry sends the same bytes").isEqualTo("abc");
        }
        String[] fields = {"a", "1"};
        Headers h = Headers.of(fields);
        fields[1] = "changed";
        assertThat(h.get("a")).isEqualTo("1");
        MemoryCookieJar jar = new MemoryCookieJar(Clock.systemUTC());
        List<Cookie> given = new ArrayList<>(List.of(Cookie.of("c", "1")));
        jar.setCookies(HOST, given);
        given.set(0, Cookie.of("c", "2"));
        given.add(Cookie.of("d", "3"));
        assertThat(jar.cookies(HOST)).extracting(Cookie::value).containsExactly("1");
    }

    @Test
    void R72_whatIsHandedOutCannotChangeTheSource() {
        Headers h = Headers.of("a", "1", "a", "2");
        assertThatThrownBy(() -> h.all("a").add("3")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> h.names().add("b")).isInstanceOf(UnsupportedOperationException.class);
        MemoryCookieJar jar = new MemoryCookieJar(Clock.systemUTC());
        jar.setCookies(HOST, List.of(Cookie.of("c", "1")));
        List<Cookie> out = jar.cookies(HOST);
        try {
            out.clear();
        } catch (UnsupportedOperationException unmodifiable) {
            // as good as a copy
        }
        assertThat(jar.cookies(HOST)).hasSize(1);
    }

    @Test
    void R72_aBuilderUsedAfterBuildChangesOnlyWhatItBuildsNext() {
        HttpRequest.Builder b = HttpRequest.newBuilder(HOST).header("a", "1");
        HttpRequest first = b.build();
        b.header("b", "2").setHeader("a", "changed").removeHeader("a");
        assertThat(first.headers().toString()).isEqualTo("{a: 1}");
        HttpRequest.Builder again = first.toBuilder().setHeader("a", "other");
        assertThat(again.build().headers().get("a")).isEqualTo("other");
        assertThat(first.headers().get("a")).isEqualTo("1");
        Headers.Builder hb = Headers.builder().add("x", "1");
        Headers built = hb.build();
        hb.add("y", "2").remove("x");
        assertThat(built.toString()).isEqualTo("{x: 1}");
        Headers.Builder fromBuilt = built.toBuilder().remove("x");
        assertThat(fromBuilt.build().size()).isZero();
        assertThat(built.size()).isEqualTo(1);
    }
}
