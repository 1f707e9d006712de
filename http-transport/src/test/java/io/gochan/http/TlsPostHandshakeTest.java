package io.gochan.http;

import io.gochan.http.testing.Heads;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS records that carry no data and end nothing, sent by the server after the handshake, on a connection that
 * is idle in the pool: a TLS 1.3 {@code KeyUpdate} or a late {@code NewSessionTicket}. Go's read loop, blocked in
 * {@code Peek} on the {@code tls.Conn}, consumes them inside {@code tls.Conn.Read} ({@code handlePostHandshakeMessage})
 * and keeps the connection. What is pinned here (E58): keep-alive over TLS 1.2 and 1.3 against the JDK's server and
 * nginx, whose session tickets follow the handshake, takes one connection.
 */
@NoGoroutineLeaks
class TlsPostHandshakeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Keep-alive against the JDK's own HTTPS server: 20 sequential requests take one connection, under either version. */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E58_twentyRequestsToTheJdkHttpsServerTakeOneConnection(String version) throws Exception {
        try (JdkServer server = JdkServer.httpsOnly(ex -> JdkServer.respond(ex, 200, "ok"), version);
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            for (int i = 0; i < 20; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/" + i)).timeout(WAIT).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            TransportStats s = t.stats();
            assertThat(s.dialed()).as("one connection for 20 requests over %s: %s", version, s).isEqualTo(1);
            assertThat(s.reused()).as("%s", s).isEqualTo(19);
        }
    }

    /**
     * Keep-alive against nginx over TLS (OpenSSL sends its TLS 1.3 session tickets after the handshake): 20
     * sequential requests take one connection. Runs when {@code -Dgochan.interop.nginxTls=https://host:port}
     * names such a server, whose certificate is the PEM file {@code -Dgochan.interop.nginxTlsCert}.
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "gochan.interop.nginxTls", matches = "https://.+")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E58_twentyRequestsToNginxOverTlsTakeOneConnection() throws Exception {
        java.security.cert.Certificate cert;
        try (InputStream pem = java.nio.file.Files.newInputStream(
                java.nio.file.Path.of(System.getProperty("gochan.interop.nginxTlsCert")))) {
            cert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(pem);
        }
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("nginx", cert);
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        for (String base : System.getProperty("gochan.interop.nginxTls").split(",")) {
            try (Transport t = Transport.builder().sslContext(ctx).build()) {
                for (int i = 0; i < 20; i++) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(URI.create(base + "/ok.txt")).timeout(WAIT).build())) {
                        assertThat(r.status()).isEqualTo(200);
                        r.body().string();
                    }
                }
                TransportStats s = t.stats();
                assertThat(s.dialed()).as("one connection for 20 requests to %s: %s", base, s).isEqualTo(1);
            }
        }
    }
}
