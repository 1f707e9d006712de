package io.gochan.http.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small real HTTP proxy on loopback for the transport's proxy tests: forwards absolute-form requests
 * (fixed-length responses), opens {@code CONNECT} tunnels, and optionally demands Basic credentials
 * (407 without them). Every host name is "resolved" to 127.0.0.1, so tests can use names like
 * {@code origin.test} that only the proxy knows how to reach. It records the request lines and
 * {@code Proxy-Authorization} values it saw.
 */
public final class TestProxy implements AutoCloseable {
    private final RawServer server;
    private final String credentials; // expected Proxy-Authorization value, or null
    /** Request lines as received ("GET http://a/ HTTP/1.1", "CONNECT a:1 HTTP/1.1"). */
    public final List<String> requestLines = new CopyOnWriteArrayList<>();
    /** Request heads as received, request line and fields, each ending with the blank line. */
    public final List<String> heads = new CopyOnWriteArrayList<>();
    /** Proxy-Authorization values received (one per request; "" when absent). */
    public final List<String> authorizations = new CopyOnWriteArrayList<>();

    private final String connectAnswer; // the answer that opens a tunnel, blank line included

    private TestProxy(String credentials) throws IOException {
        this(credentials, "HTTP/1.1 200 Connection established\r\n\r\n");
    }

    private TestProxy(String credentials, String connectAnswer) throws IOException {
        this.credentials = credentials;
        this.connectAnswer = connectAnswer;
        this.server = RawServer.start(this::serve);
    }

    /**
     * A proxy that opens its tunnels with {@code answer} instead of {@code 200 Connection established}.
     *
     * @param answer the status line and fields, ending with the blank line
     * @return the proxy
     */
    public static TestProxy openingTunnelsWith(String answer) throws IOException {
        return new TestProxy(null, answer);
    }

    /** @return a proxy that asks for no credentials */
    public static TestProxy start() throws IOException {
        return new TestProxy(null);
    }

    /**
     * A proxy that answers 407 unless {@code Proxy-Authorization} is exactly {@code expected}.
     *
     * @param expected the header value required, e.g. {@code Basic dTpw}
     * @return the proxy
     */
    public static TestProxy requiring(String expected) throws IOException {
        return new TestProxy(expected);
    }

    /** @return {@code http://127.0.0.1:port} */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** @return the proxy's port */
    public int port() {
        return server.port();
    }

    /** @return client connections accepted */
    public int accepted() {
        return server.accepted();
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private void serve(RawServer.Conn c) throws Exception {
        while (true) {
            String head = c.readRequestHead();
            if (head == null) {
                return;
            }
            String requestLine = head.substring(0, head.indexOf("\r\n"));
            requestLines.add(requestLine);
            heads.add(head);
            String auth = header(head, "Proxy-Authorization");
            authorizations.add(auth == null ? "" : auth);
            String length = header(head, "Content-Length");
            byte[] body = length == null ? new byte[0] : c.readBody(Integer.parseInt(length));
            if (credentials != null && !credentials.equals(auth)) {
                c.write("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                        + "Content-Length: 0\r\n\r\n");
                if (requestLine.startsWith("CONNECT ")) {
                    return;
                }
                continue;
            }
            String[] parts = requestLine.split(" ");
            if (parts[0].equals("CONNECT")) {
                tunnel(c, parts[1]);
                return;
            }
            forward(c, parts[0], URI.create(parts[1]), head, body);
        }
    }

    private static int port(String authority) {
        return Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1));
    }

    private static Socket dialOrigin(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000); // every name is loopback here
        return s;
    }

    private void tunnel(RawServer.Conn c, String authority) throws Exception {
        try (Socket origin = dialOrigin(port(authority))) {
            c.write(connectAnswer);
            Thread back = Thread.ofVirtual().name("test-proxy-pump").start(() -> pump(origin, c.socket));
            pump(c.socket, origin);
            back.join();
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException e) {
            // one side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    private void forward(RawServer.Conn c, String method, URI target, String head, byte[] body) throws IOException {
        StringBuilder out = new StringBuilder().append(method).append(' ').append(target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath());
        if (target.getRawQuery() != null) {
            out.append('?').append(target.getRawQuery());
        }
        out.append(" HTTP/1.1\r\n");
        String[] lines = head.split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            String lower = lines[i].toLowerCase(Locale.ROOT);
            if (!lower.startsWith("proxy-authorization:") && !lower.startsWith("connection:")) {
                out.append(lines[i]).append("\r\n");
            }
        }
        out.append("Connection: close\r\n\r\n");
        try (Socket origin = dialOrigin(target.getPort() == -1 ? 80 : target.getPort())) {
            OutputStream o = origin.getOutputStream();
            o.write(out.toString().getBytes(StandardCharsets.ISO_8859_1));
            o.write(body);
            o.flush();
            InputStream in = origin.getInputStream();
            ByteArrayOutputStream responseHead = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("origin closed inside its response head");
                }
                responseHead.write(b);
                state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : b == '\r' ? 1 : 0;
            }
            String rh = responseHead.toString(StandardCharsets.ISO_8859_1);
            String len = header(rh, "Content-Length");
            byte[] responseBody = len == null ? new byte[0] : in.readNBytes(Integer.parseInt(len));
            // Relay without the origin's "Connection: close": the client's connection to us stays open.
            StringBuilder relayed = new StringBuilder();
            for (String line : rh.split("\r\n")) {
                if (!line.isEmpty() && !line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                    relayed.append(line).append("\r\n");
                }
            }
            relayed.append("\r\n");
            c.out.write(relayed.toString().getBytes(StandardCharsets.ISO_8859_1));
            c.write(responseBody);
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
