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
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Unix domain socket ({@link SocketChannel} of {@link StandardProtocolFamily#UNIX}) seen as a
 * {@link Socket}, so that the connection code, which reads through socket timeouts (the body read
 * slices of ADR 0008) and closes by {@link #close()}, runs on it unchanged (R4). The JDK gives no
 * socket adaptor for Unix channels and a blocking channel has no read timeout, so the channel is
 * non-blocking, and a read or write that must wait parks its thread ({@link LockSupport}) until the one
 * poller thread that all Unix sockets share ({@code UnixPoller}, {@code gochan-unix-poller}) finds the
 * channel ready (R95, ADR 0017). So a virtual thread waiting here is unmounted on every JDK from 21: a
 * {@code Selector.select()} of its own would hold its carrier in native code on JDK 21 to 24.
 *
 * <p>As a JDK socket on a virtual thread: an interrupt of a thread blocked in a read or write closes
 * the socket and the call throws {@link SocketException}; {@link #close()} from another thread ends
 * both at once. One reader and one writer may work at the same time. {@code available()} tells the bytes
 * waiting, as a TCP socket's does (R41): the idle look of P37 and E55 asks it.
 */
public final class UnixSocket extends Socket {
    private final SocketChannel channel;
    private final UnixDomainSocketAddress address;
    /** The reader's wait in progress, or null: {@link #close()} and {@code available()} wake it. */
    private volatile UnixPoller.Waiter readWaiter;
    /** The writer's wait in progress, or null: {@link #close()} wakes it. */
    private volatile UnixPoller.Waiter writeWaiter;
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
        try {
            channel.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            closeQuietlyInto(channel, e);
            throw e;
        }
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
        try {
            channel.close(); // cancels its key with the poller, if a wait of it is registered there (R105)
        } catch (IOException e) {
            failure = e;
        }
        // A waiter that published itself before `closed` was set is woken here; one that publishes later sees
        // `closed` before it parks (both fields are volatile).
        wake(readWaiter);
        wake(writeWaiter);
        // A registered channel's descriptor is released only when its cancelled key is deregistered, at the
        // poller's next select (the JDK shuts its output at once, so the peer sees the end of the stream): wake
        // the poller, or an idle one kept the descriptor until some other socket's wait.
        UnixPoller.wakeupRunning();
        if (failure != null) {
            throw failure;
        }
    }

    private static void wake(UnixPoller.Waiter w) {
        if (w != null) {
            w.wake();
        }
    }

    /**
     * Whether the channel is still registered with the poller's selector: while a read or write of it waits, and until
     * the poller's next select after the last wait ended or the socket closed (R105); for tests.
     */
    boolean isRegisteredForTest() {
        return channel.isRegistered();
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

    /**
     * Waits, parked, until the channel may be ready for {@code op} ({@link SelectionKey#OP_READ} or
     * {@code OP_WRITE}: the caller tries again and may wait again), the socket is closed, the thread is
     * interrupted, or {@code deadline} ({@link System#nanoTime()}; 0 for none) passes; false if it passed.
     * The thread parks in {@link LockSupport} whatever its kind (R95): a virtual thread unmounts on every JDK.
     */
    private boolean await(int op, long deadline) throws IOException {
        UnixPoller.Waiter w = new UnixPoller.Waiter(channel, op);
        boolean read = op == SelectionKey.OP_READ;
        UnixPoller poller = null;
        boolean timedOut = false;
        if (read) {
            readWaiter = w;
        } else {
            writeWaiter = w;
        }
        try {
            // available() may have taken the bytes after this reader's channel read found none and before the
            // reader published itself above: then it woke nobody, and the channel will not signal them again.
            if (!(read && stashed())) {
                poller = UnixPoller.get();
                poller.submit(w);
                while (!w.woken && !closed && !Thread.currentThread().isInterrupted()) {
                    if (deadline == 0) {
                        LockSupport.park(this);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            timedOut = true;
                            break;
                        }
                        LockSupport.parkNanos(this, left);
                    }
                }
            }
        } finally {
            if (read) {
                readWaiter = null;
            } else {
                writeWaiter = null;
            }
            if (poller != null && !w.polled) {
                poller.cancel(w); // the poller still holds the wait: a channel ready later must not wake this thread
            }
        }
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
        Throwable pollerFailed = w.failure;
        if (pollerFailed != null) {
            throw UnixPoller.failed(pollerFailed); // made here, on this thread: the dying poller makes none (R106)
        }
        return !timedOut;
    }

    /** Whether {@code available()} holds bytes for the next read. */
    private boolean stashed() {
        stashLock.lock();
        try {
            return stash != null && stash.hasRemaining();
        } finally {
            stashLock.unlock();
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
                    if (deadline != 0 && deadline - System.nanoTime() <= 0) {
                        throw new SocketTimeoutException("Read timed out");
                    }
                    await(SelectionKey.OP_READ, deadline); // false past the deadline: the check above then throws
                }
            } finally {
                readLock.unlock();
            }
        }

        /**
         * The bytes the socket holds that a read would return now (R41). A socket channel has no
         * {@code available()}, and answering 0 hid bytes a server sent on an idle connection from the look
         * that keeps them from answering the next request (P37, E55): they are read here without blocking, kept
         * (in order, ahead of the channel) for the next read, and a reader waiting for the channel is woken for
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
                // A reader in await() would otherwise wait for bytes the stash now holds. Read after the stash was
                // filled: a reader that publishes itself later finds the stash full before it parks (await).
                wake(readWaiter);
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
                        await(SelectionKey.OP_WRITE, 0);
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
