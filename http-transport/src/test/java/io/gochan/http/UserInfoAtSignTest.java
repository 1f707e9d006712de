package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * R111: an {@code @} written as it is in the user info of URI text ({@code http://u:p@ss@host/}) ends nothing but
 * the last one does, as Go's {@code url.Parse} and the WHATWG URL parser read it: the caller's request text and a
 * server's {@code Location} both. Against a real loopback server; no transport goroutine is left.
 */
@NoGoroutineLeaks
class UserInfoAtSignTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Answers {@code /start} with a 302 to {@code location} ({@code PORT} its own port), anything else with 200. */
    private static RawServer recording(List<String> seen, String location) throws Exception {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                String auth = head.lines().filter(l -> l.regionMatches(true, 0, "Authorization:", 0, 14))
                        .map(l -> l.substring(14).strip()).findFirst().orElse("-");
                seen.add(path + " " + auth);
                if (path.equals("/start")) {
                    c.write("HTTP/1.1 302 Found\r\nLocation: " + location.replace("PORT", String.valueOf(c.socket.getLocalPort()))
                            + "\r\nContent-Length: 5\r\n\r\nmoved");
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    /**
     * Before: "URI has no host" for {@code http://alice:p@ss@127.0.0.1:PORT/a}, a URL Go's {@code http.Get} sends with
     * the password {@code p@ss}; java.net.URI reads an authority with two {@code @} as one that names no server.
     */
    @Test
    void R111_anAtSignInThePasswordOfRequestTextIsSentAsPartOfThePassword() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = recording(seen, "/unused");
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            String base = "http://127.0.0.1:" + server.port();
            HttpRequest viaGet = HttpRequest.get("http://alice:p@ss@127.0.0.1:" + server.port() + "/a");
            assertThat(viaGet.uri().getHost()).isEqualTo("127.0.0.1");
            assertThat(viaGet.uri().getRawUserInfo()).isEqualTo("alice:p%40ss");
            assertThat(viaGet.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
            HttpRequest viaBuilder = HttpRequest.newBuilder("http://a@b:c@d@127.0.0.1:" + server.port() + "/b").build();
            HttpRequest viaUri = HttpRequest.newBuilder(base + "/x").uri("http://x@@127.0.0.1:" + server.port() + "/c?to=m@n@o").build();
            assertThat(viaUri.uri().getRawQuery()).isEqualTo("to=m@n@o"); // an @ after the authority is no user info's
            for (HttpRequest r : List.of(viaGet, viaBuilder, viaUri)) {
                try (HttpResponse resp = client.send(r)) {
                    assertThat(resp.body().string()).isEqualTo("ok");
                }
            }
            assertThat(seen).containsExactly("/a " + ProxyTest.basic("alice:p@ss"), "/b " + ProxyTest.basic("a@b:c@d"),
                    "/c?to=m@n@o " + ProxyTest.basic("x@:"));
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * Before: a {@code Location} such as {@code http://bob:s@cret@host/next} failed the send as a BAD_LOCATION
     * ("no host"), where Go follows it with the password {@code s@cret}; a scheme-relative one the same.
     */
    @Test
    void R111_aLocationWithAnAtSignInItsPasswordIsFollowedWithThatPassword() throws Exception {
        for (String location : List.of("http://bob:s@cret@127.0.0.1:PORT/next", "//bob:s@cret@127.0.0.1:PORT/next")) {
            List<String> seen = new CopyOnWriteArrayList<>();
            try (RawServer server = recording(seen, location);
                 Transport t = Transport.builder().build()) {
                HttpClient client = HttpClient.builder(t).build();
                try (HttpResponse r = client.send(HttpRequest.get("http://127.0.0.1:" + server.port() + "/start"))) {
                    assertThat(r.body().string()).as(location).isEqualTo("ok");
                    assertThat(r.request().uri().getRawUserInfo()).as(location).isEqualTo("bob:s%40cret");
                }
                assertThat(seen).as(location).containsExactly("/start -", "/next " + ProxyTest.basic("bob:s@cret"));
                assertThat(server.accepted()).as(location).isEqualTo(1); // the redirect was drained, its connection reused
            }
        }
    }
}
