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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Session 47's audit probes of "leak checks that see everything" (kept or moved once judged). */
class LeakCheckAudit47ProbeTest {
    static final List<AutoCloseable> LEFT = new CopyOnWriteArrayList<>();
    static final List<Thread> STARTED = new CopyOnWriteArrayList<>();
    static volatile CountDownLatch GATE = new CountDownLatch(1);

    private static void cleanUp() throws Exception {
        GATE.countDown();
        for (AutoCloseable c : LEFT) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
        LEFT.clear();
        for (Thread t : STARTED) {
            t.interrupt();
            LockSupport.unpark(t);
            assertThat(t.join(Duration.ofSeconds(30))).as("thread %s ends", t.getName()).isTrue();
        }
        STARTED.clear();
        GATE = new CountDownLatch(1);
    }

    private static Thread started(Thread t) {
        STARTED.add(t);
        return t;
    }

    private static ServerSocket server() throws Exception {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        LEFT.add(s);
        return s;
    }

    private static AutoCloseable shutdown(ExecutorService e) {
        return () -> {
            e.shutdownNow();
            e.awaitTermination(30, TimeUnit.SECONDS);
        };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. raw virtual threads and method-reference tasks

    @NoGoroutineLeaks(graceMillis = 300)
    static class VirtualFixture {
        @Test
        void parkedByMethodReference() {
            started(Thread.ofVirtual().name("p47-parked").start(LockSupport::park));
        }

        @Test
        void sleeping() {
            started(Thread.ofVirtual().name("p47-sleeping").start(() -> {
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }

        @Test
        void socketRead() throws Exception {
            ServerSocket ss = server();
            Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
            LEFT.add(c);
            Socket a = ss.accept();
            LEFT.add(a);
            CountDownLatch in = new CountDownLatch(1);
            started(Thread.ofVirtual().name("p47-reading").start(() -> {
                try {
                    InputStream s = a.getInputStream();
                    in.countDown();
                    s.read();
                } catch (Exception e) {
                    // closed by the probe's clean-up
                }
            }));
            in.await();
        }

        @Test
        void acceptSubmittedToAVirtualThreadExecutor() throws Exception {
            ServerSocket ss = server();
            ExecutorService e = Executors.newVirtualThreadPerTaskExecutor();
            LEFT.add(shutdown(e));
            e.submit(ss::accept);
        }

        @Test
        void readSubmittedToAVirtualThreadExecutor() throws Exception {
            ServerSocket ss = server();
            Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort());
            LEFT.add(c);
            Socket a = ss.accept();
            LEFT.add(a);
            ExecutorService e = Executors.newVirtualThreadPerTaskExecutor();
            LEFT.add(shutdown(e));
            InputStream in = a.getInputStream();
            e.submit((java.util.concurrent.Callable<Integer>) in::read);
        }

        @Test
        void acceptSubmittedToAPlatformPool() throws Exception {
            ServerSocket ss = server();
            ExecutorService e = Executors.newFixedThreadPool(1, r -> new Thread(r, "p47-pool-accept"));
            LEFT.add(shutdown(e));
            e.submit(ss::accept);
        }

        @Test
        void acceptSubmittedToItsOwnForkJoinPool() throws Exception {
            ServerSocket ss = server();
            ForkJoinPool p = new ForkJoinPool(1);
            LEFT.add(shutdown(p));
            p.submit(ss::accept);
        }

        @Test
        void acceptSubmittedToTheCommonPool() throws Exception {
            ServerSocket ss = server();
            ForkJoinPool.commonPool().submit(ss::accept);
        }
    }

    @Test
    void virtualThreadsAndSubmittedTasks() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(VirtualFixture.class);
            o.forEach((k, v) -> System.out.println("PROBE " + k + " => " + v.substring(0, Math.min(v.length(), 3000))));
        } finally {
            cleanUp();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. static initializers

    @NoGoroutineLeaks(graceMillis = 300)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class StaticInitFixture {
        static final Thread T = started(Thread.ofPlatform().daemon().name("p47-static-init").start(() -> await()));

        @Test
        @Order(1)
        void first() {}

        @Test
        @Order(2)
        void second() {}
    }

    @NoGoroutineLeaks(graceMillis = 300)
    static class StaticInitWithBeforeAllFixture {
        static final Thread T = started(Thread.ofPlatform().daemon().name("p47-static-init-2").start(() -> await()));

        @BeforeAll
        static void setUp() {}

        @Test
        void first() {}
    }

    static void await() {
        try {
            GATE.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void staticInitializers() throws Exception {
        try {
            BlindSpotTest.run(StaticInitFixture.class).forEach((k, v) -> System.out.println("PROBE " + k + " => " + v));
            BlindSpotTest.run(StaticInitWithBeforeAllFixture.class).forEach((k, v) -> System.out.println("PROBE " + k + " => " + v));
        } finally {
            cleanUp();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. no false positive under load

    static final AtomicBoolean BUSY = new AtomicBoolean();

    @NoGoroutineLeaks
    static class CleanUnderLoadFixture {
        @RepeatedTest(50)
        void joinsAndClosesEverything() throws Exception {
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ts.add(Thread.ofPlatform().start(() -> Math.sqrt(42)));
                ts.add(Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
            try (ExecutorService p = Executors.newFixedThreadPool(2); ExecutorService v = Executors.newVirtualThreadPerTaskExecutor();
                    ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                p.submit(() -> 1).get();
                var accepted = v.submit(ss::accept);
                try (Socket c = new Socket(ss.getInetAddress(), ss.getLocalPort()); Socket a = accepted.get()) {
                    InputStream in = a.getInputStream();
                    var read = v.submit((java.util.concurrent.Callable<Integer>) in::read);
                    OutputStream out = c.getOutputStream();
                    out.write(7);
                    out.flush();
                    assertThat(read.get()).isEqualTo(7);
                }
                ForkJoinPool f = new ForkJoinPool(2);
                f.submit(() -> 1).get();
                f.close();
                java.util.Timer timer = new java.util.Timer();
                timer.schedule(new java.util.TimerTask() { public void run() {} }, 1);
                timer.cancel();
            }
        }
    }

    @Test
    void noFalsePositiveUnderLoad() throws Exception {
        BUSY.set(true);
        List<Thread> burners = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            burners.add(Thread.ofPlatform().daemon().start(() -> {
                while (BUSY.get()) {
                    Thread.onSpinWait();
                }
            }));
        }
        long t0 = System.nanoTime();
        try {
            Map<String, String> o = BlindSpotTest.run(CleanUnderLoadFixture.class);
            o.forEach((k, v) -> { if (!v.equals("SUCCESSFUL")) System.out.println("PROBE " + k + " => " + v); });
            System.out.println("PROBE under load: " + o.size() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } finally {
            BUSY.set(false);
            for (Thread b : burners) {
                b.join();
            }
        }
    }
}
