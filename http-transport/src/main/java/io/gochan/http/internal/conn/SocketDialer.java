package io.gochan.http.internal.conn;

import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.internal.pool.ConnectKey;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens TCP connections, and TLS over them with the JDK's TLS: SNI for host names, and hostname
 * verification (endpoint identification "HTTPS") unless disabled. Connect and handshake each have
 * their own timeout. Blocking socket calls on a virtual thread do not pin its carrier.
 */
public final class SocketDialer {
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final SSLContext sslContext;
    private final boolean verifyHostname;

    /**
     * A dialer.
     *
     * @param sslContext used for https; null means {@link SSLContext#getDefault()} when first needed
     */
    public SocketDialer(Duration connectTimeout, Duration handshakeTimeout, SSLContext sslContext, boolean verifyHostname) {
        this.connectTimeout = connectTimeout;
        this.handshakeTimeout = handshakeTimeout;
        this.sslContext = sslContext;
        this.verifyHostname = verifyHostname;
    }

    /**
     * A dialed connection's sockets: the one to talk through ({@code socket}: TLS for https) and the
     * TCP socket under it ({@code tcp}, the same object for http). Closing {@code tcp} first ends a
     * write blocked inside the TLS layer, which closing the TLS socket alone would wait for.
     *
     * @param socket the socket to read and write
     * @param tcp the TCP socket under it
     */
    public record Dialed(Socket socket, Socket tcp) {}

    /**
     * Connects to {@code key}'s host and port, with TLS if the scheme is https.
     *
     * @param key what to connect to
     * @return the sockets
     * @throws HttpTimeoutException if connect or handshake took too long (kind CONNECT or TLS_HANDSHAKE)
     * @throws SSLHandshakeException if the TLS handshake failed (including a certificate that does not
     *     match the host name)
     * @throws IOException for any other connection failure
     */
    public Dialed dial(ConnectKey key) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            try {
                socket.connect(new InetSocketAddress(key.host(), key.port()), millis(connectTimeout));
            } catch (SocketTimeoutException e) {
                throw new HttpTimeoutException(HttpTimeoutException.Kind.CONNECT,
                        "connect to " + key + " timed out after " + connectTimeout, e);
            } catch (java.net.ConnectException | java.net.UnknownHostException e) {
                throw e; // specific JDK types a caller may catch: kept as they are
            } catch (java.net.SocketException e) {
                throw new HttpConnectionException("connect to " + key + " failed: " + e.getMessage(), e);
            }
            if (!key.tls()) {
                return new Dialed(socket, socket);
            }
            return new Dialed(handshake(socket, key), socket);
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket, e);
            throw e;
        }
    }

    private Socket handshake(Socket plain, ConnectKey key) throws IOException {
        SSLContext ctx;
        try {
            ctx = sslContext != null ? sslContext : SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException("no default TLS context", e);
        }
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(plain, key.host(), key.port(), true);
        try {
            SSLParameters params = ssl.getSSLParameters();
            if (verifyHostname) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            }
            if (!isIpLiteral(key.host())) {
                params.setServerNames(List.of(new SNIHostName(key.host())));
            }
            params.setApplicationProtocols(new String[] {"http/1.1"});
            ssl.setSSLParameters(params);
            ssl.setSoTimeout(millis(handshakeTimeout));
            ssl.startHandshake();
            ssl.setSoTimeout(0);
            return ssl;
        } catch (SocketTimeoutException e) {
            closeQuietly(ssl, e);
            throw new HttpTimeoutException(HttpTimeoutException.Kind.TLS_HANDSHAKE,
                    "TLS handshake with " + key + " timed out after " + handshakeTimeout, e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ssl, e);
            throw e;
        }
    }

    private static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private static int millis(Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            return 0; // no timeout
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    static void closeQuietly(Socket s, Throwable primary) {
        try {
            s.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
