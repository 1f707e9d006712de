package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * R41: a Unix socket's {@code available()} tells the bytes that wait in it (the idle look of P37 and E55 asks it),
 * and the bytes it took are read next, in order, by a reader that was already waiting or one that comes later.
 */
@NoGoroutineLeaks
class UnixSocketAvailableTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R41_availableTellsWaitingBytesAndTheyAreReadInOrder() throws Exception {
        connected((client, peer) -> {
            InputStream in = client.getInputStream();
            assertThat(in.available()).as("nothing sent yet").isZero();
            peer.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII))); // a Unix write returns once delivered
            assertThat(in.available()).as("bytes waiting in the socket").isEqualTo(3);
            assertThat(in.available()).as("asked again").isEqualTo(3);
            peer.write(ByteBuffer.wrap("def".getBytes(StandardCharsets.US_ASCII)));
            byte[] b = new byte[16];
            int n = in.read(b, 0, b.length);
            assertThat(new String(b, 0, n, StandardCharsets.US_ASCII)).as("the bytes available() took come first").isEqualTo("abc");
            n = in.read(b, 0, b.length);
            assertThat(new String(b, 0, n, StandardCharsets.US_ASCII)).isEqualTo("def");

            // A reader already waiting on its selector when available() takes the bytes is woken for them.
            client.setSoTimeout(30_000);
            CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] r = new byte[16];
                    int k = in.read(r, 0, r.length);
                    return new String(r, 0, k, StandardCharsets.US_ASCII);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, Thread::startVirtualThread);
            peer.write(ByteBuffer.wrap("ghi".getBytes(StandardCharsets.US_ASCII)));
            in.available(); // may take the bytes before the reader, or find them gone: either way the reader gets them
            assertThat(reader.get(20, TimeUnit.SECONDS)).isEqualTo("ghi");

            peer.close();
            assertThat(in.available()).as("at the end of the stream").isZero();
            assertThat(in.read(b, 0, b.length)).isEqualTo(-1);
        });
    }

    /**
     * R41: asking {@code available()} on an interrupted thread (a request taking an idle connection as its caller is
     * interrupted) tells the waiting bytes and leaves the socket open and the interrupt set: its read cannot block, and
     * the JDK closes a channel for an interrupt only in a blocking operation; a good idle connection never ends for an
     * interrupt that is not its own. (Holds as written; pinned so that a blocking look never creeps in.)
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R41_availableOnAnInterruptedThreadLeavesTheSocketOpen() throws Exception {
        connected((client, peer) -> {
            InputStream in = client.getInputStream();
            peer.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
            int n;
            boolean stillInterrupted;
            Thread.currentThread().interrupt();
            try {
                n = in.available();
            } finally {
                stillInterrupted = Thread.interrupted();
            }
            assertThat(stillInterrupted).as("the interrupt kept").isTrue();
            assertThat(n).isEqualTo(3);
            assertThat(client.isClosed()).isFalse();
            byte[] b = new byte[16];
            int k = in.read(b, 0, b.length);
            assertThat(new String(b, 0, k, StandardCharsets.US_ASCII)).isEqualTo("abc");
            client.getOutputStream().write('x'); // still a working connection both ways
            ByteBuffer got = ByteBuffer.allocate(1);
            assertThat(peer.read(got)).isEqualTo(1);
        });
    }

    /** A connected pair: this transport's Unix socket and the server's end of it. */
    @FunctionalInterface
    private interface Pair {
        void run(UnixSocket client, SocketChannel peer) throws Exception;
    }

    /** Runs {@code test} on a fresh connected pair over a socket file of its own, removed afterwards. */
    private static void connected(Pair test) throws Exception {
        Path dir = Files.createTempDirectory("gochan-unix-available");
        Path path = dir.resolve("s.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            try (UnixSocket client = UnixSocket.connect(UnixDomainSocketAddress.of(path));
                 SocketChannel peer = server.accept()) {
                test.run(client, peer);
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }
}
