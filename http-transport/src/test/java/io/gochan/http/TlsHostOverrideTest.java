package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsExchange;
import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E155 (docs/spec/transport-lifecycle.md): over TLS, a Host override (R116) is the Host field only; the TLS handshake
 * names and verifies the URI's host, as Go's transport takes its {@code tls.Config.ServerName} from the URL's host
 * ({@code connectMethod.tlsHost}), never from {@code Request.Host}.
 */
@NoGoroutineLeaks
class TlsHostOverrideTest {
    /** The one name of the test certificate (JdkServer keeps one per name for the JVM: one keytool run). */
    private static final String CERTIFIED = "other.example";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void E155_theHandshakeNamesAndVerifiesTheUrisHostAndTheHostFieldCarriesTheOverride() throws Exception {
        List<String> hostFields = new CopyOnWriteArrayList<>();
        List<List<SNIServerName>> sni = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.httpsFor(CERTIFIED, ex -> {
                 hostFields.add(ex.getRequestHeaders().getFirst("Host"));
                 sni.add(((ExtendedSSLSession) ((HttpsExchange) ex).getSSLSession()).getRequestedServerNames());
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor(CERTIFIED))
                     .resolver(host -> List.of(InetAddress.getLoopbackAddress())).build()) {
            // The URI's host is the certificate's: the handshake succeeds though the override names another host.
            HttpRequest req = HttpRequest.newBuilder(URI.create("https://" + CERTIFIED + ":" + server.port() + "/"))
                    .host("override.example").build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(hostFields).containsExactly("override.example");
            assertThat(sni).containsExactly(List.of(new SNIHostName(CERTIFIED)));
            // The override is the certificate's name, the URI's host is not: verified against the URI's host, refused.
            HttpRequest other = HttpRequest.newBuilder(URI.create("https://override.example:" + server.port() + "/"))
                    .host(CERTIFIED).build();
            assertThatThrownBy(() -> t.roundTrip(other).close()).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("override.example");
            assertThat(hostFields).as("nothing of the refused request reached the server").hasSize(1);
        }
    }
}
