package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * R110: a host of digits and dots that is no dotted quad ({@code 2130706433}, {@code 0177.0.0.1},
 * {@code 127.000.000.001}) is no host to the default resolver, as it is none to Go's: {@code net.ParseIP} refuses it
 * and Go's resolver takes no all-numeric text for a name ("no such host", nothing looked up). The JDK's
 * {@link InetAddress#getAllByName} reads such text by a grammar of its own: {@code 2130706433} as 127.0.0.1, and
 * {@code 0177.0.0.1} as 177.0.0.1 (decimal), a machine on the internet, where BSD's {@code inet_aton} (Go's cgo
 * resolver), curl and browsers read octal 0177, 127.0.0.1. Every peer here is a real loopback server.
 */
@NoGoroutineLeaks
class NumericHostReachTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * The default resolver refuses the text the JDK would read as an address Go never dials, or look up. Before,
     * {@code 0177.0.0.1} resolved to 177.0.0.1, {@code 010.0.0.1} to 10.0.0.1 (8.0.0.1 to {@code inet_aton}),
     * {@code 2130706433} to 127.0.0.1.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2130706433", "0177.0.0.1", "010.0.0.1", "127.000.000.001", "127.0.0.01", "08.0.0.1",
        "017700000001", "4294967296", "127.0.0.1.", "1.2.3", "1.2.3.4.5", "0",
        "::ffff:0177.0.0.1", "::ffff:127.000.000.001", "64:ff9b::010.0.0.1", "::1.2.3"})
    @DisplayName("R110: the default resolver finds no host for digits and dots that are no dotted quad")
    void R110_theSystemResolverRefusesNumericTextThatIsNoDottedQuad(String host) {
        assertThatThrownBy(() -> Resolver.system().resolve(host))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageStartingWith(host + ": no such host (an IPv4 address, alone or at the end of an IPv6 address, is"
                        + " four decimal numbers from 0 to 255 without leading zeros, as Go's net.ParseIP reads one");
    }

    /** Dotted quads and IPv6 literals (an IPv4-mapped one included) are still addresses, read without a lookup. */
    @Test
    @DisplayName("R110: dotted quads and IPv6 literals are still addresses")
    void R110_dottedQuadsAndIpv6LiteralsAreStillAddresses() throws Exception {
        assertThat(Resolver.system().resolve("10.0.0.1")).containsExactly(InetAddress.getByAddress(new byte[] {10, 0, 0, 1}));
        assertThat(Resolver.system().resolve("0.0.0.0")).containsExactly(InetAddress.getByAddress(new byte[4]));
        assertThat(Resolver.system().resolve("255.255.255.255"))
                .containsExactly(InetAddress.getByAddress(new byte[] {-1, -1, -1, -1}));
        assertThat(Resolver.system().resolve("::ffff:127.0.0.1"))
                .containsExactly(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        assertThat(Resolver.system().resolve("::1")).containsExactly(InetAddress.getByName("::1"));
    }

    /**
     * End to end: a request to {@code http://2130706433:port/} or {@code http://127.000.000.001:port/} fails with an
     * {@link UnknownHostException} naming the host, and the loopback server listening on that port never sees a
     * connection. Before, both reached it (the JDK read them as 127.0.0.1) and were answered 200; Go's transport fails
     * them with "dial tcp: lookup 2130706433: no such host".
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"2130706433,2130706433", "127.000.000.001,127.000.000.001", "127.0.0.001,127.0.0.001",
        "[::ffff:127.000.000.001],::ffff:127.000.000.001"})
    @DisplayName("R110: a request to a numeric host that is no dotted quad is refused, nothing dialled")
    void R110_aRequestToANumericHostThatIsNoDottedQuadDialsNothing(String uriHost, String host) throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://" + uriHost + ":" + server.port() + "/x")))
                    .isInstanceOf(UnknownHostException.class)
                    .hasMessageContaining(host + ": no such host");
            // The same transport still reaches the server by its dotted quad.
            try (HttpResponse r = t.roundTrip(HttpRequest.get("http://127.0.0.1:" + server.port() + "/x"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).as("connections: the dotted quad's only").isEqualTo(1);
        }
    }

    /**
     * The refusal is the default resolver's only. Through an HTTP proxy such a host goes to the proxy as written, in
     * the absolute-form target, as Go sends it (its proxy choice takes the text for a name, R39); and a resolver of
     * the caller's own (R3) is given the text as written, to read as it likes.
     */
    @Test
    @DisplayName("R110: a proxy and a caller's resolver are given the numeric host as written")
    void R110_aProxyAndACallersResolverAreGivenTheNumericHostAsWritten() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer proxy = RawServer.start(c -> {
                 String head;
                 while ((head = c.readRequest()) != null) {
                     heads.add(head);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().proxy(Proxies.of("127.0.0.1:" + proxy.port(), null, null)).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get("http://2130706433:8080/p"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(heads).singleElement().asString().startsWith("GET http://2130706433:8080/p HTTP/1.1\r\n")
                    .contains("\r\nHost: 2130706433:8080\r\n");
        }
        List<String> asked = new CopyOnWriteArrayList<>();
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().resolver(h -> {
                 asked.add(h);
                 return List.of(loopback);
             }).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get("http://2130706433:" + server.port() + "/p"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(asked).containsExactly("2130706433");
        }
    }

    /**
     * Through SOCKS5 (R9, R33) an IPv6 literal whose dotted end is no dotted quad ({@code [::ffff:0177.0.0.1]}) is
     * refused before a {@code CONNECT} is sent, as the default resolver refuses it for a direct dial. Before, the
     * proxy was asked for 177.0.0.1 (type 1), the address the JDK's decimal reading makes of it; Go's
     * {@code ParseIP} finds none there.
     */
    @Test
    @DisplayName("R110: through SOCKS5 an IPv6 literal with a non-quad IPv4 end asks the proxy for nothing")
    void R110_throughSocks5AnIpv6LiteralWithANonQuadEndAsksTheProxyForNothing() throws Exception {
        List<byte[]> requests = new CopyOnWriteArrayList<>();
        try (RawServer proxy = RawServer.start(c -> {
                 c.in.readNBytes(3);
                 c.write(new byte[] {5, 0});
                 byte[] request = c.in.readNBytes(10); // what an IPv4 CONNECT is; empty if the client closed
                 if (request.length > 0) {
                     requests.add(request);
                     c.write(new byte[] {5, 5, 0, 1, 0, 0, 0, 0, 0, 0}); // connection refused
                 }
             });
             Transport t = Transport.builder()
                     .proxy(r -> java.util.Optional.of(java.net.URI.create("socks5://127.0.0.1:" + proxy.port()))).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://[::ffff:0177.0.0.1]:8080/x")))
                    .isInstanceOf(UnknownHostException.class)
                    .hasMessageStartingWith("::ffff:0177.0.0.1: no such host");
            assertThat(requests).as("CONNECT requests the proxy received").isEmpty();
        }
    }
}
