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
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Unix domain socket ({@link SocketChannel} of {@link StandardProtocolFamily#UNIX}) seen as a
 * {@link Socket}, so that the connection code, which reads through socket timeouts (the body read
 * slices of ADR 0008) and closes by {@link #close()}, runs on it unchanged (R4). The JDK gives no
 * socket adaptor for Unix channels and a blocking channel has no read timeout, so the channel is
 * non-blocking and each read or write waits on its own {@link Selector} (a virtual thread parks there,
 * not pinning its carrier).
 *
 * <p>As a JDK socket on a virtual thread: an interrupt of a thread blocked in a read or write closes
 * the socket and the call throws {@link SocketException}; {@link #close()} from another thread ends
 * both at once. One reader and one writer may work at the same time. {@code available()} tells the bytes
 * waiting, as a TCP socket's does (R41): the idle look of P37 and E55 asks it.
 */
public final class UnixSocket extends Socket {
    private final SocketChannel channel;
    private final UnixDomainSocketAddress address;
    private final Selector readSelector;
    private final Selector writeSelector;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock closeLock = new ReentrantLock();
    /** Guards {@link #stash} and each non-blocking channel read, so bytes reach readers in their order. */
    private final ReentrantLock stashLock = new ReentrantLock();
    /** Bytes {@code available()} took from the channel, for the next read (read mode); made on first use. */
    private ByteBuffer stash;
    private static final int STASH_BYTES = 8192;
    private volatile boolean closed;
    private volatile int soTimeout;
    private volatile boolean outputShut;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    private UnixSocket(SocketChannel channel, UnixDomainSocketAddress address) throws IOException {
        super((SocketImpl) null);
        this.channel = channel;
        this.address = address;
        Selector r = null;
        Selector w = null;
        try {
            channel.configureBlocking(false);
            r = Selector.open();
            w = Selector.open();
            channel.register(r, SelectionKey.OP_READ);
            channel.register(w, SelectionKey.OP_WRITE);
        } catch (IOException | RuntimeException e) {
            closeAll(channel, r, w, e);
            throw e;
        }
        this.readSelector = r;
        this.writeSelector = w;
    }

    /**
     * Connects to {@code address} (a connect to a Unix socket does not wait for the peer to accept).
     *
     * @param address the socket file
     * @return the connected socket
     * @throws java.net.ConnectException if nothing listens there (as for a refused TCP port)
     * @throws IOException if the connection failed otherwise
     */
    public static UnixSocket connect(UnixDomainSocketAddress address) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(address);
        } catch (java.net.SocketException e) {
            java.net.ConnectException ce = new java.net.ConnectException("connect to unix:" + address.getPath() + " failed: " + e.getMessage());
            ce.initCause(e);
            closeQuietlyInto(ch, ce);
            throw ce;
        } catch (IOException | RuntimeException e) {
            closeQuietlyInto(ch, e);
            throw e;
        }
        return new UnixSocket(ch, address);
    }

    /** Closes {@code ch} after a failed connect; a failure of the close is added to {@code primary}, never thrown in its place. */
    private static void closeQuietlyInto(SocketChannel ch, Throwable primary) {
        try {
            ch.close();
        } catch (IOException closeFailure) {
            primary.addSuppressed(closeFailure);
        }
    }

    private static void closeAll(SocketChannel ch, Selector r, Selector w, Throwable primary) {
        for (java.io.Closeable c : new java.io.Closeable[] {ch, r, w}) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    primary.addSuppressed(e);
                }
            }
        }
    }

    @Override
    public InputStream getInputStream() throws IOException {
        ensureOpen();
        return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        ensureOpen();
        return out;
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        soTimeout = timeout;
    }

    @Override
    public int getSoTimeout() {
        return soTimeout;
    }

    @Override
    public void setTcpNoDelay(boolean on) {
        // not TCP: nothing to delay
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public boolean isBound() {
        return true;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShut;
    }

    @Override
    public InetAddress getInetAddress() {
        return null; // not an IP connection
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return address;
    }

    @Override
    public void shutdownOutput() throws IOException {
        ensureOpen();
        outputShut = true;
        channel.shutdownOutput();
    }

    @Override
    public void shutdownInput() throws IOException {
        ensureOpen();
        channel.shutdownInput();
    }

    /** Closes the channel and wakes a blocked reader and writer; idempotent. */
    @Override
    public void close() throws IOException {
        closeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            closeLock.unlock();
        }
        IOException failure = null;
        for (java.io.Closeable c : new java.io.Closeable[] {channel, readSelector, writeSelector}) {
            try {
                c.close(); // a selector's close wakes its selecting thread first
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "UnixSocket[" + address.getPath() + (closed ? ", closed]" : "]");
    }

    private void ensureOpen() throws SocketException {
        if (closed) {
            throw new SocketException("Socket is closed");
        }
    }

    /** Waits until {@code selector}'s one key is ready; false if {@code timeoutMillis} (non-zero) passed first. */
    private boolean await(Selector selector, long timeoutMillis) throws IOException {
        try {
            int n = timeoutMillis == 0 ? selector.select() : selector.select(timeoutMillis);
            selector.selectedKeys().clear();
            if (Thread.currentThread().isInterrupted()) {
                SocketException interrupted = new SocketException("Closed by interrupt");
                try {
                    close(); // as a JDK socket on a virtual thread: the interrupt closes it; the flag stays set
                } catch (IOException closeFailure) {
                    interrupted.addSuppressed(closeFailure); // the interrupt stays what the caller sees
                }
                throw interrupted;
            }
            ensureOpen();
            return n > 0;
        } catch (ClosedSelectorException e) {
            throw new SocketException("Socket closed");
        }
    }

    private final class In extends BulkInputStream {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            readLock.lock();
            try {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                int timeout = soTimeout;
                long deadline = timeout == 0 ? 0 : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
                while (true) {
                    ensureOpen();
                    int n;
                    stashLock.lock(); // the stash first, then the channel, as one step: available() never reorders bytes
                    try {
                        if (stash != null && stash.hasRemaining()) {
                            n = Math.min(len, stash.remaining());
                            stash.get(b, off, n);
                            return n;
                        }
                        n = channel.read(buf);
                    } catch (ClosedChannelException e) {
                        throw new SocketException("Socket closed");
                    } finally {
                        stashLock.unlock();
                    }
                    if (n != 0) {
                        return n;
                    }
                    long wait = 0;
                    if (deadline != 0) {
                        wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (wait <= 0) {
                            throw new SocketTimeoutException("Read timed out");
                        }
                    }
                    await(readSelector, wait);
                }
            } finally {
                readLock.unlock();
            }
        }

        /**
         * The bytes the socket holds that a read would return now (R41). A socket channel has no
         * {@code available()}, and answering 0 hid bytes a server sent on an idle connection from the look
         * that keeps them from answering the next request (P37, E55): they are read here without blocking, kept
         * (in order, ahead of the channel) for the next read, and a reader waiting on its selector is woken for
         * them, since the channel no longer has them to signal. 0 at the end of the stream, as a TCP socket.
         */
        @Override
        public int available() throws IOException {
            ensureOpen();
            stashLock.lock();
            try {
                if (stash == null) {
                    stash = ByteBuffer.allocate(STASH_BYTES).flip();
                }
                if (stash.hasRemaining()) {
                    return stash.remaining();
                }
                stash.clear();
                int n;
                try {
                    n = channel.read(stash); // non-blocking: what is there now, or nothing
                } catch (ClosedChannelException e) {
                    throw new SocketException("Socket closed");
                } finally {
                    stash.flip();
                }
                if (n <= 0) {
                    return 0; // none yet, or the end of the stream: the channel still signals that to a reader
                }
                readSelector.wakeup(); // a reader in await() would otherwise wait for bytes the stash now holds
                return n;
            } finally {
                stashLock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            UnixSocket.this.close(); // as a socket's stream: closing it closes the socket
        }
    }

    private final class Out extends OutputStream implements CountingOutputStream.ExactOnFailure {
        /** Of the last write that threw, the bytes the channel took; written and read by the writing thread. */
        private int takenOfFailedWrite;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            writeLock.lock();
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            try {
                while (buf.hasRemaining()) {
                    ensureOpen();
                    int n;
                    try {
                        n = channel.write(buf);
                    } catch (ClosedChannelException e) {
                        throw new SocketException("Socket closed");
                    }
                    if (n == 0) {
                        await(writeSelector, 0);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // A channel write that throws took nothing: what it took before is exact (R32).
                takenOfFailedWrite = buf.position() - off;
                throw e;
            } finally {
                writeLock.unlock();
            }
        }

        @Override
        public int takenOfFailedWrite() {
            return takenOfFailedWrite;
        }

        @Override
        public void close() throws IOException {
            UnixSocket.this.close();
        }
    }
}
