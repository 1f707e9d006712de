package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A redirect's {@code Location} is the server's input: one the client cannot follow fails the send with
 * {@link HttpProtocolException} of reason {@code BAD_LOCATION} (R16), never an unchecked exception that says the
 * caller passed a bad argument, and the connection of the redirect is reused (R60, R61).
 */
@NoGoroutineLeaks
class HostileLocationTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Answers {@code /start} with a 302 to {@code location} ({@code PORT} its own port), anything else with 200. */
    private static RawServer redirectingTo(String location, List<String> paths) throws Exception {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                paths.add(path);
                if (path.equals("/start")) {
                    c.write("HTTP/1.1 302 Found\r\nLocation: " + location.replace("PORT", String.valueOf(c.socket.getLocalPort()))
                            + "\r\nContent-Length: 5\r\n\r\nmoved");
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    private static void assertBadLocationThenReused(String location, String... inMessage) throws Exception {
        List<String> paths = new CopyOnWriteArrayList<>();
        try (RawServer server = redirectingTo(location, paths);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            Throwable thrown = catchThrowable(() -> client.send(HttpRequest.get(server.uri("/start").toString())));
            assertThat(thrown).as(location).isInstanceOf(HttpProtocolException.class)
                    .satisfies(e -> assertThat(((HttpProtocolException) e).reason()).isEqualTo(HttpProtocolException.Reason.BAD_LOCATION))
                    .hasMessageContainingAll(inMessage);
            assertNoPassword(thrown, "secret");
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(paths).containsExactly("/start", "/next");
            assertThat(server.accepted()).isEqualTo(1); // the redirect was drained, its connection reused
            assertThat(server.failures()).isEmpty();
        }
    }

    /** No message of {@code t} or of its causes shows {@code password}: a logged exception prints its causes too. */
    private static void assertNoPassword(Throwable t, String password) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            assertThat(String.valueOf(c.getMessage())).as("%s", c).doesNotContain(password);
        }
    }

    @Test
    void R60_aPortOutsideOneTo65535IsRefusedWhenTheRequestIsBuilt() {
        for (String uri : List.of("http://127.0.0.1:0/x", "http://example.com:65536/", "https://[::1]:99999/")) {
            assertThatThrownBy(() -> HttpRequest.get(uri)).as(uri).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("port is not a number from 1 to 65535").hasMessageContaining(uri.substring(0, 12));
        }
        assertThat(HttpRequest.get("http://127.0.0.1:65535/").uri().getPort()).isEqualTo(65535);
        assertThat(HttpRequest.get("http://127.0.0.1:1/").uri().getPort()).isEqualTo(1);
    }

    @Test
    void R60_aLocationWithAPortOutsideOneTo65535IsABadLocation() throws Exception {
        // Before: IllegalArgumentException "port out of range: 0" from the next hop's connection key, naming nothing.
        assertBadLocationThenReused("http://127.0.0.1:0/x", "302", "port is not a number from 1 to 65535");
        assertBadLocationThenReused("http://localhost:99999/x", "302", "port is not a number from 1 to 65535");
    }

    @Test
    void R61_aLocationWhoseUserInfoCannotBeBasicAuthIsABadLocation() throws Exception {
        // Before: IllegalArgumentException "the user info ... cannot be sent as basic auth", the caller blamed.
        assertBadLocationThenReused("http://a%3Ab:secret@127.0.0.1:PORT/x", "302", "user info", "a%3Ab:xxxxx@");
        assertBadLocationThenReused("http://%0d%0a:secret@127.0.0.1:PORT/x", "302", "user info");
    }

    @Test
    void R61_aLocationThatCannotBeFollowedNeverShowsItsPassword() throws Exception {
        assertBadLocationThenReused("ftp://u:secret@127.0.0.1:PORT/x", "302", "u:xxxxx@");
    }

    /**
     * R61, R81, R93: a Location the client cannot read is named by its text, password hidden. Before: "%zz" (which
     * java.net.URI refuses) was quoted as sent, and the URISyntaxException, kept as the cause and quoted in the message,
     * repeated it; "u:secret@host:8o" (a port of no digits) is an authority without user info to URI, so the text was
     * quoted as sent (as was "u:secret@@host", which R111 now follows as Go does: the password "secret@"); so was
     * "http:u:secret@host", an opaque URI (no "//"), whose "URI has no host" refusal also quoted it (R93).
     */
    @Test
    void R61_R93_aLocationJavaNetUriCannotReadNeverShowsItsPassword() throws Exception {
        assertBadLocationThenReused("http://u:secret@127.0.0.1:PORT/%zz", "302", "u:xxxxx@", "Malformed escape pair");
        assertBadLocationThenReused("http://u:secret@127.0.0.1:8o/x", "302", "u:xxxxx@");
        assertBadLocationThenReused("http:u:secret@127.0.0.1:PORT/x", "302", "u:xxxxx@");
    }
}
