package io.gochan.http;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A plain socket whose stream calls a test hooks, for a {@link Dialer} whose sockets fail, block or note a moment at one
 * call: a subclass overrides {@link #availableIn}, {@link #readFrom} or {@link #writeTo}, each given the socket's own
 * stream, and the socket's own methods ({@code close}, {@code shutdownOutput}, ...) as any socket's. Only the input's
 * {@code available()} and bulk {@code read}, and the output's bulk {@code write}, go through the hooks (the transport
 * reads and writes in bulk; the one-byte calls go to the socket's streams as they are).
 */
class HookedSocket extends Socket {
    private InputStream in;
    private OutputStream out;

    /** {@return a dialer that connects a new socket of {@code sockets} to each address it is asked for} */
    static Dialer dialer(Supplier<? extends Socket> sockets) {
        return (host, port, timeout) -> {
            Socket s = sockets.get();
            s.connect(new InetSocketAddress(host, port));
            return s;
        };
    }

    /** Runs {@code step}'s runnable and clears it, if one is set: a test's one-off step at a socket call. */
    static void runOnce(AtomicReference<Runnable> step) {
        Runnable r = step.getAndSet(null);
        if (r != null) {
            r.run();
        }
    }

    /** The input's {@code available()}: by default the socket's own. */
    protected int availableIn(InputStream raw) throws IOException {
        return raw.available();
    }

    /** The input's bulk {@code read}: by default the socket's own. */
    protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
        return raw.read(b, off, len);
    }

    /**
     * A bulk read of {@code raw} that answers the end of the stream once this socket is closed, whether the read began
     * before the close (it was blocked in the socket, and the close's {@link SocketException} ends it) or after it, as
     * the JDK's {@code SSLSocket} answers once closed (its input shut or depleted): for a {@link #readFrom} that plays
     * such a socket over plain TCP.
     */
    protected final int readEndingAtClose(InputStream raw, byte[] b, int off, int len) throws IOException {
        if (isClosed()) {
            return -1;
        }
        try {
            return raw.read(b, off, len);
        } catch (SocketException e) {
            if (isClosed()) {
                return -1; // closed under the read: an end of stream, as a closed SSLSocket's
            }
            throw e;
        }
    }

    /** The output's bulk {@code write}: by default the socket's own, in one call. */
    protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
        raw.write(b, off, len);
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (in == null) {
            InputStream raw = super.getInputStream();
            in = new FilterInputStream(raw) {
                @Override
                public int available() throws IOException {
                    return availableIn(raw);
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return readFrom(raw, b, off, len);
                }
            };
        }
        return in;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (out == null) {
            OutputStream raw = super.getOutputStream();
            out = new FilterOutputStream(raw) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    writeTo(raw, b, off, len);
                }
            };
        }
        return out;
    }
}
