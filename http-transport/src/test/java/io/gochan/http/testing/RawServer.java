package io.gochan.http.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw-socket HTTP test server on loopback: each accepted connection runs a scripted handler on
 * its own virtual thread, with direct access to the bytes, so tests can send malformed or hostile
 * responses, stall, close or reset exactly when they want. It counts accepted connections, records
 * handler failures, and on {@link #close()} closes every socket and joins every handler thread.
 */
public final class RawServer implements AutoCloseable {
    /**
     * Reads past one request head on {@code in} (up to the first run of four CR/LF bytes), for scripts that read
     * from a stream of their own (a TLS socket); false at EOF.
     */
    public static boolean skipRequestHead(java.io.InputStream in) throws IOException {
        for (int state = 0, ch; (ch = in.read()) >= 0; ) {
            state = (ch == '\r' || ch == '\n') ? state + 1 : 0;
            if (state == 4) {
                return true;
            }
        }
        return false;
    }

    /** One connection's script. */
    @FunctionalInterface
    public interface Handler {
        void handle(Conn conn) throws Exception;
    }

    /** The server side of one accepted connection. */
    public static final class Conn {
        public final Socket socket;
        public final InputStream in;
        public final OutputStream out;
        public final int index;
        /** The accepted TCP socket: {@link #socket} itself, or the one a layered socket (TLS) runs over. */
        private final Socket raw;

        Conn(Socket socket, int index) throws IOException {
            this(socket, socket, index);
        }

        private Conn(Socket socket, Socket raw, int index) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.index = index;
            this.raw = raw;
        }

        /**
         * The same connection spoken through {@code layered}, a socket over this one's (a server-side TLS socket of
         * {@link JdkServer#serverTls}), so that a script written for plain connections runs over TLS unchanged;
         * its {@link #reset()} resets the TCP connection below.
         */
        public Conn over(Socket layered) throws IOException {
            return new Conn(layered, raw, index);
        }

        /** Reads one request head (up to the blank line) and returns it; null on EOF before any byte. */
        public String readRequestHead() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int c = in.read();
                if (c < 0) {
                    if (b.size() == 0) {
                        return null;
                    }
                    throw new IOException("EOF inside request head: " + b);
                }
                b.write(c);
                state = switch (state) {
                    case 0, 2 -> c == '\r' ? state + 1 : 0;
                    case 1, 3 -> c == '\n' ? state + 1 : (c == '\r' ? 1 : 0);
                    default -> state;
                };
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        /** Reads exactly n body bytes. */
        public byte[] readBody(int n) throws IOException {
            return in.readNBytes(n);
        }

        /** Reads a request head and its Content-Length body; null on EOF. */
        public String readRequest() throws IOException {
            String head = readRequestHead();
            if (head == null) {
                return null;
            }
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    readBody(Integer.parseInt(line.substring(15).trim()));
                }
            }
            return head;
        }

        /**
         * Reads one request, head and body, and returns exactly the bytes received (ISO-8859-1): the body
         * framed by the head's Content-Length or chunked coding (chunk lines and trailers included), none
         * if it has neither. Null on EOF before any byte.
         */
        public String readRawRequest() throws IOException {
            String head = readRequestHead();
            if (head == null) {
                return null;
            }
            StringBuilder raw = new StringBuilder(head);
            String lower = head.toLowerCase(java.util.Locale.ROOT);
            if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
                while (true) {
                    String size = readLine();
                    raw.append(size).append("\r\n");
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        for (String t; !(t = readLine()).isEmpty(); ) {
                            raw.append(t).append("\r\n");
                        }
                        return raw.append("\r\n").toString();
                    }
                    raw.append(new String(readBody(n + 2), StandardCharsets.ISO_8859_1));
                }
            }
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    raw.append(new String(readBody(Integer.parseInt(line.substring(15).trim())), StandardCharsets.ISO_8859_1));
                }
            }
            return raw.toString();
        }

        private String readLine() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("EOF inside a line: " + b);
                }
                b.write(c);
            }
            String s = b.toString(StandardCharsets.ISO_8859_1);
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }

        /** Writes ISO-8859-1 text and flushes. */
        public void write(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Writes bytes and flushes. */
        public void write(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        /**
         * If {@code head} is a {@code GET} of {@code path} (or of a path that starts with it), answers it with
         * {@link #OK} and returns true; otherwise writes nothing and returns false. The scripts whose other requests
         * stall, fail or go unanswered serve with it the follow-up request (by convention {@code GET /next}) by which a
         * test shows that the transport still works.
         */
        public boolean answerGet(String head, String path) throws IOException {
            if (!head.startsWith("GET " + path)) {
                return false;
            }
            write(OK);
            return true;
        }

        /** Reads and discards everything the client sends, until it closes the connection. */
        public void readUntilClosed() throws IOException {
            in.transferTo(OutputStream.nullOutputStream());
        }

        /**
         * Never reads again: whatever the client still sends fills the socket buffers until its writes block.
         * Returns when the server closes (which interrupts every handler). A test that needs a client's write
         * to stay blocked uses this, not a slow read loop, which lets the upload trickle on.
         */
        public void holdWithoutReading() {
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the server is closing: the handler ends
            }
        }

        /**
         * Waits until the client's TCP stack has acknowledged every byte (and the FIN) this side sent: what was
         * written has then reached the client's socket, whether or not the client has read it. A write that
         * returned has only handed the bytes to this side's kernel; on a loaded machine their delivery over
         * loopback can come after the test's next step, so a test whose point is "the client had received it"
         * waits for this. Read from Linux's {@code /proc/net/tcp} and {@code tcp6} (this socket's {@code tx_queue}:
         * bytes written and not yet acknowledged); where they do not exist or no longer list the socket, returns
         * at once. Works after the socket was closed (its ports are kept).
         *
         * @throws AssertionError if the bytes are still unacknowledged after {@code bound}
         */
        public void awaitSentBytesAcknowledged(Duration bound) throws InterruptedException {
            String local = String.format(":%04X ", socket.getLocalPort());
            String remote = String.format(":%04X ", socket.getPort());
            long end = System.nanoTime() + bound.toNanos();
            while (unacknowledged(local, remote)) {
                if (System.nanoTime() - end > 0) {
                    throw new AssertionError("bytes sent to port " + socket.getPort() + " still unacknowledged after " + bound);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                java.util.concurrent.locks.LockSupport.parkNanos(200_000L);
            }
        }

        private static boolean unacknowledged(String local, String remote) {
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                List<String> lines;
                try {
                    lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of(table));
                } catch (IOException | UnsupportedOperationException e) {
                    continue; // not Linux: nothing to wait for
                }
                for (String line : lines) {
                    // "  sl  local_address rem_address   st tx_queue:rx_queue ..."; addresses are HEXIP:PORT
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 4 && (f[1] + " ").endsWith(local) && (f[2] + " ").endsWith(remote)) {
                        String tx = f[4].substring(0, f[4].indexOf(':'));
                        if (Long.parseLong(tx, 16) != 0) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        /** Closes with an RST instead of a FIN. */
        public void reset() throws IOException {
            raw.setSoLinger(true, 0);
            raw.close();
        }
    }

    /** A keep-alive 200 with the 2-byte body {@code ok}: the answer of {@link #answeringOk()} and {@link Conn#answerGet}. */
    public static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private final ServerSocket server;
    private final Handler handler;
    private final Thread acceptor;
    private final List<Thread> handlers = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closing;

    private RawServer(Handler handler) throws IOException {
        this.handler = handler;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.acceptor = Thread.ofVirtual().name("raw-server-accept").start(this::acceptLoop);
    }

    /**
     * Starts a keep-alive server that answers every request on every connection with a 200 and the
     * 2-byte body {@code ok}, until the client closes the connection.
     */
    public static RawServer answeringOk() throws IOException {
        return start(c -> {
            while (c.readRequest() != null) {
                c.write(OK);
            }
        });
    }

    /** Starts a server on an ephemeral loopback port running {@code handler} for each connection. */
    public static RawServer start(Handler handler) throws IOException {
        return new RawServer(handler);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** http://127.0.0.1:port + path */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Number of connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /**
     * The handler threads still running, each with its state and the top of its stack: what a test that expected every
     * connection to end prints when one did not (which script line it waits in, and on what).
     */
    public String runningHandlers() {
        StringBuilder b = new StringBuilder();
        for (Thread t : handlers) {
            if (t.isAlive()) {
                b.append(t.getName()).append(' ').append(t.getState());
                StackTraceElement[] st = t.getStackTrace();
                for (int i = 0; i < Math.min(8, st.length); i++) {
                    b.append("\n    at ").append(st[i]);
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    /** Handler exceptions other than the socket being closed under them. */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    private void acceptLoop() {
        while (!closing) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    failures.add(e);
                }
                return;
            }
            sockets.add(s);
            int index = accepted.incrementAndGet() - 1;
            handlers.add(Thread.ofVirtual().name("raw-server-conn-" + index).start(() -> {
                try (s) {
                    handler.handle(new Conn(s, index));
                } catch (SocketException e) {
                    // the client or close() closed the socket under the script: expected in these tests
                } catch (Throwable t) {
                    if (!closing) {
                        failures.add(t);
                    }
                }
            }));
        }
    }

    /** Closes the listening socket and every connection, and joins every handler thread. */
    @Override
    public void close() throws Exception {
        closing = true;
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        if (!acceptor.join(Duration.ofSeconds(10))) {
            throw new AssertionError("raw server acceptor did not end");
        }
        for (Thread t : handlers) {
            t.interrupt();
            if (!t.join(Duration.ofSeconds(10))) {
                throw new AssertionError("raw server handler did not end: " + t);
            }
        }
    }
}
