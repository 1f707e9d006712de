package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R95: a thread waiting to read or write a Unix socket is parked in {@link LockSupport}, never inside a
 * {@code Selector} (whose {@code select()} on JDK 21 to 24 holds a virtual thread's carrier in the native
 * {@code EPoll.wait} for the whole wait, and on 25 parks it inside the selector). The shared poller thread does the
 * selecting; timeouts, interrupts and closes end a wait as the class documents (R4); the poller's death fails its
 * waiters instead of leaving them parked, and the next wait starts a new poller, which leak-check excuses (LK11).
 * The carrier itself is checked in a child JVM with one carrier and no spare.
 */
@NoGoroutineLeaks
class UnixSocketCarrierTest {
    static final String READ = "io.gochan.http.internal.conn.UnixSocket$In.read";
    static final String WRITE = "io.gochan.http.internal.conn.UnixSocket$Out.write";

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R95_aVirtualThreadWaitingToReadAUnixSocketIsParkedNotInASelector() throws Exception {
        connected((client, peer) -> {
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread reader = reader(client.getInputStream(), outcome); // nothing is sent: waits until the close below
            Seen seen = awaitWaitingIn(reader, READ);
            client.close(); // ends the read at once (SocketException)
            assertThat(reader.join(java.time.Duration.ofSeconds(10))).as("the read ended with the close").isTrue();
            assertThat(outcome.get()).isInstanceOf(SocketException.class);
            assertParkedOutsideAnySelector(seen, READ, Thread.State.WAITING);
        });
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R95_aVirtualThreadWaitingToWriteAUnixSocketIsParkedNotInASelector() throws Exception {
        connected((client, peer) -> {
            OutputStream out = client.getOutputStream();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Thread writer = Thread.ofVirtual().name("unix-writer").start(() -> {
                try {
                    out.write(new byte[64 << 20]); // the peer reads nothing: fills both socket buffers, then waits
                } catch (Throwable t) {
                    ended.set(t);
                }
            });
            Seen seen = awaitWaitingIn(writer, WRITE);
            client.close(); // ends the write at once (SocketException)
            assertThat(writer.join(java.time.Duration.ofSeconds(10))).as("the write ended with the close").isTrue();
            assertThat(ended.get()).isInstanceOf(SocketException.class);
            assertParkedOutsideAnySelector(seen, WRITE, Thread.State.WAITING);
        });
    }

    /** R95 with a read timeout: the wait is a timed park (TIMED_WAITING), still outside any selector. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R95_aTimedReadOfAUnixSocketIsATimedParkNotASelect() throws Exception {
        connected((client, peer) -> {
            client.setSoTimeout(30_000);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread reader = reader(client.getInputStream(), outcome);
            Seen seen = awaitWaitingIn(reader, READ);
            client.close();
            assertThat(reader.join(java.time.Duration.ofSeconds(10))).isTrue();
            assertParkedOutsideAnySelector(seen, READ, Thread.State.TIMED_WAITING);
        });
    }

    /**
     * R4 (kept by R95's poller): a read timeout ends the read with {@link SocketTimeoutException} and leaves the socket
     * open, as a TCP socket's; the bytes that come later are read by the next read.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R4_R95_aReadTimeoutLeavesTheUnixSocketOpen() throws Exception {
        connected((client, peer) -> {
            client.setSoTimeout(100);
            InputStream in = client.getInputStream();
            Object first = Bounded.outcome(() -> in.read(new byte[16], 0, 16));
            assertThat(first).isInstanceOf(SocketTimeoutException.class);
            assertThat(client.isClosed()).isFalse();
            client.setSoTimeout(30_000);
            peer.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
            byte[] b = new byte[16];
            int n = in.read(b, 0, b.length);
            assertThat(new String(b, 0, n, StandardCharsets.US_ASCII)).isEqualTo("abc");
        });
    }

    /**
     * R4 (kept by R95's poller): an interrupt of a thread waiting to read closes the socket and the read throws
     * {@link SocketException}, the interrupt still set, as a JDK socket on a virtual thread; the peer sees the end of
     * the stream.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R4_R95_anInterruptEndsAUnixReadClosingTheSocket() throws Exception {
        connected((client, peer) -> {
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
            InputStream in = client.getInputStream();
            Thread reader = Thread.ofVirtual().name("unix-reader").start(() -> {
                try {
                    outcome.set(in.read(new byte[16], 0, 16));
                } catch (Throwable t) {
                    outcome.set(t);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            awaitWaitingIn(reader, READ);
            reader.interrupt();
            assertThat(reader.join(java.time.Duration.ofSeconds(10))).as("the interrupt ended the read").isTrue();
            assertThat(outcome.get()).isInstanceOf(SocketException.class);
            assertThat(((SocketException) outcome.get()).getMessage()).isEqualTo("Closed by interrupt");
            assertThat(stillInterrupted.get()).as("the interrupt kept").isTrue();
            assertThat(client.isClosed()).isTrue();
            assertPeerSeesTheEnd(peer);
        });
    }

    /**
     * R95: a close from another thread wakes a waiting reader and a waiting writer at once, the peer sees the end of
     * the stream, and the channel leaves the shared poller: the JDK releases a registered channel's descriptor only
     * when its selector deregisters it, at the selector's next select, so the close wakes the idle poller (without
     * that, the descriptor stayed open until some other socket's wait woke it).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R95_aCloseWakesTheUnixReaderAndWriterAndReleasesTheSocket() throws Exception {
        connected((client, peer) -> {
            AtomicReference<Object> read = new AtomicReference<>();
            Thread reader = reader(client.getInputStream(), read);
            OutputStream out = client.getOutputStream();
            AtomicReference<Throwable> wrote = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().daemon().name("unix-writer").start(() -> {
                try {
                    out.write(new byte[64 << 20]);
                } catch (Throwable t) {
                    wrote.set(t);
                }
            });
            awaitWaitingIn(reader, READ);
            awaitWaitingIn(writer, WRITE);
            // The poller registers the channel after the waiter has handed itself over and parked: a bounded poll.
            long registered = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!client.isRegisteredForTest() && System.nanoTime() < registered) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            assertThat(client.isRegisteredForTest()).as("a wait registered the channel with the poller").isTrue();
            client.close();
            assertThat(reader.join(java.time.Duration.ofSeconds(10))).as("the close ended the read").isTrue();
            assertThat(writer.join(java.time.Duration.ofSeconds(10))).as("the close ended the write").isTrue();
            assertThat(read.get()).isInstanceOf(SocketException.class);
            assertThat(wrote.get()).isInstanceOf(SocketException.class);
            // The writer's bytes fill the peer's buffer: drain them, then the end must come.
            assertPeerSeesTheEnd(peer);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (client.isRegisteredForTest() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // a bounded poll of the JDK's deregistration
            }
            assertThat(client.isRegisteredForTest()).as("the closed channel left the poller (its descriptor released)").isFalse();
        });
    }

    /**
     * R95: should the poller end by an unchecked throw (here its selector is closed under it), its waiter is failed
     * with a {@link SocketException} naming it, not left parked for ever; the next wait starts a new poller, a
     * daemon platform thread that LK11 excuses as it does gochan's timer thread (this class's {@code @NoGoroutineLeaks}
     * would otherwise fail this test, which starts it).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R95_aDeadPollerFailsItsWaitersAndTheNextWaitStartsANewOne() throws Exception {
        AtomicReference<Thread> dead = new AtomicReference<>();
        connected((client, peer) -> {
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread reader = reader(client.getInputStream(), outcome);
            awaitWaitingIn(reader, READ);
            UnixPoller poller = UnixPoller.running();
            assertThat(poller).as("a wait started the poller").isNotNull();
            poller.closeSelectorForTest();
            assertThat(reader.join(java.time.Duration.ofSeconds(10))).as("the dead poller's waiter was failed, not left parked").isTrue();
            assertThat(outcome.get()).isInstanceOf(SocketException.class);
            assertThat(((SocketException) outcome.get()).getMessage()).contains("poller failed");
            assertThat(poller.thread().join(java.time.Duration.ofSeconds(10))).as("the dead poller's thread ended").isTrue();
            dead.set(poller.thread());
        });
        connected((client, peer) -> {
            client.setSoTimeout(30_000);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread reader = reader(client.getInputStream(), outcome);
            // Parked before the peer writes: a read that found the bytes already there would never wait, and so never
            // start a poller.
            awaitWaitingIn(reader, READ);
            peer.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.US_ASCII)));
            assertThat(reader.join(java.time.Duration.ofSeconds(20))).as("the read ended").isTrue();
            assertThat(outcome.get()).isEqualTo(3);
            Thread fresh = UnixPoller.running().thread();
            assertThat(fresh).isNotSameAs(dead.get());
            assertThat(fresh.getName()).isEqualTo(UnixPoller.THREAD_NAME);
            assertThat(fresh.isDaemon()).isTrue();
            assertThat(fresh.isVirtual()).isFalse();
        });
    }

    /**
     * R95's point, where it can be seen on any JDK: a child JVM with one carrier thread and no spare
     * ({@code parallelism=1}, {@code maxPoolSize=1}) keeps eight virtual threads waiting to read eight Unix sockets,
     * as eight idle pooled connections' read loops do, and a ninth virtual thread must still run, and the readers must
     * all finish once the peers write. On JDK 21 to 24 a selector wait held the only carrier: the child hung. (On JDK
     * 25 the selector parks too, so there this shows nothing new; the tests above see the selector frames.)
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void R95_unixReadsWaitingOnOneCarrierLeaveItFree(@TempDir Path dir) throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), OneCarrierUnixProbe.class.getName(), dir.toString());
        Path log = dir.resolve("child.log");
        // To a file, not a pipe: a hung child then fails the bounded wait instead of blocking a read.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            String text = Files.readString(log);
            assertThat(ended).as("child JVM ended within 120 s%n%s", text).isTrue();
            assertThat(p.exitValue()).as("exit of the one-carrier Unix probe%n%s", text).isZero();
            assertThat(text).contains("probe ok");
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    record Seen(Thread.State state, List<String> frames) {
        String stack() {
            return String.join(System.lineSeparator(), frames);
        }
    }

    private static void assertParkedOutsideAnySelector(Seen seen, String frame, Thread.State expected) {
        assertThat(seen.state())
                .as("a thread waiting in %s is parked, not running a native wait; its stack:%n%s", frame, seen.stack())
                .isEqualTo(expected);
        assertThat(seen.frames())
                .as("a thread waiting in %s parks in LockSupport; its stack:%n%s", frame, seen.stack())
                .anyMatch(f -> f.startsWith("java.util.concurrent.locks.LockSupport.park"))
                .as("no selector on the stack of a thread waiting in %s (JDK 21-24: EPoll.wait holds the carrier); its stack:%n%s",
                        frame, seen.stack())
                .noneMatch(f -> f.startsWith("sun.nio.ch.") || f.startsWith("java.nio.channels.Selector."));
    }

    /** Reads what the peer has until the end of its stream; fails (not hangs) if the end does not come in 10 s. */
    private static void assertPeerSeesTheEnd(SocketChannel peer) throws Exception {
        Object end = Bounded.outcome(() -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            int n;
            while ((n = peer.read(b)) >= 0) {
                b.clear();
            }
            return n;
        });
        assertThat(end).as("the peer saw the end of the stream").isEqualTo(-1);
    }

    static Thread reader(InputStream in, AtomicReference<Object> outcome) {
        return Thread.ofVirtual().name("unix-reader").start(() -> {
            try {
                outcome.set(in.read(new byte[16], 0, 16));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
    }

    /**
     * Polls (bounded, 10 s) until {@code t} is parked ({@link LockSupport}, WAITING or TIMED_WAITING) inside
     * {@code frame}; returns the last state and stack seen, so that a thread that stays RUNNABLE in the frame (blocked
     * in a native call) is reported with them. The state is read before and after the stack and must agree, and the
     * stack must show the park: a stack taken a moment before the park (the thread still in its hand-off to the poller,
     * {@code Selector.wakeup()}, whose monitor may also leave it BLOCKED for a moment) is not taken for the wait. A
     * park inside {@code UnixPoller} (its start lock, when two waits start it at once) is not the wait either.
     */
    static Seen awaitWaitingIn(Thread t, String frame) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Seen last = new Seen(t.getState(), List.of());
        while (System.nanoTime() < deadline) {
            Thread.State before = t.getState();
            StackTraceElement[] stack = t.getStackTrace();
            Thread.State state = t.getState();
            List<String> frames = Arrays.stream(stack).map(e -> e.getClassName() + "." + e.getMethodName()).toList();
            last = new Seen(state, frames);
            boolean parked = (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) && state == before;
            if (parked && frames.contains(frame)
                    && frames.stream().anyMatch(f -> f.startsWith("java.util.concurrent.locks.LockSupport.park"))
                    && frames.stream().noneMatch(f -> f.startsWith("io.gochan.http.internal.conn.UnixPoller."))) {
                return last;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // a bounded poll of what the JDK reports
        }
        return last;
    }

    /** Bounded outcomes of calls that could hang. */
    static final class Bounded {
        private Bounded() {}

        /** Runs {@code task} on a virtual thread; its result or what it threw; fails (not hangs) after 10 s. */
        static Object outcome(java.util.concurrent.Callable<?> task) throws InterruptedException {
            AtomicReference<Object> out = new AtomicReference<>();
            Thread th = Thread.ofVirtual().name("bounded").start(() -> {
                try {
                    out.set(task.call());
                } catch (Throwable e) {
                    out.set(e);
                }
            });
            assertThat(th.join(java.time.Duration.ofSeconds(10))).as("ended (it hangs in: %s)", List.of(th.getStackTrace())).isTrue();
            return out.get();
        }
    }

    /** A connected pair: this transport's Unix socket and the server's end of it. */
    @FunctionalInterface
    interface Pair {
        void run(UnixSocket client, SocketChannel peer) throws Exception;
    }

    /** Runs {@code test} on a fresh connected pair over a socket file of its own, removed afterwards. */
    static void connected(Pair test) throws Exception {
        Path dir = Files.createTempDirectory("gochan-unix-carrier");
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
