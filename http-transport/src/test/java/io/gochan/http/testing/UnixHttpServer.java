package io.gochan.http.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 server on a Unix domain socket (as Docker's API is served), keep-alive, one virtual
 * thread per connection. The handler gets the request head (request line and headers, as text) and
 * writes the whole response itself.
 */
public final class UnixHttpServer implements AutoCloseable {
    /** Writes a response to one request. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Answers one request.
         *
         * @param head the request line and header lines, CRLF-separated, without the blank line
         * @param out the connection's output
         * @throws IOException if writing failed
         * @throws InterruptedException if the server is closing
         */
        void handle(String head, OutputStream out) throws IOException, InterruptedException;
    }

    private final Path dir;
    private final Path path;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Thread acceptor;

    private UnixHttpServer(Handler handler) throws IOException {
        this.dir = Files.createTempDirectory("gochan-unix");
        this.path = dir.resolve("http.sock");
        this.handler = handler;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        this.acceptor = Thread.ofVirtual().name("unix-server-accept").start(this::accept);
    }

    /**
     * Starts a server on a new socket file in a temporary directory.
     *
     * @param handler answers each request
     * @return the running server
     * @throws IOException if the socket cannot be made
     */
    public static UnixHttpServer start(Handler handler) throws IOException {
        return new UnixHttpServer(handler);
    }

    /** Writes a complete 200 response with {@code body}. */
    public static void ok(OutputStream out, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
    }

    /** @return the socket file */
    public Path path() {
        return path;
    }

    /** @return connections accepted so far */
    public int connections() {
        return connections.get();
    }

    private void accept() {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            clients.add(ch);
            threads.add(Thread.ofVirtual().name("unix-server-conn").start(() -> serve(ch)));
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                long length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Long.parseLong(line.substring(15).trim());
                    }
                }
                in.readNBytes((int) length);
                handler.handle(head, out);
            }
        } catch (IOException | InterruptedException e) {
            // the client or close() ended the connection
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : c == '\r' ? 1 : 0;
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.substring(0, s.length() - 4);
    }

    /**
     * Shuts every open connection for input on the server's side: the server reads nothing more, and a
     * client's write to such a connection is refused ({@code EPIPE}) while its reads still wait.
     *
     * @throws IOException if a shutdown fails
     */
    public void shutdownInputOfEveryConnection() throws IOException {
        for (SocketChannel c : clients) {
            if (c.isOpen()) {
                c.shutdownInput();
            }
        }
    }

    /** Stops accepting, closes every connection, waits for the server's threads and deletes the socket file. */
    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        acceptor.join();
        for (SocketChannel c : clients) {
            c.close();
        }
        for (Thread t : threads) {
            t.interrupt();
            t.join();
        }
        Files.deleteIfExists(path);
        Files.deleteIfExists(dir);
    }
}
