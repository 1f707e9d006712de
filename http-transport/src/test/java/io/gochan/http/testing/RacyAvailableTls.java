package io.gochan.http.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A client TLS context whose sockets' {@code available()} answers, while another thread is inside a read of
 * the same socket, what the JDK's own answers when it is asked just as that read starts: the TLS layer's
 * whole emptied buffer (4096), though nothing has arrived. The JDK's {@code available()} is "not
 * synchronized" with a read (its comment); the real race shows about once in a thousand reuses of a new
 * connection (E53), this shows it every time. Everything else is the real TLS socket of {@code real}.
 */
public final class RacyAvailableTls {
    /** What the JDK's TLS {@code available()} reported on an idle connection that held nothing. */
    public static final int EMPTIED_BUFFER = 4096;

    private RacyAvailableTls() {}

    /**
     * A context like {@code real} whose client sockets answer {@code available()} as described above.
     *
     * @param real the context that does the TLS
     * @return the racy context
     */
    public static SSLContext wrapping(SSLContext real) {
        return new SSLContext(new Spi(real), real.getProvider(), real.getProtocol()) {};
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext real;

        Spi(SSLContext real) {
            this.real = real;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            real.init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new Factory(real.getSocketFactory());
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return real.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return real.createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return real.createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return real.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return real.getClientSessionContext();
        }
    }

    /** Only the layered form (TLS over a connected socket) is what the transport uses. */
    private static final class Factory extends SSLSocketFactory {
        private final SSLSocketFactory real;

        Factory(SSLSocketFactory real) {
            this.real = real;
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return new Racy((SSLSocket) real.createSocket(s, host, port, autoClose));
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return real.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return real.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException("only layered sockets");
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException("only layered sockets");
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            throw new UnsupportedOperationException("only layered sockets");
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException("only layered sockets");
        }
    }

    /** The real TLS socket, but for its input stream's {@code available()}. */
    private static final class Racy extends SSLSocket {
        private final SSLSocket real;
        private final AtomicInteger reading = new AtomicInteger();
        private volatile InputStream in;

        Racy(SSLSocket real) {
            this.real = real;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            InputStream i = in;
            if (i == null) {
                InputStream r = real.getInputStream();
                i = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        reading.incrementAndGet();
                        try {
                            return r.read();
                        } finally {
                            reading.decrementAndGet();
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        reading.incrementAndGet();
                        try {
                            return r.read(b, off, len);
                        } finally {
                            reading.decrementAndGet();
                        }
                    }

                    @Override
                    public int available() throws IOException {
                        return reading.get() > 0 ? EMPTIED_BUFFER : r.available();
                    }

                    @Override
                    public void close() throws IOException {
                        r.close();
                    }
                };
                in = i;
            }
            return i;
        }

        // Everything below is the real socket's.

        @Override
        public OutputStream getOutputStream() throws IOException {
            return real.getOutputStream();
        }

        @Override
        public void close() throws IOException {
            real.close();
        }

        @Override
        public boolean isClosed() {
            return real.isClosed();
        }

        @Override
        public boolean isConnected() {
            return real.isConnected();
        }

        @Override
        public boolean isBound() {
            return real.isBound();
        }

        @Override
        public void shutdownInput() throws IOException {
            real.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            real.shutdownOutput();
        }

        @Override
        public boolean isInputShutdown() {
            return real.isInputShutdown();
        }

        @Override
        public boolean isOutputShutdown() {
            return real.isOutputShutdown();
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            real.setSoTimeout(timeout);
        }

        @Override
        public int getSoTimeout() throws SocketException {
            return real.getSoTimeout();
        }

        @Override
        public void setTcpNoDelay(boolean on) throws SocketException {
            real.setTcpNoDelay(on);
        }

        @Override
        public boolean getTcpNoDelay() throws SocketException {
            return real.getTcpNoDelay();
        }

        @Override
        public void setKeepAlive(boolean on) throws SocketException {
            real.setKeepAlive(on);
        }

        @Override
        public void setSoLinger(boolean on, int linger) throws SocketException {
            real.setSoLinger(on, linger);
        }

        @Override
        public InetAddress getInetAddress() {
            return real.getInetAddress();
        }

        @Override
        public InetAddress getLocalAddress() {
            return real.getLocalAddress();
        }

        @Override
        public int getPort() {
            return real.getPort();
        }

        @Override
        public int getLocalPort() {
            return real.getLocalPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return real.getRemoteSocketAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return real.getLocalSocketAddress();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return real.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return real.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            real.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return real.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return real.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            real.setEnabledProtocols(protocols);
        }

        @Override
        public SSLSession getSession() {
            return real.getSession();
        }

        @Override
        public SSLSession getHandshakeSession() {
            return real.getHandshakeSession();
        }

        @Override
        public SSLParameters getSSLParameters() {
            return real.getSSLParameters();
        }

        @Override
        public void setSSLParameters(SSLParameters params) {
            real.setSSLParameters(params);
        }

        @Override
        public String getApplicationProtocol() {
            return real.getApplicationProtocol();
        }

        @Override
        public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
            real.addHandshakeCompletedListener(listener);
        }

        @Override
        public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
            real.removeHandshakeCompletedListener(listener);
        }

        @Override
        public void startHandshake() throws IOException {
            real.startHandshake();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            real.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return real.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            real.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return real.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            real.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return real.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            real.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return real.getEnableSessionCreation();
        }

        @Override
        public String toString() {
            return "racy-available " + real;
        }
    }
}
