package io.gochan.http.internal.conn;

import static io.gochan.http.internal.conn.UnixSocketCarrierTest.READ;
import static io.gochan.http.internal.conn.UnixSocketCarrierTest.awaitWaitingIn;
import static io.gochan.http.internal.conn.UnixSocketCarrierTest.connected;
import static io.gochan.http.internal.conn.UnixSocketCarrierTest.reader;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared Unix socket poller (R95) itself: a channel is registered with it only while a read or write of it waits
 * (R105), its death fails every waiter whatever its own ending meets (R106), and its thread takes nothing from the
 * thread whose wait starts it (R107). Helpers are {@link UnixSocketCarrierTest}'s.
 */
@NoGoroutineLeaks
class UnixPollerTest {
    /**
     * R105: the poller registers a channel at a wait and lets it go once the wait ends, by bytes or by a timeout; the
     * socket still waits and reads as before. The old poller kept every channel it had ever served registered, with
     * interest 0, until the socket was closed: a socket dropped unclosed stayed in the selector for ever.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R105_aUnixSocketIsRegisteredWithThePollerOnlyWhileItWaits() throws Exception {
        connected((client, peer) -> {
            client.setSoTimeout(30_000);
            InputStream in = client.getInputStream();
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread first = reader(in, outcome);
            awaitWaitingIn(first, READ);
            assertThat(eventually(client::isRegisteredForTest)).as("the waiting read registered the channel").isTrue();
            peer.write(ascii("abc"));
            assertThat(first.join(Duration.ofSeconds(10))).as("the read ended").isTrue();
            assertThat(outcome.get()).isEqualTo(3);
            assertThat(eventually(() -> !client.isRegisteredForTest()))
                    .as("the ended wait left the poller no key for the channel").isTrue();

            // A wait that times out lets go of its key too.
            client.setSoTimeout(50);
            assertThat(UnixSocketCarrierTest.Bounded.outcome(() -> in.read(new byte[16], 0, 16)))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(eventually(() -> !client.isRegisteredForTest()))
                    .as("the timed-out wait left the poller no key for the channel").isTrue();

            // The next wait registers the channel again and is served.
            client.setSoTimeout(30_000);
            Thread again = reader(in, outcome);
            awaitWaitingIn(again, READ);
            peer.write(ascii("defg"));
            assertThat(again.join(Duration.ofSeconds(10))).as("the next read ended").isTrue();
            assertThat(outcome.get()).isEqualTo(4);
        });
    }

    /**
     * R105, the leak itself: 32 sockets whose reads waited and were served, then dropped by their owner unclosed, leave
     * the poller no key (its selector's key count is back where it was): nothing of the poller keeps their channels.
     * The old poller held all 32 until their close, which never comes for a dropped socket.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R105_unixSocketsDroppedUnclosedAfterTheirWaitsLeaveThePollerNoKey() throws Exception {
        pairs(32, (clients, peers) -> {
            UnixPoller poller = UnixPoller.get(); // the poller the waits below use (started now if none runs)
            int before = poller.keyCountForTest();
            List<Thread> readers = new ArrayList<>();
            List<AtomicReference<Object>> outcomes = new ArrayList<>();
            for (UnixSocket c : clients) {
                c.setSoTimeout(30_000);
                AtomicReference<Object> outcome = new AtomicReference<>();
                outcomes.add(outcome);
                readers.add(reader(c.getInputStream(), outcome));
            }
            for (Thread r : readers) {
                awaitWaitingIn(r, READ);
            }
            assertThat(eventually(() -> clients.stream().allMatch(UnixSocket::isRegisteredForTest)))
                    .as("every waiting read registered its channel").isTrue();
            for (SocketChannel p : peers) {
                p.write(ascii("abc"));
            }
            for (int i = 0; i < readers.size(); i++) {
                assertThat(readers.get(i).join(Duration.ofSeconds(10))).as("read %d ended", i).isTrue();
                assertThat(outcomes.get(i).get()).isEqualTo(3);
            }
            // Their owner drops them here, unclosed (pairs() closes them only after this check).
            boolean none = eventually(() -> clients.stream().noneMatch(UnixSocket::isRegisteredForTest)
                    && poller.keyCountForTest() <= before);
            assertThat(none).as("no key left for 32 sockets whose waits ended: %d keys, %d before the waits",
                    poller.keyCountForTest(), before).isTrue();
        });
    }

    /**
     * R105 under load, with R95's close: 48 sockets, each with a reader and a writer waiting (half the readers time
     * out every millisecond and wait again at once, and a feeder wakes the others byte by byte, so keys are let go and
     * taken again all the time), are closed by four threads at once. Every reader and writer ends with the socket's
     * {@link SocketException}, none stays parked, and no closed channel stays registered. Holds on the old code too
     * (which never let a key go); pinned for R105's cancelled keys, which closes and new waits race here.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R105_closesRacingWaitsOnManyUnixSocketsEndEveryWaitAndLeaveNoKey() throws Exception {
        int n = 48;
        byte[] big = new byte[1 << 20];
        pairs(n, (clients, peers) -> {
            List<Thread> threads = new ArrayList<>();
            List<AtomicReference<Throwable>> ends = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                UnixSocket c = clients.get(i);
                c.setSoTimeout(i % 2 == 0 ? 1 : 0);
                InputStream in = c.getInputStream();
                OutputStream out = c.getOutputStream();
                AtomicReference<Throwable> readEnd = new AtomicReference<>();
                AtomicReference<Throwable> writeEnd = new AtomicReference<>();
                ends.add(readEnd);
                threads.add(Thread.ofVirtual().name("unix-reader-" + i).start(() -> readUntilFailure(in, readEnd)));
                ends.add(writeEnd);
                threads.add(Thread.ofVirtual().name("unix-writer-" + i).start(() -> {
                    try {
                        while (true) {
                            out.write(big); // the peer reads nothing: fills both buffers, then waits for the close
                        }
                    } catch (Throwable t) {
                        writeEnd.set(t);
                    }
                }));
            }
            AtomicBoolean feeding = new AtomicBoolean(true);
            CountDownLatch fed = new CountDownLatch(1);
            AtomicReference<Throwable> feedFailure = new AtomicReference<>();
            Thread feeder = Thread.ofVirtual().name("unix-feeder").start(() -> {
                boolean[] gone = new boolean[n];
                try {
                    for (int round = 0; feeding.get(); round++) {
                        for (int i = 0; i < n; i++) {
                            if (!gone[i]) {
                                try {
                                    peers.get(i).write(ByteBuffer.wrap(new byte[] {1})); // wakes a waiting reader
                                } catch (IOException brokenPipe) {
                                    gone[i] = true; // its client is closed: nothing more to wake there
                                }
                            }
                        }
                        if (round == 100) {
                            fed.countDown();
                        }
                        // A pause between rounds, not an ordering: a virtual thread is not time-sliced, and an
                        // unbroken loop would hold a carrier from the readers, writers and closers (all of it on a
                        // one-core runner) and spin one core once every client is closed.
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                } catch (Throwable t) {
                    feedFailure.set(t);
                } finally {
                    fed.countDown();
                }
            });
            assertThat(fed.await(30, TimeUnit.SECONDS)).as("the feeder went round 100 times").isTrue();
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> closeFailure = new AtomicReference<>();
            List<Thread> closers = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                int from = k;
                closers.add(Thread.ofVirtual().name("unix-closer-" + k).start(() -> {
                    try {
                        go.await();
                        for (int i = from; i < n; i += 4) {
                            clients.get(i).close();
                        }
                    } catch (Throwable t) {
                        closeFailure.set(t);
                    }
                }));
            }
            go.countDown();
            for (Thread t : closers) {
                assertThat(t.join(Duration.ofSeconds(30))).as("%s ended", t.getName()).isTrue();
            }
            assertThat(closeFailure.get()).isNull();
            for (int i = 0; i < threads.size(); i++) {
                Thread t = threads.get(i);
                assertThat(t.join(Duration.ofSeconds(30)))
                        .as("%s ended with its socket's close; its stack: %s", t.getName(), List.of(t.getStackTrace()))
                        .isTrue();
                Throwable end = ends.get(i).get();
                assertThat(end).as(t.getName()).isInstanceOf(SocketException.class);
                assertThat(end.getMessage()).as(t.getName()).isIn("Socket is closed", "Socket closed");
            }
            feeding.set(false);
            assertThat(feeder.join(Duration.ofSeconds(30))).as("the feeder ended").isTrue();
            assertThat(feedFailure.get()).isNull();
            assertThat(eventually(() -> clients.stream().noneMatch(UnixSocket::isRegisteredForTest)))
                    .as("every closed channel left the poller").isTrue();
        });
    }

    /**
     * R106: a poller that fails (an {@link Error} as it takes a wait in hand, here injected) fails the waiter in hand and
     * the waiter it holds, each with a {@link SocketException} whose cause is that failure, though closing its selector
     * and reporting as it ends fail too; the next wait starts a new poller. The old poller failed only the waiters it
     * held or had queued: one taken off the queue and not yet held stayed parked for ever; and its ending allocated
     * (its exception, a list, one copy per waiter) before it told anyone, so an {@code OutOfMemoryError} there left
     * every waiter parked and the dead poller in place for every later wait.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R106_aFailedPollerFailsEveryWaiterWhateverItsEndingMeets() throws Exception {
        AtomicReference<UnixPoller> failed = new AtomicReference<>();
        try {
            connected((held, heldPeer) -> connected((inHand, inHandPeer) -> {
                UnixPoller poller = UnixPoller.get();
                failed.set(poller);
                AtomicReference<Object> heldOutcome = new AtomicReference<>();
                Thread heldReader = reader(held.getInputStream(), heldOutcome);
                awaitWaitingIn(heldReader, READ);
                assertThat(eventually(held::isRegisteredForTest)).as("the poller holds the first wait").isTrue();
                // What the ending meets goes to the thread's uncaught-exception handler: this test's, not the JDK's
                // default (which would print it to stderr).
                AtomicReference<Throwable> uncaught = new AtomicReference<>();
                poller.thread().setUncaughtExceptionHandler((t, e) -> uncaught.set(e));
                // From now on every point where this poller may fail throws: the next wait it takes in hand, then the
                // close of its selector and its report as it ends.
                poller.injectFaultForTest(where -> {
                    throw new InjectedFault(where);
                });
                AtomicReference<Object> inHandOutcome = new AtomicReference<>();
                Thread inHandReader = reader(inHand.getInputStream(), inHandOutcome);
                assertThat(inHandReader.join(Duration.ofSeconds(10))).as("the waiter in hand was failed, not left parked").isTrue();
                assertThat(heldReader.join(Duration.ofSeconds(10))).as("the held waiter was failed, not left parked").isTrue();
                for (Object outcome : List.of(heldOutcome.get(), inHandOutcome.get())) {
                    assertThat(outcome).isInstanceOf(SocketException.class);
                    assertThat(((SocketException) outcome).getMessage()).contains("poller failed");
                    assertThat(((SocketException) outcome).getCause()).as("the poller's failure, as the cause")
                            .isInstanceOf(InjectedFault.class).hasMessage("injected at add");
                }
                assertThat(poller.thread().join(Duration.ofSeconds(10))).as("the failed poller's thread ended").isTrue();
                assertThat(uncaught.get()).as("what its ending met, thrown last to the thread's handler")
                        .isInstanceOf(InjectedFault.class).hasMessage("injected at close");
                Throwable[] alsoMet = uncaught.get().getSuppressed();
                assertThat(alsoMet).as("the report's failure, added to the close's").hasSize(1);
                assertThat(alsoMet[0]).isInstanceOf(InjectedFault.class).hasMessage("injected at report");
                assertThat(UnixPoller.running()).as("the failed poller is no longer the running one").isNull();

                inHand.setSoTimeout(30_000);
                AtomicReference<Object> next = new AtomicReference<>();
                Thread nextReader = reader(inHand.getInputStream(), next);
                awaitWaitingIn(nextReader, READ);
                inHandPeer.write(ascii("new"));
                assertThat(nextReader.join(Duration.ofSeconds(20))).as("the next read ended").isTrue();
                assertThat(next.get()).isEqualTo(3);
                assertThat(UnixPoller.running().thread()).as("a new poller served it").isNotSameAs(poller.thread());
            }));
        } finally {
            UnixPoller p = failed.get();
            if (p != null) {
                p.closeSelectorForTest(); // the injected fault kept the failed poller from closing it
            }
        }
    }

    /**
     * R107: the poller thread, made by the first wait of the JVM (or the first after a poller's death) on whatever
     * thread that is, takes neither that thread's context class loader, nor its thread group, nor its priority (nor
     * its inheritable thread-locals): the system class loader, a group of its own under the JVM's root group, normal
     * priority. The old poller thread was put in the caller's group with the caller's priority.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R107_thePollerThreadTakesNothingFromTheThreadWhoseWaitStartsIt() throws Exception {
        ThreadGroup callers = new ThreadGroup("unix-callers");
        try (URLClassLoader appLoader = new URLClassLoader(new URL[0], UnixPollerTest.class.getClassLoader())) {
            AtomicReference<Object> made = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().group(callers).name("unix-caller").priority(Thread.MIN_PRIORITY)
                    .unstarted(() -> {
                        try {
                            made.set(UnixPoller.unstartedForTest()); // its thread made as the first wait's get() makes it
                        } catch (Throwable t) {
                            made.set(t);
                        }
                    });
            caller.setContextClassLoader(appLoader);
            caller.start();
            assertThat(caller.join(Duration.ofSeconds(10))).as("the caller ended").isTrue();
            assertThat(made.get()).isInstanceOf(UnixPoller.class);
            UnixPoller poller = (UnixPoller) made.get();
            try {
                Thread t = poller.thread();
                assertThat(t.getContextClassLoader()).as("the poller's context class loader")
                        .isNotSameAs(appLoader).isSameAs(ClassLoader.getSystemClassLoader());
                ThreadGroup group = t.getThreadGroup();
                assertThat(group).as("the poller's thread group").isNotSameAs(callers);
                assertThat(group.getParent()).as("its group's parent").isNotNull();
                assertThat(group.getParent().getParent()).as("its group's parent is the JVM's root group").isNull();
                assertThat(t.getPriority()).as("the poller's priority").isEqualTo(Thread.NORM_PRIORITY);
                assertThat(t.isDaemon()).isTrue();
                assertThat(t.getName()).isEqualTo(UnixPoller.THREAD_NAME);
            } finally {
                poller.closeSelectorForTest(); // never started: only its selector to release
            }
        }
    }

    /** A fault a test makes the poller meet; an {@link Error}, as an {@code OutOfMemoryError} would be. */
    static final class InjectedFault extends Error {
        private static final long serialVersionUID = 1L;

        InjectedFault(String where) {
            super("injected at " + where);
        }
    }

    /** Reads until a read fails (its outcome in {@code end}); a read timeout only starts the next read. */
    private static void readUntilFailure(InputStream in, AtomicReference<Throwable> end) {
        byte[] b = new byte[256];
        while (true) {
            try {
                if (in.read(b, 0, b.length) < 0) {
                    end.set(new AssertionError("the end of the stream before the close"));
                    return;
                }
            } catch (SocketTimeoutException timedOut) {
                // a 1 ms socket's wait ended without bytes: the next read waits again at once
            } catch (Throwable t) {
                end.set(t);
                return;
            }
        }
    }

    /** Polls {@code condition}, bounded (10 s): the poller registers and lets go on its own thread. {@return whether it held} */
    private static boolean eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // a bounded poll of what the poller thread does
        }
        return true;
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Connected pairs: this transport's Unix sockets and the server's ends of them. */
    @FunctionalInterface
    private interface Pairs {
        void run(List<UnixSocket> clients, List<SocketChannel> peers) throws Exception;
    }

    /** Runs {@code test} on {@code n} connected pairs over one socket file of its own; closes them all afterwards. */
    private static void pairs(int n, Pairs test) throws Exception {
        Path dir = Files.createTempDirectory("gochan-unix-poller");
        Path path = dir.resolve("s.sock");
        List<UnixSocket> clients = new ArrayList<>();
        List<SocketChannel> peers = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            for (int i = 0; i < n; i++) {
                clients.add(UnixSocket.connect(UnixDomainSocketAddress.of(path)));
                peers.add(server.accept());
            }
            test.run(clients, peers);
        } finally {
            closeAll(clients);
            closeAll(peers);
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    private static void closeAll(List<? extends Closeable> all) throws IOException {
        IOException first = null;
        for (Closeable c : all) {
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
