package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * E151: where a dial without a TLS context of its own gets the JVM's default one. The JVM-wide default is never
 * broken here (other tests in this JVM use it): the JDK's failure is given to the dial's own lookup instead.
 */
class DefaultTlsContextTest {

    /**
     * E151: a JVM that cannot make its default TLS context fails the dial as R69 words a failed handshake: an
     * {@link SSLHandshakeException} naming TLS and the peer, the JDK's words after them and its exception as the cause.
     * Before, it was a bare {@code IOException} "no default TLS context" that named no peer.
     */
    @Test
    void E151_noDefaultTlsContextFailsTheDialAsAHandshakeThatNamesThePeer() {
        NoSuchAlgorithmException jdk = new NoSuchAlgorithmException("Default SSLContext not available (test)");
        assertThatThrownBy(() -> SocketDialer.contextFor(null, () -> {
            throw jdk;
        }, "https://example.test:8443"))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessage("TLS handshake with https://example.test:8443 failed: no default TLS context"
                        + " (Default SSLContext not available (test))")
                .hasCause(jdk);
    }

    /** E151: a transport's own context is the dial's, the JVM's default never asked for. */
    @Test
    void E151_aTransportsOwnContextIsUsedWithoutAskingForTheDefault() throws Exception {
        SSLContext own = SSLContext.getInstance("TLS");
        assertThat(SocketDialer.contextFor(own, () -> {
            throw new AssertionError("the default asked for");
        }, "https://example.test:8443")).isSameAs(own);
    }
}
