package io.gochan.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback server that accepts every connection and never answers its ClientHello: a dial to it (an {@code https}
 * URI) stays in its TLS handshake until the client gives up. {@link #close()} closes the listening socket, waits for
 * its acceptor and closes every accepted socket; a second close does nothing.
 */
final class SilentTlsServer implements AutoCloseable {
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final Thread acceptor = Thread.ofVirtual().start(() -> {
        try {
            while (true) {
                accepted.add(socket.accept()); // accepts and never answers the ClientHello
            }
        } catch (IOException closed) {
            // the test closed it
        }
    });

    SilentTlsServer() throws IOException {}

    /** {@return the server's address as an {@code https} URI of path {@code /}} */
    String uri() {
        return "https://127.0.0.1:" + socket.getLocalPort() + "/";
    }

    /** {@return whether the server has accepted a connection} */
    boolean acceptedAny() {
        return !accepted.isEmpty();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        socket.close();
        acceptor.join();
        for (Socket s : accepted) {
            s.close();
        }
    }
}
