package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Rules LK57 and LK58 (docs/spec/leak-check.md), with LK6 and LK11 around them, from session 47's leak-check audit:
 * a JDK call handed to a virtual-thread executor as a method reference and left blocked is the test's leak (LK57); a
 * thread a test class's static initializer starts is the class's, whether or not the class has a {@code @BeforeAll}
 * method (LK58); raw virtual threads left parked, sleeping or reading a socket are reported with their stacks (LK6);
 * and a test that ends everything it starts never fails, 50 times over beside busy threads (LK6, LK11, LK16).
 * Fixtures run through the JUnit launcher as {@link BlindSpotTest} does; each probe ends what its fixture left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SubmittedTasksAndStaticInitializersTest {
    static final List<AutoCloseable> LEFT = new CopyOnWriteArrayList<>();
    static final List<Thread> STARTED = new CopyOnWriteArrayList<>();
    static final CountDownLatch GATE = new CountDownLatch(1);

    private static void cleanUp() throws Exception {
        for (AutoCloseable c : LEFT) {
            c.close();
        }
        LEFT.clear();
        for (Thread t : STARTED) {
            t.interrupt();
            LockSupport.unpark(t);
            assertThat(t.join(Duration.ofSeconds(30))).as("thread %s ends", t.getName()).isTrue();
        }
        STARTED.clear();
    }

    static Thread started(Thread t) {
        STARTED.add(t);
        return t;
    }

    static void awaitGate() {
        try {
            GATE.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ServerSocket server() throws Exception {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        LEFT.add(s);
        return s;
    }

    private static ExecutorService virtualExecutor() {
        ExecutorService e = Executors.newVirtualThreadPerTaskExecutor();
        LEFT.add(() -> {
            e.shutdownNow();
            assertThat(e.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        });
        return e;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LK57, LK6: virtual threads

    @NoGoroutineLeaks(graceMillis = 300)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class VirtualThreadsFixture {
        @Test
        @Order(1)
        void acceptSubmittedAndAnswered() throws Exception {
            // First: it may be the first virtual-thread socket I/O of the JVM, which starts the JDK's sub-pollers.
            try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                    ExecutorService e = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Socket> accepted = e.submit(ss::accept);
                try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort()); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                    InputStream in = a.getInputStream();
                    Future<Integer> read = e.submit((Callable<Integer>) in::read);
                    c.getOutputStream().write(7);
                    assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(7);
                }
            }
        }

        @Test
        @Order(2)
        void acceptSubmittedAndLeftBlocked() throws Exception {
            ServerSocket ss = server();
            virtualExecutor().submit(ss::accept);
        }

        @Test
        @Order(3)
        void readSubmittedAndLeftBlocked() throws Exception {
            ServerSocket ss = server();
            Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
            LEFT.add(c);
            Socket a = ss.accept();
            LEFT.add(a);
            InputStream in = a.getInputStream();
            virtualExecutor().submit((Callable<Integer>) in::read);
        }

        @Test
        @Order(4)
        void rawThreadParkedByAMethodReference() {
            started(Thread.ofVirtual().name("lk6-parked").start(LockSupport::park));
        }

        @Test
        @Order(5)
        void rawThreadSleeping() {
            started(Thread.ofVirtual().name("lk6-sleeping").start(() -> {
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }

        @Test
        @Order(6)
        void rawThreadReadingASocket() throws Exception {
            ServerSocket ss = server();
            Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
            LEFT.add(c);
            Socket a = ss.accept();
            LEFT.add(a);
            CountDownLatch reading = new CountDownLatch(1);
            started(Thread.ofVirtual().name("lk6-reading").start(() -> {
                try {
                    InputStream in = a.getInputStream();
                    reading.countDown();
                    in.read();
                } catch (java.io.IOException e) {
                    assertThat(a.isClosed()).as("only the clean-up's close ends the read").isTrue();
                }
            }));
            assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * LK57: a JDK call handed to a virtual-thread executor as a method reference ({@code submit(server::accept)},
     * {@code submit(in::read)}) and left blocked fails the test, with the call on the stack; the same calls answered and
     * the executor closed pass. LK6: raw virtual threads left parked (by a method reference, so with no frame of the
     * test's on the stack), sleeping or reading a socket fail it, each named with its stack.
     */
    @Test
    @Order(1)
    void LK57_LK6_virtualThreadsLeftBlockedInJdkCallsFailTheTest() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(VirtualThreadsFixture.class);
            assertThat(BlindSpotTest.outcome(o, "[method:acceptSubmittedAndAnswered()]")).isEqualTo("SUCCESSFUL");
            assertThat(BlindSpotTest.outcome(o, "[method:acceptSubmittedAndLeftBlocked()]")).startsWith("FAILED: 1 virtual thread still running")
                    .contains("not a goroutine").contains("java.net.ServerSocket.accept").contains("FutureTask.run");
            assertThat(BlindSpotTest.outcome(o, "[method:readSubmittedAndLeftBlocked()]")).startsWith("FAILED: 1 virtual thread still running")
                    .contains("java.net.Socket$SocketInputStream.read");
            assertThat(BlindSpotTest.outcome(o, "[method:rawThreadParkedByAMethodReference()]")).startsWith("FAILED: 1 virtual thread")
                    .contains("\"lk6-parked\" [waiting]").contains("java.util.concurrent.locks.LockSupport.park");
            assertThat(BlindSpotTest.outcome(o, "[method:rawThreadSleeping()]")).startsWith("FAILED: 1 virtual thread")
                    .contains("\"lk6-sleeping\" [timed_waiting]").contains("java.lang.Thread.sleep").contains("rawThreadSleeping");
            assertThat(BlindSpotTest.outcome(o, "[method:rawThreadReadingASocket()]")).startsWith("FAILED: 1 virtual thread")
                    .contains("\"lk6-reading\"").contains("java.net.Socket$SocketInputStream.read").contains("rawThreadReadingASocket");
        } finally {
            cleanUp();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LK58: static initializers

    @NoGoroutineLeaks(graceMillis = 300)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class StaticThreadFixture {
        static final Thread THREAD = started(Thread.ofPlatform().daemon().name("lk58-static").start(
                SubmittedTasksAndStaticInitializersTest::awaitGate));

        @Test
        @Order(1)
        void first() {
            assertThat(THREAD.isAlive()).isTrue();
        }

        @Test
        @Order(2)
        void second() {
            assertThat(THREAD.isAlive()).isTrue();
        }
    }

    @NoGoroutineLeaks(graceMillis = 300)
    static class StaticThreadWithBeforeAllFixture {
        static final Thread THREAD = started(Thread.ofPlatform().daemon().name("lk58-static-before-all").start(
                SubmittedTasksAndStaticInitializersTest::awaitGate));

        @BeforeAll
        static void setUp() {
            assertThat(THREAD.isAlive()).isTrue();
        }

        @Test
        void first() {
            assertThat(THREAD.isAlive()).isTrue();
        }
    }

    @NoGoroutineLeaks(graceMillis = 300)
    static class ThrowingStaticInitializerFixture {
        static final int VALUE = fail();

        static int fail() {
            throw new IllegalStateException("lk58-initializer-threw");
        }

        @Test
        void first() {
            assertThat(VALUE).isZero();
        }
    }

    /** Sets a system property for its class's run, as extensions that prepare a test class's environment do. */
    static class SetsAProperty implements org.junit.jupiter.api.extension.BeforeAllCallback,
            org.junit.jupiter.api.extension.AfterAllCallback {
        @Override
        public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) {
            System.setProperty("lk58.value", "set");
        }

        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) {
            System.clearProperty("lk58.value");
        }
    }

    @NoGoroutineLeaks(graceMillis = 300)
    @org.junit.jupiter.api.extension.ExtendWith(SetsAProperty.class)
    static class StaticInitReadsWhatAnExtensionSetFixture {
        static final String VALUE = System.getProperty("lk58.value");

        @Test
        void seesIt() {
            assertThat(VALUE).isEqualTo("set");
        }
    }

    /**
     * LK58: a thread a test class's static initializer starts and nothing ends fails the class, not the test that
     * happened to run first (each fixture's class is initialized once a JVM: the thread is started once); an initializer
     * that throws fails the first test, as before; the initializer runs after the class's {@code @BeforeAll} callbacks.
     */
    @Test
    @Order(2)
    void LK58_aThreadAStaticInitializerStartsIsTheClasssWithOrWithoutBeforeAll() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(StaticThreadFixture.class);
            assertThat(o.get("")).startsWith("FAILED: 1 platform thread still running 300 ms after the test class's @AfterAll")
                    .contains("\"lk58-static\"");
            assertThat(BlindSpotTest.outcome(o, "[method:first()]")).isEqualTo("SUCCESSFUL");
            assertThat(BlindSpotTest.outcome(o, "[method:second()]")).isEqualTo("SUCCESSFUL");
            Map<String, String> b = BlindSpotTest.run(StaticThreadWithBeforeAllFixture.class);
            assertThat(b.get("")).startsWith("FAILED: 1 platform thread still running 300 ms after the test class's @AfterAll")
                    .contains("\"lk58-static-before-all\"");
            assertThat(BlindSpotTest.outcome(b, "[method:first()]")).isEqualTo("SUCCESSFUL");
            // an initializer that throws fails the first test with its error, as when JUnit ran it
            Map<String, String> t = BlindSpotTest.run(ThrowingStaticInitializerFixture.class);
            assertThat(BlindSpotTest.outcome(t, "[method:first()]")).startsWith("FAILED");
            assertThat(t.get("")).isEqualTo("SUCCESSFUL");
            // the initializer runs after every @BeforeAll callback: it sees what an extension registered after the
            // check set up
            Map<String, String> e = BlindSpotTest.run(StaticInitReadsWhatAnExtensionSetFixture.class);
            assertThat(BlindSpotTest.outcome(e, "[method:seesIt()]")).isEqualTo("SUCCESSFUL");
        } finally {
            GATE.countDown();
            cleanUp();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LK6, LK11, LK16: no false positive under load

    static final AtomicBoolean BUSY = new AtomicBoolean();

    @NoGoroutineLeaks
    static class EndsEverythingFixture {
        @RepeatedTest(50)
        void joinsAndClosesEverything() throws Exception {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                threads.add(Thread.ofPlatform().start(() -> Math.sqrt(42)));
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            try (ExecutorService pool = Executors.newFixedThreadPool(2); ExecutorService v = Executors.newVirtualThreadPerTaskExecutor();
                    ForkJoinPool fj = new ForkJoinPool(2);
                    ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                assertThat(pool.submit(() -> 1).get()).isEqualTo(1);
                assertThat(fj.submit(() -> 2).get()).isEqualTo(2);
                Future<Socket> accepted = v.submit(ss::accept);
                try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort()); Socket a = accepted.get()) {
                    InputStream in = a.getInputStream();
                    Future<Integer> read = v.submit((Callable<Integer>) in::read);
                    OutputStream out = c.getOutputStream();
                    out.write(7);
                    assertThat(read.get()).isEqualTo(7);
                }
                java.util.Timer timer = new java.util.Timer();
                timer.schedule(new java.util.TimerTask() {
                    @Override
                    public void run() {}
                }, 1);
                timer.cancel();
            }
        }
    }

    /**
     * A test that joins, closes or cancels everything it starts (platform and virtual threads, a fixed pool, a
     * virtual-thread executor with sockets on it, a fork-join pool, a timer) passes every time, 50 repetitions beside
     * three threads that keep the machine's cores busy.
     */
    @Test
    @Order(3)
    void LK6_LK11_LK16_aTestThatEndsEverythingNeverFailsUnderLoad() throws Exception {
        BUSY.set(true);
        List<Thread> burners = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            burners.add(Thread.ofPlatform().daemon().name("busy-" + i).start(() -> {
                while (BUSY.get()) {
                    Thread.onSpinWait();
                }
            }));
        }
        try {
            Map<String, String> o = BlindSpotTest.run(EndsEverythingFixture.class);
            assertThat(o.entrySet().stream().filter(e -> e.getKey().contains("test-template-invocation")))
                    .hasSize(50).allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).isEqualTo("SUCCESSFUL"));
        } finally {
            BUSY.set(false);
            for (Thread b : burners) {
                b.join();
            }
        }
    }
}
