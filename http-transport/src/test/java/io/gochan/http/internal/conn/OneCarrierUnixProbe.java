package io.gochan.http.internal.conn;

import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The child JVM's program of {@code UnixSocketCarrierTest.R95_unixReadsWaitingOnOneCarrierLeaveItFree} (R95), run with
 * one carrier thread and no spare: eight virtual threads wait to read eight Unix sockets (as eight idle pooled
 * connections' read loops do); another virtual thread must still run, and each reader must read the byte its peer
 * then writes. Prints "probe ok" and exits 0, or prints what failed and halts with 1 (a reader holding the only
 * carrier would keep an orderly exit from running anything).
 */
public final class OneCarrierUnixProbe {
    private static final int READERS = 8;
    private static final String READ = "io.gochan.http.internal.conn.UnixSocket$In.read";

    private OneCarrierUnixProbe() {}

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0], "probe.sock");
        List<UnixSocket> clients = new ArrayList<>();
        List<SocketChannel> peers = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        List<AtomicReference<Object>> outcomes = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            for (int i = 0; i < READERS; i++) {
                clients.add(UnixSocket.connect(UnixDomainSocketAddress.of(path)));
                peers.add(server.accept());
            }
            for (int i = 0; i < READERS; i++) {
                AtomicReference<Object> outcome = new AtomicReference<>();
                outcomes.add(outcome);
                InputStream in = clients.get(i).getInputStream();
                readers.add(Thread.ofVirtual().name("unix-reader-" + i).start(() -> {
                    try {
                        outcome.set(in.read(new byte[16], 0, 16));
                    } catch (Throwable t) {
                        outcome.set(t);
                    }
                }));
            }
            for (Thread r : readers) {
                awaitParkedInRead(r);
            }
            // The readers wait; the one carrier must still run another virtual thread.
            Thread other = Thread.ofVirtual().name("other").start(() -> { });
            if (!other.join(Duration.ofSeconds(20))) {
                fail("with " + READERS + " Unix reads waiting, the carrier ran no other virtual thread");
            }
            for (SocketChannel peer : peers) {
                peer.write(ByteBuffer.wrap(new byte[] {'x'}));
            }
            for (int i = 0; i < READERS; i++) {
                if (!readers.get(i).join(Duration.ofSeconds(20)) || !Integer.valueOf(1).equals(outcomes.get(i).get())) {
                    fail("reader " + i + " did not read its byte: " + outcomes.get(i).get());
                }
            }
        } finally {
            for (UnixSocket c : clients) {
                c.close();
            }
            for (SocketChannel p : peers) {
                p.close();
            }
            Files.deleteIfExists(path);
        }
        System.out.println("probe ok");
        System.out.flush();
        System.exit(0);
    }

    /** Polls (bounded, 20 s) until {@code t} is inside the Unix read and not running; else fails with its stack. */
    private static void awaitParkedInRead(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            StackTraceElement[] stack = t.getStackTrace();
            Thread.State state = t.getState();
            boolean inside = Arrays.stream(stack).anyMatch(e -> (e.getClassName() + "." + e.getMethodName()).equals(READ));
            if (inside && state != Thread.State.RUNNABLE && state != Thread.State.NEW) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                fail(t.getName() + " is not parked in its read (JDK 21-24's selector holds the carrier): " + state
                        + System.lineSeparator() + Arrays.toString(stack).replace(", ", System.lineSeparator()));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // a bounded poll of what the JDK reports
        }
    }

    private static void fail(String why) {
        System.out.println("probe failed: " + why);
        System.out.flush();
        Runtime.getRuntime().halt(1);
    }
}
