package io.gochan.http.internal.conn;

import io.gochan.http.internal.codec.BulkInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * The socket under a TLS socket, seen through: every byte the TLS layer reads passes a parser of the TLS
 * record framing (a 5-byte header whose last two bytes give the length of the record that follows), so
 * that when the stream ends we know whether it ended between records or inside one (P33).
 *
 * <p>Why: the JDK's TLS layer takes any end of the TCP stream without {@code close_notify} as a proper
 * close ({@code handleEOF}, unless the global {@code com.sun.net.ssl.requireCloseNotify} is set), even
 * one in the middle of a record; the bytes of that record are lost and the reader sees a plain end of
 * stream. For a body delimited by the connection's end, that is a short body taken for a complete one.
 * Go's {@code crypto/tls} tells the two apart: an end between records is {@code io.EOF} (many servers
 * close so), one inside a record is {@code io.ErrUnexpectedEOF}. We do the same with this watch.
 *
 * <p>Every other call goes to the wrapped socket. The TLS layer reads only through
 * {@link #getInputStream()}, on one thread at a time (under its read lock); {@link #endedInsideRecord()}
 * is asked by the thread that has just seen the TLS stream end, after that read.
 */
final class TlsRecordWatch extends Socket {
    private static final int HEADER = 5;

    private final Socket inner;
    private final Watched in;

    /**
     * Watches {@code inner}'s input.
     *
     * @throws IOException if its input stream cannot be had
     */
    TlsRecordWatch(Socket inner) throws IOException {
        super((SocketImpl) null);
        this.inner = inner;
        this.in = new Watched(inner.getInputStream());
    }

    /** True once the stream has ended (EOF from the socket) inside a TLS record or its header. */
    boolean endedInsideRecord() {
        return in.endedInside();
    }

    /** The record parser over the socket's input; skips each record's body by arithmetic. Package-private for its test. */
    static final class Watched extends BulkInputStream {
        private final InputStream raw;
        /** Header bytes of the current record seen so far (0 between records). */
        private int headerSeen;
        private int lengthHigh;
        /** Bytes of the current record's body still to come. */
        private int bodyLeft;
        private volatile boolean endedInside;

        Watched(InputStream raw) {
            this.raw = raw;
        }

        /** True once {@code raw} has returned EOF inside a record or its header. */
        boolean endedInside() {
            return endedInside;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = raw.read(b, off, len);
            if (n < 0) {
                endedInside = headerSeen != 0 || bodyLeft != 0;
            } else {
                advance(b, off, n);
            }
            return n;
        }

        private void advance(byte[] b, int off, int n) {
            int i = off;
            int end = off + n;
            while (i < end) {
                if (bodyLeft > 0) {
                    int k = Math.min(bodyLeft, end - i);
                    bodyLeft -= k;
                    i += k;
                    continue;
                }
                int v = b[i++] & 0xff;
                if (headerSeen == 3) {
                    lengthHigh = v;
                }
                if (++headerSeen == HEADER) {
                    bodyLeft = lengthHigh << 8 | v;
                    headerSeen = 0;
                }
            }
        }

        @Override
        public int available() throws IOException {
            return raw.available();
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }

    // ------------------------------------------------------------------ everything else: the wrapped socket

    @Override
    public InputStream getInputStream() {
        return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return inner.getOutputStream();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }

    @Override
    public boolean isClosed() {
        return inner.isClosed();
    }

    @Override
    public boolean isConnected() {
        return inner.isConnected();
    }

    @Override
    public boolean isBound() {
        return inner.isBound();
    }

    @Override
    public void shutdownInput() throws IOException {
        inner.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        inner.shutdownOutput();
    }

    @Override
    public boolean isInputShutdown() {
        return inner.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return inner.isOutputShutdown();
    }

    /** None: a channel would read around the watch. */
    @Override
    public SocketChannel getChannel() {
        return null;
    }

    @Override
    public InetAddress getInetAddress() {
        return inner.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return inner.getLocalAddress();
    }

    @Override
    public int getPort() {
        return inner.getPort();
    }

    @Override
    public int getLocalPort() {
        return inner.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return inner.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return inner.getLocalSocketAddress();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        inner.setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return inner.getSoTimeout();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        inner.setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return inner.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        inner.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return inner.getSoLinger();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        inner.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return inner.getKeepAlive();
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        inner.setSendBufferSize(size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return inner.getSendBufferSize();
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        inner.setReceiveBufferSize(size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return inner.getReceiveBufferSize();
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        inner.setTrafficClass(tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return inner.getTrafficClass();
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        inner.setReuseAddress(on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return inner.getReuseAddress();
    }

    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
        inner.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return inner.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return inner.supportedOptions();
    }

    @Override
    public String toString() {
        return inner.toString();
    }
}
