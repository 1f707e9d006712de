package io.gochan.http.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small real SOCKS5 server (RFC 1928, CONNECT only, with RFC 1929 username/password if configured)
 * on loopback. Every destination is reached on 127.0.0.1 at the requested port. It records the
 * destinations requested ("origin.test:8443") and can be told to refuse with a reply code.
 */
public final class Socks5Proxy implements AutoCloseable {
    private final RawServer server;
    private final byte[] user;
    private final byte[] password;
    private final int refuseWith;
    /** Destinations asked for, as host:port (a name as sent, not resolved). */
    public final List<String> destinations = new CopyOnWriteArrayList<>();

    private Socks5Proxy(byte[] user, byte[] password, int refuseWith) throws IOException {
        this.user = user;
        this.password = password;
        this.refuseWith = refuseWith;
        this.server = RawServer.start(this::serve);
    }

    /** @return a server without authentication */
    public static Socks5Proxy start() throws IOException {
        return new Socks5Proxy(null, null, 0);
    }

    /**
     * A server that requires username/password authentication.
     *
     * @param user the username
     * @param password the password
     * @return the server
     */
    public static Socks5Proxy requiring(String user, String password) throws IOException {
        return new Socks5Proxy(user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8), 0);
    }

    /**
     * A server that requires username/password authentication with exactly these bytes (RFC 1929 names no charset).
     *
     * @param user the username's bytes
     * @param password the password's bytes
     * @return the server
     */
    public static Socks5Proxy requiringBytes(byte[] user, byte[] password) throws IOException {
        return new Socks5Proxy(user.clone(), password.clone(), 0);
    }

    /**
     * A server that answers every CONNECT with reply code {@code rep}.
     *
     * @param rep the reply code, 1-8
     * @return the server
     */
    public static Socks5Proxy refusing(int rep) throws IOException {
        return new Socks5Proxy(null, null, rep);
    }

    /** @return the server's port */
    public int port() {
        return server.port();
    }

    private void serve(RawServer.Conn c) throws Exception {
        DataInputStream in = new DataInputStream(c.in);
        if (in.readUnsignedByte() != 5) {
            return;
        }
        byte[] methods = in.readNBytes(in.readUnsignedByte());
        int wanted = user == null ? 0 : 2;
        boolean offered = false;
        for (byte m : methods) {
            offered |= m == wanted;
        }
        if (!offered) {
            c.write(new byte[] {5, (byte) 0xff});
            return;
        }
        c.write(new byte[] {5, (byte) wanted});
        if (wanted == 2) {
            in.readUnsignedByte();
            byte[] u = in.readNBytes(in.readUnsignedByte());
            byte[] p = in.readNBytes(in.readUnsignedByte());
            boolean ok = java.util.Arrays.equals(u, user) && java.util.Arrays.equals(p, password);
            c.write(new byte[] {1, (byte) (ok ? 0 : 1)});
            if (!ok) {
                return;
            }
        }
        in.readUnsignedByte(); // version
        int cmd = in.readUnsignedByte();
        in.readUnsignedByte();
        int type = in.readUnsignedByte();
        String host = switch (type) {
            case 1 -> InetAddress.getByAddress(in.readNBytes(4)).getHostAddress();
            case 4 -> InetAddress.getByAddress(in.readNBytes(16)).getHostAddress();
            default -> new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.US_ASCII);
        };
        int port = in.readUnsignedShort();
        destinations.add(host + ":" + port);
        if (cmd != 1 || refuseWith != 0) {
            c.write(new byte[] {5, (byte) (cmd != 1 ? 7 : refuseWith), 0, 1, 0, 0, 0, 0, 0, 0});
            return;
        }
        try (Socket origin = new Socket()) {
            origin.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            c.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
            Thread back = Thread.ofVirtual().name("test-socks-pump").start(() -> pump(origin, c.socket));
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

    @Override
    public void close() throws Exception {
        server.close();
    }
}
