package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.UnixHttpServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * R112, R113, R114: a host name written as percent-escaped UTF-8 ({@code b%C3%BCcher.example}) is the name it spells, as Go's
 * {@code url.Parse} (and the WHATWG parser) decode a host, then taken in its IDNA ASCII form (R18): in a request's
 * URI, a redirect's {@code Location} and a proxy's URI; and a redirect to the request's host so spelled, or in Unicode,
 * stays with the origin (R113). Over a real Unix socket server, so that any host name reaches it without a name
 * service; no transport goroutine is left.
 */
@NoGoroutineLeaks
class PercentEncodedHostTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Before: "URI has no host" for each; Go sends them to xn--bcher-kva.example. */
    @Test
    void R112_aHostOfPercentEscapedUtf8IsTheNameItSpells() {
        for (String text : List.of("http://b%C3%BCcher.example/a", "http://b%c3%bccher.example:8080/a", "http://u:p@b%C3%BCcher.example/a",
                "http://B%C3%9CCHER.example/a")) {
            URI uri = HttpRequest.get(text).uri();
            assertThat(uri.getHost()).as(text).isEqualTo("xn--bcher-kva.example");
            assertThat(uri.getRawPath()).as(text).isEqualTo("/a");
        }
        assertThat(HttpRequest.get("http://u:p@b%C3%BCcher.example:8080/a").uri().getRawUserInfo()).isEqualTo("u:p");
        assertThat(HttpRequest.get("http://b%c3%bccher.example:8080/a").uri().getPort()).isEqualTo(8080);
        assertThat(Proxies.fixed(URI.create("http://pr%C3%B6xy.example:3128")).apply(HttpRequest.get("http://a.example/")))
                .contains(URI.create("http://" + java.net.IDN.toASCII("pr\u00f6xy.example") + ":3128"));
        // An escape of an ASCII byte Go refuses ("invalid URL escape"), and bytes that are no UTF-8 (ISO-8859-1's ü),
        // are refused, naming the URI.
        assertThatThrownBy(() -> HttpRequest.get("http://%65xample.com/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("URI has no host");
        assertThatThrownBy(() -> HttpRequest.get("http://b%FCcher.example/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid internationalized name").hasMessageContaining("b%FCcher.example");
    }

    /** Before: the request was refused, and the redirect failed the send as BAD_LOCATION. */
    @Test
    void R112_aRequestAndALocationToAPercentEscapedHostGoToItsAsciiName() throws Exception {
        List<String> hosts = new CopyOnWriteArrayList<>();
        try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                 String host = head.lines().filter(l -> l.startsWith("Host:")).findFirst().orElse("none");
                 hosts.add(head.lines().findFirst().orElseThrow() + " | " + host);
                 if (head.startsWith("GET /start ")) {
                     out.write(("HTTP/1.1 302 Found\r\nLocation: http://stra%C3%9Fe.example/next\r\nContent-Length: 0\r\n\r\n").getBytes());
                     out.flush();
                 } else {
                     UnixHttpServer.ok(out, "ok");
                 }
             });
             Transport t = Transport.builder().dialer(Dialer.unixSocket(server.path())).proxy(r -> Optional.empty()).build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get("http://b%C3%BCcher.example/start"))) {
                assertThat(r.body().string()).isEqualTo("ok");
                assertThat(r.request().uri().getHost()).isEqualTo("strasse.example"); // IDNA 2003 maps ß to ss (R18)
            }
            assertThat(hosts).containsExactly("GET /start HTTP/1.1 | Host: xn--bcher-kva.example",
                    "GET /next HTTP/1.1 | Host: strasse.example");
        }
    }

    /**
     * R113: a redirect to the host the request went to, its {@code Location} spelling the name in Unicode or in
     * escapes, keeps the caller's {@code Authorization} and {@code Cookie}, as Go's client compares the hosts' IDNA
     * ASCII forms; one to another host still drops them (R14). Before, the {@code Location}'s text was compared before
     * its host was made ASCII: it had no host to {@link URI}, so every such redirect dropped them, the same host too.
     */
    @Test
    void R113_aRedirectToTheSameHostSpelledInUnicodeKeepsTheCredentials() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                 String line = head.lines().findFirst().orElseThrow();
                 String auth = head.lines().filter(l -> l.startsWith("Authorization:") || l.startsWith("Cookie:"))
                         .map(l -> l.substring(0, l.indexOf(':'))).sorted().reduce((a, b) -> a + "+" + b).orElse("none");
                 seen.add(line.substring(0, line.lastIndexOf(' ')) + " " + auth);
                 int at = line.indexOf("/to/");
                 if (at >= 0) {
                     String location = java.net.URLDecoder.decode(line.substring(at + 4, line.lastIndexOf(' ')),
                             java.nio.charset.StandardCharsets.UTF_8);
                     byte[] head302 = ("HTTP/1.1 302 Found\r\nLocation: http://" + location + "/next\r\nContent-Length: 0\r\n\r\n")
                             .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                     out.write(head302);
                     out.flush();
                 } else {
                     UnixHttpServer.ok(out, "ok");
                 }
             });
             Transport t = Transport.builder().dialer(Dialer.unixSocket(server.path())).proxy(r -> Optional.empty()).build()) {
            HttpClient client = HttpClient.builder(t).build();
            // The Location's host as the server writes it: in UTF-8 as it is, escaped, and another host for contrast.
            for (String to : List.of("b%C3%BCcher.example", "b%25C3%25BCcher.example", "other.example")) {
                HttpRequest request = HttpRequest.newBuilder("http://b\u00fccher.example/to/" + to)
                        .header("Authorization", "Bearer T").header("Cookie", "s=1").build();
                try (HttpResponse r = client.send(request)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(seen).containsExactly(
                    "GET /to/b%C3%BCcher.example Authorization+Cookie", "GET /next Authorization+Cookie",
                    "GET /to/b%25C3%25BCcher.example Authorization+Cookie", "GET /next Authorization+Cookie",
                    "GET /to/other.example Authorization+Cookie", "GET /next none");
        }
    }

    /**
     * R114: a proxy function's proxy with an internationalized host name, in Unicode or escaped, is dialled by its IDNA
     * ASCII form, as Go dials a proxy ({@code canonicalAddr}) and as {@link Proxies#fixed} takes one (R83). Before, the
     * request failed with "the proxy function chose a proxy URI without a host".
     */
    @Test
    void R114_aProxyFunctionsInternationalizedProxyIsDialledByItsAsciiName() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        List<String> dialled = new CopyOnWriteArrayList<>();
        try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                 heads.add(head.lines().findFirst().orElseThrow());
                 UnixHttpServer.ok(out, "ok");
             })) {
            Dialer socket = Dialer.unixSocket(server.path());
            for (String proxy : List.of("http://u:pw@pr\u00f6xy.example:3128", "http://u:pw@pr%C3%B6xy.example:3128")) {
                try (Transport t = Transport.builder().dialer((host, port, timeout) -> {
                         dialled.add(host + ":" + port);
                         return socket.dial(host, port, timeout);
                     }).proxy(r -> Optional.of(URI.create(proxy))).build();
                     HttpResponse r = t.roundTrip(HttpRequest.get("http://origin.example/x"))) {
                    assertThat(r.body().string()).as(proxy).isEqualTo("ok");
                }
            }
        }
        String ascii = java.net.IDN.toASCII("pr\u00f6xy.example");
        assertThat(dialled).containsExactly(ascii + ":3128", ascii + ":3128");
        assertThat(heads).containsExactly("GET http://origin.example/x HTTP/1.1", "GET http://origin.example/x HTTP/1.1");
    }
}
