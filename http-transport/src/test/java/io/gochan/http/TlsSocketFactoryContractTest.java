package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.OwnEndWaiterProbeTest.Broken;
import io.gochan.http.OwnEndWaiterProbeTest.ThrowingTls;
import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** E152: a TLS context whose socket factory breaks its contract costs its own request only, and says so. */
@NoGoroutineLeaks
@Timeout(120)
class TlsSocketFactoryContractTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E152: a socket factory whose {@code createSocket} over the TCP connection returns a plain socket, no
     * {@code SSLSocket}, fails the request with an {@link HttpConnectionException} that names the factory's class and
     * the peer; the socket it made is closed, and the host's only slot goes to the next request, served over TLS.
     * Before, the request failed with the pool's wrapping of a bare {@link ClassCastException} ("class java.net.Socket
     * cannot be cast to class javax.net.ssl.SSLSocket"), and the socket the factory made was never closed.
     */
    @Test
    void E152_aTlsSocketFactoryThatMakesNoSslSocketFailsItsRequestClearlyAndClosesThatSocket() throws Exception {
        try (JdkServer server = JdkServer.https(ex -> JdkServer.respond(ex, 200, "tls"))) {
            ThrowingTls spi = new ThrowingTls(JdkServer.clientTls(), Broken.NOT_AN_SSL_SOCKET, 1);
            SSLContext tls = ThrowingTls.context(spi);
            String factory = tls.getSocketFactory().getClass().getName();
            Transport t = Transport.builder().maxConnsPerHost(1).sslContext(tls).build();
            try {
                Object o = Leaks.outcomeWithin10s("the request whose TLS socket is no SSLSocket", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a").toString()))) {
                        return r.body().string();
                    }
                });
                assertThat(o).isInstanceOf(HttpConnectionException.class);
                assertThat(((Throwable) o).getMessage()).as("what the request failed with")
                        .contains(factory)
                        .contains("https://" + server.uri("/").getAuthority())
                        .contains("java.net.Socket, not an SSLSocket");
                assertThat(spi.plainMade).hasSize(1);
                assertThat(spi.plainMade.get(0).isClosed()).as("the socket the factory made is closed").isTrue();
                assertThat(Leaks.outcomeWithin10s("the next request", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b").toString()))) {
                        return r.body().string();
                    }
                })).as("the host's one slot is free").isEqualTo("tls");
            } finally {
                t.close();
            }
            OwnEndWaiterProbeTest.assertNothingCountedAfterClose(t);
        }
    }
}
