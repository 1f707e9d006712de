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
final class TlsRecordWatch extends Socket implements SocketDialer.Dialed.TlsLayer {
    private static final int HEADER = 5;
    /**
     * How long, in seconds, the TLS layer waits for its record lock to send a {@code close_notify} when the socket has no
     * {@code SO_LINGER} of its own (E117): the JDK bounds that wait by {@link #getSoLinger()}, and without one waits for
     * ever. Under TLS 1.2 it answers the peer's {@code close_notify} from inside the read, and a tunnel write blocked on a
     * peer that reads nothing holds the lock for as long as the peer likes: past the bound the TLS layer shuts the TCP
     * output down instead (which ends that write) and the read returns the end of stream, as Go's returns {@code io.EOF}
     * (Go never answers a {@code close_notify}).
     */
    static final int CLOSE_NOTIFY_LOCK_WAIT_SECONDS = 1;

    private final Socket inner;
    private final Watched in;
    private final Sent out;

    /**
     * Watches {@code inner}'s input.
     *
     * @throws IOException if its input stream cannot be had
     */
    TlsRecordWatch(Socket inner) throws IOException {
        super((SocketImpl) null);
        this.inner = inner;
        this.in = new Watched(inner.getInputStream());
        this.out = new Sent(inner.getOutputStream());
    }

    /** True if the server's first bytes were {@code HTTP/}: a plain-HTTP server answered the ClientHello (P53). */
    boolean startedWithHttp() {
        return in.startedWithHttp();
    }

    /**
     * Called once the handshake is done, for TLS 1.2: a later handshake record from the server (a HelloRequest,
     * a renegotiation's ServerHello) fails the read (R47). Under TLS 1.3 every record after the handshake is
     * application data on the wire, and there is no renegotiation.
     */
    void refuseRenegotiation() {
        in.refuseHandshakeRecords();
    }

    /** True once the stream has ended (EOF from the socket) inside a TLS record or its header. */
    @Override
    public boolean endedInsideRecord() {
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
        /** Bytes read from the socket so far: written by the one thread the TLS layer reads on. */
        private volatile long received;

        Watched(InputStream raw) {
            this.raw = raw;
        }

        /** Bytes read from the socket so far. */
        long received() {
            return received;
        }

        /** True once {@code raw} has returned EOF inside a record or its header. */
        boolean endedInside() {
            return endedInside;
        }

        /** The first bytes the server sent, up to a record header's length (P53); the reading thread's. */
        private final byte[] first = new byte[HEADER];
        private int firstSeen;
        /** Set once a TLS 1.2 handshake is done: a handshake record after it asks to renegotiate (R47). */
        private volatile boolean refuseHandshakeRecords;
        private boolean renegotiationAsked;

        /** True if the server's first bytes were {@code HTTP/}: a plain-HTTP server's answer (P53). */
        boolean startedWithHttp() {
            return firstSeen == HEADER && new String(first, java.nio.charset.StandardCharsets.ISO_8859_1).equals("HTTP/");
        }

        /** From now on, a handshake record (content type 22) from the server fails the read (R47). */
        void refuseHandshakeRecords() {
            refuseHandshakeRecords = true;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = raw.read(b, off, len);
            if (n < 0) {
                endedInside = headerSeen != 0 || bodyLeft != 0;
            } else {
                received += n; // one writer
                for (int i = off; firstSeen < HEADER && i < off + n; i++) {
                    first[firstSeen++] = b[i];
                }
                advance(b, off, n);
                if (renegotiationAsked) {
                    // Go's default (RenegotiateNever): the connection fails. The JDK would renegotiate, and a
                    // renegotiation may change the certificate the connection was checked against, after the check.
                    throw new javax.net.ssl.SSLProtocolException("the server asked to renegotiate TLS (a handshake record"
                            + " after the handshake); refused, as Go's client refuses by default");
                }
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
                if (headerSeen == 0 && v == 22 && refuseHandshakeRecords) {
                    renegotiationAsked = true;
                }
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

    /**
     * The TLS socket's output {@code tlsOut} as the request's byte count must see it (P50): a write that throws
     * before the TLS layer handed a byte of it to the TCP socket, on the writing thread, took none of its bytes.
     * The TLS layer refuses a write at once when its output is closed (the server's close_notify, read by the read
     * loop, closed the connection: "Connection or outbound has closed"), and a record the TCP socket refused (a
     * reset, a broken pipe) never reached the server whole, and the server must authenticate a whole record
     * before it uses a byte of it: Go's {@code tls.Conn} counts only the records it wrote whole too. Only the
     * writing thread's bytes count: the read loop's TLS layer writes alerts of its own (its close_notify in reply)
     * at the same moment. A write that handed any byte to the TCP socket counts whole, as before.
     */
    @Override
    public OutputStream output(OutputStream tlsOut) {
        return new ExactTlsOut(tlsOut, out);
    }

    /** The TCP bytes the TLS layer had read when its input last delivered data (set by the reading thread). */
    private volatile long receivedWhenDelivered;

    @Override
    public InputStream input(InputStream tlsIn) {
        return new BulkInputStream() {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = tlsIn.read(b, off, len);
                if (n > 0) {
                    // Only data: after an end (-1) the flag below must stay up until the connection is closed.
                    receivedWhenDelivered = in.received();
                }
                return n;
            }

            @Override
            public int available() throws IOException {
                return tlsIn.available();
            }

            @Override
            public void close() throws IOException {
                tlsIn.close();
            }
        };
    }

    /**
     * Whether the TLS layer read bytes from the TCP socket that it has not delivered as data (E55): on an idle
     * connection, a record it is processing or has processed without data for us: the server's close_notify,
     * which it reports as the end only after it has handled it (and, under TLS 1.3, sent its own), or a
     * post-handshake message. The TCP socket then holds nothing for the request's look to see (E53), yet the
     * connection is, or may be, over. Asked from any thread; both counts are volatile.
     */
    @Override
    public boolean readButNotDelivered() {
        return in.received() != receivedWhenDelivered;
    }

    private static final class ExactTlsOut extends OutputStream implements CountingOutputStream.ExactOnFailure {
        private final OutputStream tls;
        private final Sent tcp;
        /** Of the last write that threw, the bytes taken: 0 or all; written and read by the writing thread. */
        private int takenOfFailedWrite;

        ExactTlsOut(OutputStream tls, Sent tcp) {
            this.tls = tls;
            this.tcp = tcp;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            tcp.watch();
            try {
                tls.write(b, off, len);
            } catch (IOException | RuntimeException e) {
                takenOfFailedWrite = tcp.watched() == 0 ? 0 : len;
                throw e;
            } finally {
                tcp.unwatch();
            }
        }

        @Override
        public int takenOfFailedWrite() {
            return takenOfFailedWrite;
        }

        @Override
        public void flush() throws IOException {
            tls.flush();
        }

        @Override
        public void close() throws IOException {
            tls.close();
        }
    }

    /**
     * The socket's output, counting what one watching thread hands it (the TLS layer writes the records of an
     * application write on the writing thread, and may write an alert on another thread meanwhile).
     */
    private static final class Sent extends OutputStream {
        private final OutputStream raw;
        /** The thread whose bytes are counted, or null. */
        private volatile Thread watching;
        /** Bytes {@link #watching} handed over in writes that returned since it began: that thread's only. */
        private long watched;

        Sent(OutputStream raw) {
            this.raw = raw;
        }

        void watch() {
            watched = 0;
            watching = Thread.currentThread();
        }

        void unwatch() {
            watching = null;
        }

        long watched() {
            return watched;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            raw.write(b, off, len);
            // Once it returned: a record the socket did not take whole, the server cannot use (see exactOnFailure).
            if (watching == Thread.currentThread()) {
                watched += len;
            }
        }

        @Override
        public void flush() throws IOException {
            raw.flush();
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
    public OutputStream getOutputStream() {
        return out;
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

    /** Set once the TLS layer shut the TCP output down ({@link #outputShutDown()}). */
    private volatile boolean outputShutDown;

    @Override
    public void shutdownOutput() throws IOException {
        outputShutDown = true; // the TLS layer's only way to end our output: see outputShutDown()
        inner.shutdownOutput();
    }

    @Override
    public boolean outputShutDown() {
        return outputShutDown;
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

    /**
     * The wrapped socket's {@code SO_LINGER}, or, when it has none, {@link #CLOSE_NOTIFY_LOCK_WAIT_SECONDS}: only the TLS
     * layer asks, to bound its wait for the record lock before a {@code close_notify} (E117); the TCP socket's own
     * setting, which its close obeys, is left as it is. A closed socket throws here as before, so the TLS layer's close
     * after the connection closed its TCP socket sends nothing.
     */
    @Override
    public int getSoLinger() throws SocketException {
        int linger = inner.getSoLinger();
        return linger >= 0 ? linger : CLOSE_NOTIFY_LOCK_WAIT_SECONDS;
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
