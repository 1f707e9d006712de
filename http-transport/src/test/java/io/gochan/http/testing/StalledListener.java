package io.gochan.http.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP address where a connect hangs, as at an unreachable host: a listener with a backlog of one
 * that never accepts, its queue filled until a connect no longer completes (Linux then drops further
 * SYNs). Only loopback is used.
 */
public final class StalledListener implements AutoCloseable {
    private final ServerSocketChannel server;
    private final List<Socket> fillers = new ArrayList<>();

    private StalledListener(InetSocketAddress address) throws IOException {
        server = ServerSocketChannel.open();
        try {
            server.bind(address, 1);
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                fillers.add(s);
                try {
                    s.connect(server.getLocalAddress(), 300);
                } catch (SocketTimeoutException e) {
                    return; // full: the next connect hangs too
                }
            }
            throw new IllegalStateException("the listen queue of " + address + " never filled up");
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * A stalled listener on {@code address}.
     *
     * @param address a loopback address and port
     * @return the listener
     * @throws IOException if it cannot be bound
     */
    public static StalledListener on(InetSocketAddress address) throws IOException {
        return new StalledListener(address);
    }

    @Override
    public void close() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        server.close();
    }
}
