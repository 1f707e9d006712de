package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.monitor.GaugeMonitor;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import jdk.jfr.Recording;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Rules LK55 and LK56 (docs/spec/leak-check.md), with LK11, LK13, LK35 and LK39-LK54 around them: the threads the JDK
 * runs for what a test uses, each both ways (left running: the test fails; closed or finished: it passes). Code of the
 * test's left blocked on a thread the JDK shares across the JVM (a completion handler, an action after
 * {@code orTimeout}, a {@code finalize()}, a notification listener) is its leak (LK55); a thread the JDK starts at a
 * first use and keeps for the whole JVM (the flight recorder's scheduler, the JMX monitors') is not (LK56). From session
 * 45's leak-check audit; fixtures run through the JUnit launcher as {@link BlindSpotTest} does. Each probe
 * cleans up what its fixture left in a finally block. The "closed" variant of each fixture runs first, so it is the one
 * that meets whatever the JDK starts lazily for the whole run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JdkSharedThreadsTest {

    private static final Duration BOUND = Duration.ofSeconds(30);
    /** What every fixture leaves for its probe to end. */
    static final List<AutoCloseable> LEFT = new CopyOnWriteArrayList<>();
    static volatile CountDownLatch GATE = new CountDownLatch(1);
    static final List<Thread> STARTED = new CopyOnWriteArrayList<>();

    private static String outcome(Map<String, String> outcomes, String method) {
        return BlindSpotTest.outcome(outcomes, "[method:" + method + "()]");
    }

    private static Map<String, String> show(Class<?> fixture) {
        return BlindSpotTest.run(fixture);
    }

    private static void await() {
        try {
            GATE.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What a probe checks of its fixture's outcomes (test display name to outcome). */
    @FunctionalInterface
    private interface Checks {
        void check(Map<String, String> outcomes) throws Exception;
    }

    /** Runs {@code fixture} through the launcher, checks its outcomes, then ends whatever the fixture left. */
    private static void probe(Class<?> fixture, Checks checks) throws Exception {
        try {
            checks.check(show(fixture));
        } finally {
            cleanUp();
        }
    }

    private static Thread started(Thread t) {
        STARTED.add(t);
        return t;
    }

    private static void cleanUp() throws Exception {
        GATE.countDown();
        for (AutoCloseable c : LEFT) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing the others
            }
        }
        LEFT.clear();
        for (Thread t : STARTED) {
            assertThat(t.join(BOUND)).as("thread %s ends", t.getName()).isTrue();
        }
        STARTED.clear();
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (INSIDE.get() > 0) { // the handlers the gate released have returned
            assertThat(System.nanoTime()).as("the blocked handlers return").isLessThan(deadline);
            Thread.onSpinWait();
        }
        GATE = new CountDownLatch(1);
    }

    private static AutoCloseable shutdown(ExecutorService e) {
        return () -> {
            e.shutdownNow();
            e.awaitTermination(30, TimeUnit.SECONDS);
        };
    }

    private static HttpServer helloServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            byte[] b = "hi".getBytes();
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
        return server;
    }

    private static URI uri(HttpServer s) {
        return URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Asynchronous channels without an executor or group: the JDK's JVM-wide default pool and group.

    @NoGoroutineLeaks(graceMillis = 2000)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class AsyncChannelFixture {
        @Test
        @Order(1)
        void fileChannelWithoutExecutorClosed() throws Exception {
            Path f = Files.createTempFile("audit45", ".bin");
            try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0).get(30, TimeUnit.SECONDS);
                // a completion handler runs on the JDK's default pool
                CountDownLatch done = new CountDownLatch(1);
                ch.read(ByteBuffer.allocate(3), 0, null, new java.nio.channels.CompletionHandler<Integer, Object>() {
                    public void completed(Integer r, Object a) { done.countDown(); }
                    public void failed(Throwable e, Object a) { done.countDown(); }
                });
                assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                Files.deleteIfExists(f);
            }
        }

        @Test
        @Order(2)
        void fileChannelWithoutExecutorLeftOpen() throws Exception {
            Path f = Files.createTempFile("audit45", ".bin");
            AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            LEFT.add(() -> { ch.close(); Files.deleteIfExists(f); });
            ch.write(ByteBuffer.wrap(new byte[] {1}), 0).get(30, TimeUnit.SECONDS);
        }

        @Test
        @Order(3)
        void socketChannelsOnTheDefaultGroupClosed() throws Exception {
            try (AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                    AsynchronousSocketChannel client = AsynchronousSocketChannel.open()) {
                var accepted = server.accept();
                client.connect(server.getLocalAddress()).get(30, TimeUnit.SECONDS);
                try (AsynchronousSocketChannel a = accepted.get(30, TimeUnit.SECONDS)) {
                    client.write(ByteBuffer.wrap(new byte[] {7})).get(30, TimeUnit.SECONDS);
                    assertThat(a.read(ByteBuffer.allocate(1)).get(30, TimeUnit.SECONDS)).isEqualTo(1);
                }
            }
        }

        @Test
        @Order(4)
        void serverChannelOnTheDefaultGroupLeftAccepting() throws Exception {
            AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            LEFT.add(server);
            server.accept(); // pending, never completed
        }

        @Test
        @Order(5)
        void fileChannelOnItsOwnExecutorLeftOpen() throws Exception {
            Path f = Files.createTempFile("audit45", ".bin");
            ExecutorService pool = Executors.newFixedThreadPool(1, r -> new Thread(r, "audit45-file-pool"));
            AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, java.util.Set.of(StandardOpenOption.READ,
                    StandardOpenOption.WRITE), pool);
            LEFT.add(() -> { ch.close(); Files.deleteIfExists(f); });
            LEFT.add(shutdown(pool));
            CountDownLatch done = new CountDownLatch(1);
            ch.write(ByteBuffer.wrap(new byte[] {1}), 0, null, new java.nio.channels.CompletionHandler<Integer, Object>() {
                public void completed(Integer r, Object a) { done.countDown(); }
                public void failed(Throwable e, Object a) { done.countDown(); }
            });
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @Order(1)
    void asynchronousChannelsOnTheJdksDefaultPoolAndGroupAreNotTheTests() throws Exception {
        probe(AsyncChannelFixture.class, o -> {
                assertThat(outcome(o, "fileChannelWithoutExecutorClosed")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "fileChannelWithoutExecutorLeftOpen")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "socketChannelsOnTheDefaultGroupClosed")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "serverChannelOnTheDefaultGroupLeftAccepting")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "fileChannelOnItsOwnExecutorLeftOpen")).startsWith("FAILED").contains("audit45-file-pool");
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // java.util.logging handlers, a zip file system, the JDK's common cleaner: no thread of their own.

    @NoGoroutineLeaks(graceMillis = 2000)
    static class NoThreadFixture {
        @Test
        void fileAndConsoleHandlers() throws Exception {
            Path dir = Files.createTempDirectory("audit45-log");
            java.util.logging.Logger log = java.util.logging.Logger.getLogger("audit45");
            java.util.logging.FileHandler fh = new java.util.logging.FileHandler(dir.resolve("a%u.log").toString());
            java.util.logging.ConsoleHandler ch = new java.util.logging.ConsoleHandler();
            log.addHandler(fh);
            log.addHandler(ch);
            log.setUseParentHandlers(false);
            log.info("audit45");
            log.removeHandler(fh);
            log.removeHandler(ch);
            fh.close();
            ch.close();
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }

        @Test
        void zipFileSystemLeftOpen() throws Exception {
            Path zip = Files.createTempFile("audit45", ".zip");
            Files.delete(zip);
            FileSystem fs = FileSystems.newFileSystem(zip, Map.of("create", "true"));
            Files.writeString(fs.getPath("/a.txt"), "a");
            LEFT.add(() -> { fs.close(); Files.deleteIfExists(zip); });
        }

        @Test
        void usesTheCommonCleanerAndLeavesADeflater() {
            java.util.zip.Deflater d = new java.util.zip.Deflater(); // registered on the JDK's Common-Cleaner
            d.setInput(new byte[] {1, 2, 3});
            d.finish();
            d.deflate(new byte[64]);
        }

        @Test
        void addsAShutdownHookNeverStarted() {
            Thread hook = new Thread(() -> {}, "audit45-hook");
            Runtime.getRuntime().addShutdownHook(hook);
            LEFT.add(() -> Runtime.getRuntime().removeShutdownHook(hook));
        }

        @Test
        void makesAVirtualThreadNeverStarted() {
            Thread t = Thread.ofVirtual().name("audit45-unstarted").unstarted(() -> {});
            assertThat(t.isAlive()).isFalse();
        }

        @Test
        void cancelsATimer() {
            java.util.Timer timer = new java.util.Timer("audit45-timer-cancelled");
            timer.schedule(new java.util.TimerTask() { public void run() {} }, 600_000);
            timer.cancel();
        }

        @Test
        void threadEndsDuringTheGracePeriod() {
            // it ends on its own shortly after the test: well within 2 s of grace
            started(Thread.ofPlatform().name("audit45-ends-soon").start(() -> java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L)));
        }

        @Test
        void urlConnectionKeepAliveCache() throws Exception {
            HttpServer server = helloServer();
            try {
                var c = (java.net.HttpURLConnection) uri(server).toURL().openConnection();
                try (var in = c.getInputStream()) {
                    in.readAllBytes(); // the connection goes to the JDK's keep-alive cache (its Keep-Alive-Timer)
                }
            } finally {
                server.stop(0);
            }
        }
    }

    @Test
    @Order(2)
    void thingsWithoutThreadsOfTheirOwnPass() throws Exception {
        probe(NoThreadFixture.class, o -> {
                assertThat(o).allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo("SUCCESSFUL"));
                assertThat(o).hasSizeGreaterThanOrEqualTo(8);
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // java.net.http.HttpClient and com.sun.net.httpserver.HttpServer

    @NoGoroutineLeaks(graceMillis = 2000)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class HttpFixture {
        @Test
        @Order(1)
        void clientAndServerClosed() throws Exception {
            HttpServer server = helloServer();
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri(server)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).isEqualTo("hi");
            } finally {
                server.stop(0);
            }
        }

        @Test
        @Order(2)
        void clientLeftOpen() throws Exception {
            HttpClient client = HttpClient.newHttpClient();
            LEFT.add(client);
        }

        @Test
        @Order(3)
        void clientWithItsOwnExecutorLeftOpen() throws Exception {
            ExecutorService pool = Executors.newCachedThreadPool(r -> new Thread(r, "audit45-client-pool"));
            HttpServer server = helloServer();
            try {
                HttpClient client = HttpClient.newBuilder().executor(pool).build();
                LEFT.add(client);
                LEFT.add(shutdown(pool));
                client.send(HttpRequest.newBuilder(uri(server)).build(), HttpResponse.BodyHandlers.ofString());
            } finally {
                server.stop(0);
            }
        }

        @Test
        @Order(4)
        void serverLeftRunning() throws Exception {
            HttpServer server = helloServer();
            LEFT.add(() -> server.stop(0));
        }
    }

    @Test
    @Order(3)
    void httpClientsAndServers() throws Exception {
        probe(HttpFixture.class, o -> {
                assertThat(outcome(o, "clientAndServerClosed")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "clientLeftOpen")).startsWith("FAILED").contains("LK44");
                assertThat(outcome(o, "clientWithItsOwnExecutorLeftOpen")).startsWith("FAILED").contains("LK44").contains("audit45-client-pool");
                assertThat(outcome(o, "serverLeftRunning")).startsWith("FAILED").contains("LK39");
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // JMX: the platform MBean server, a connector server on a port, a monitor

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @NoGoroutineLeaks(graceMillis = 2000)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class JmxFixture {
        static final ObjectName THREADING;
        static {
            try {
                THREADING = new ObjectName(ManagementFactory.THREAD_MXBEAN_NAME);
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @Test
        @Order(1)
        void platformMBeanServer() throws Exception {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            assertThat(mbs.getAttribute(THREADING, "ThreadCount")).isNotNull();
        }

        @Test
        @Order(2)
        void connectorServerStartedAndStopped() throws Exception {
            JMXConnectorServer cs = JMXConnectorServerFactory.newJMXConnectorServer(
                    new JMXServiceURL("rmi", "127.0.0.1", freePort()), null, ManagementFactory.getPlatformMBeanServer());
            cs.start();
            cs.stop();
        }

        @Test
        @Order(3)
        void connectorServerLeftRunning() throws Exception {
            JMXConnectorServer cs = JMXConnectorServerFactory.newJMXConnectorServer(
                    new JMXServiceURL("rmi", "127.0.0.1", freePort()), null, ManagementFactory.getPlatformMBeanServer());
            cs.start();
            LEFT.add(cs::stop);
        }

        @Test
        @Order(4)
        void gaugeMonitorStartedAndStopped() throws Exception {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            GaugeMonitor m = new GaugeMonitor();
            ObjectName name = new ObjectName("audit45:type=GaugeMonitor");
            mbs.registerMBean(m, name);
            try {
                m.addObservedObject(THREADING);
                m.setObservedAttribute("ThreadCount");
                m.setGranularityPeriod(10);
                m.start();
                long deadline = System.nanoTime() + BOUND.toNanos();
                while (m.getDerivedGauge(THREADING) == null) { // it observed once
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.onSpinWait();
                }
                m.stop();
            } finally {
                mbs.unregisterMBean(name);
            }
        }
    }

    @Test
    @Order(4)
    void jmx() throws Exception {
        probe(JmxFixture.class, o -> {
                assertThat(outcome(o, "connectorServerLeftRunning")).startsWith("FAILED").contains("LK48");
                assertThat(outcome(o, "platformMBeanServer")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "connectorServerStartedAndStopped")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "gaugeMonitorStartedAndStopped")).as("a JMX monitor stopped: its scheduler is the JDK's, JVM-wide")
                        .isEqualTo("SUCCESSFUL");
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // java.util.concurrent.Executors left open, and plain threads

    @NoGoroutineLeaks(graceMillis = 1000)
    static class ExecutorsFixture {
        @Test
        void scheduledThreadPoolLeftOpen() {
            ScheduledExecutorService s = Executors.newScheduledThreadPool(1, r -> new Thread(r, "audit45-scheduled"));
            LEFT.add(shutdown(s));
            s.schedule(() -> {}, 10, TimeUnit.MINUTES);
        }

        @Test
        void scheduledThreadPoolShutDown() throws Exception {
            ScheduledExecutorService s = Executors.newScheduledThreadPool(1);
            s.schedule(() -> {}, 10, TimeUnit.MINUTES);
            s.shutdownNow();
            assertThat(s.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }

        @Test
        void workStealingPoolLeftOpen() throws Exception {
            ExecutorService s = Executors.newWorkStealingPool(1);
            LEFT.add(shutdown(s));
            s.submit(() -> {}).get(30, TimeUnit.SECONDS);
        }

        @Test
        void platformThreadPerTaskLeftOpenWithATaskRunning() {
            ExecutorService s = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("audit45-per-task").factory());
            LEFT.add(shutdown(s));
            s.submit(JdkSharedThreadsTest::await);
        }

        @Test
        void platformThreadPerTaskLeftOpenAllTasksDone() throws Exception {
            ExecutorService s = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("audit45-per-task-done").factory());
            LEFT.add(shutdown(s));
            s.submit(() -> {}).get(30, TimeUnit.SECONDS);
            // a task's thread ends just after its future completes: the grace period covers it
        }

        @Test
        void virtualThreadBlockedInSynchronized() throws Exception {
            Object lock = new Object();
            CountDownLatch entered = new CountDownLatch(1);
            Thread holder = started(Thread.ofPlatform().name("audit45-lock-holder").start(() -> {
                synchronized (lock) {
                    entered.countDown();
                    await();
                }
            }));
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            started(Thread.ofVirtual().name("audit45-virtual-blocked").start(() -> {
                synchronized (lock) {
                    lock.hashCode();
                }
            }));
            assertThat(holder.isAlive()).isTrue();
        }

        @Test
        void virtualThreadInObjectWait() {
            Object lock = new Object();
            started(Thread.ofVirtual().name("audit45-virtual-waiting").start(() -> {
                synchronized (lock) {
                    while (GATE.getCount() > 0) {
                        try {
                            lock.wait(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }));
        }

        @Test
        void platformDaemonThread() {
            started(Thread.ofPlatform().daemon().name("audit45-daemon").start(JdkSharedThreadsTest::await));
        }

        @Test
        void timerLeftScheduled() {
            java.util.Timer timer = new java.util.Timer("audit45-timer-left", true);
            timer.schedule(new java.util.TimerTask() { public void run() {} }, 600_000);
            LEFT.add(timer::cancel);
        }
    }

    @Test
    @Order(5)
    void executorsAndThreads() throws Exception {
        probe(ExecutorsFixture.class, o -> {
                assertThat(outcome(o, "scheduledThreadPoolLeftOpen")).startsWith("FAILED").contains("audit45-scheduled");
                assertThat(outcome(o, "scheduledThreadPoolShutDown")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "workStealingPoolLeftOpen")).startsWith("FAILED").contains("ForkJoinPool-");
                assertThat(outcome(o, "platformThreadPerTaskLeftOpenWithATaskRunning")).startsWith("FAILED").contains("audit45-per-task");
                assertThat(outcome(o, "platformThreadPerTaskLeftOpenAllTasksDone")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "virtualThreadBlockedInSynchronized")).startsWith("FAILED").contains("audit45-virtual-blocked");
                assertThat(outcome(o, "virtualThreadInObjectWait")).startsWith("FAILED").contains("audit45-virtual-waiting");
                assertThat(outcome(o, "platformDaemonThread")).startsWith("FAILED").contains("audit45-daemon");
                assertThat(outcome(o, "timerLeftScheduled")).startsWith("FAILED").contains("audit45-timer-left");
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Child processes: destroyed but not waited for, onExit

    @NoGoroutineLeaks(graceMillis = 5000)
    static class ProcessFixture {
        @Test
        void destroysItsChildWithoutWaiting() throws Exception {
            Process p = new ProcessBuilder("sleep", "600").start();
            LEFT.add(p::destroyForcibly);
            p.destroy(); // asynchronous: the grace period covers it
        }

        @Test
        void leavesAChildWithAnOnExit() throws Exception {
            Process p = new ProcessBuilder("sleep", "600").start();
            LEFT.add(() -> { p.destroyForcibly(); p.waitFor(30, TimeUnit.SECONDS); });
            p.toHandle().onExit().thenRun(() -> {});
        }

        @Test
        void onExitOfAFinishedChild() throws Exception {
            Process p = new ProcessBuilder("true").start();
            p.toHandle().onExit().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(6)
    void processes() throws Exception {
        probe(ProcessFixture.class, o -> {
                assertThat(outcome(o, "destroysItsChildWithoutWaiting")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "leavesAChildWithAnOnExit")).startsWith("FAILED").contains("LK53");
                assertThat(outcome(o, "onExitOfAFinishedChild")).isEqualTo("SUCCESSFUL");
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // JFR recordings, and jcmd attaching to this JVM

    @NoGoroutineLeaks(graceMillis = 2000)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class JfrAndAttachFixture {
        @Test
        @Order(1)
        void jcmdAttachesToThisJvm() throws Exception {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            Process p = new ProcessBuilder(jcmd, Long.toString(ProcessHandle.current().pid()), "VM.version")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).contains("JDK");
        }

        @Test
        @Order(2)
        void recordingStartedAndClosed() {
            try (Recording r = new Recording()) {
                r.start();
                r.stop();
            }
        }

        @Test
        @Order(3)
        void recordingWithADurationClosed() {
            try (Recording r = new Recording()) {
                r.setDuration(Duration.ofMinutes(10));
                r.start();
            }
        }

        @Test
        @Order(4)
        void recordingLeftRunning() {
            Recording r = new Recording();
            r.start();
            LEFT.add(r);
        }
    }

    @Test
    @Order(7)
    void jfrAndAttach() throws Exception {
        probe(JfrAndAttachFixture.class, o -> {
                assertThat(outcome(o, "jcmdAttachesToThisJvm")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "recordingStartedAndClosed")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "recordingWithADurationClosed")).as("the JFR scheduler timer is the JDK's, JVM-wide")
                        .isEqualTo("SUCCESSFUL");
        });
    }


    // ---------------------------------------------------------------------------------------------------------------
    // sun.misc.Signal handlers

    @NoGoroutineLeaks(graceMillis = 2000)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class SignalFixture {
        /** sun.misc.Signal through reflection: jdk.unsupported is not read by the module the tests are compiled into. */
        static Object signal() throws Exception {
            return Class.forName("sun.misc.Signal").getConstructor(String.class).newInstance("HUP");
        }

        static Object handle(Object sig, Object handler) throws Exception {
            Class<?> h = Class.forName("sun.misc.SignalHandler");
            return Class.forName("sun.misc.Signal").getMethod("handle", sig.getClass(), h).invoke(null, sig, handler);
        }

        static Object handler(Runnable body) throws Exception {
            Class<?> h = Class.forName("sun.misc.SignalHandler");
            return java.lang.reflect.Proxy.newProxyInstance(h.getClassLoader(), new Class<?>[] {h}, (proxy, m, args) -> {
                if (m.getName().equals("handle")) {
                    body.run();
                    return null;
                }
                return m.getName().equals("hashCode") ? System.identityHashCode(proxy)
                        : m.getName().equals("equals") ? proxy == args[0] : "audit45-handler";
            });
        }

        static void raise(Object sig) throws Exception {
            Class.forName("sun.misc.Signal").getMethod("raise", sig.getClass()).invoke(null, sig);
        }

        @Test
        @Order(1)
        void handlerThatReturns() throws Exception {
            CountDownLatch ran = new CountDownLatch(1);
            Object sig = signal();
            Object old = handle(sig, handler(ran::countDown));
            try {
                raise(sig);
                assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                handle(sig, old);
            }
        }

        @Test
        @Order(2)
        void handlerLeftBlocked() throws Exception {
            CountDownLatch ran = new CountDownLatch(1);
            Object sig = signal();
            Object old = handle(sig, handler(() -> {
                STARTED.add(Thread.currentThread());
                ran.countDown();
                await();
            }));
            try {
                raise(sig);
                assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                handle(sig, old);
            }
        }
    }

    @Test
    @Order(8)
    void signalHandlers() throws Exception {
        probe(SignalFixture.class, o -> {
                assertThat(outcome(o, "handlerThatReturns")).isEqualTo("SUCCESSFUL");
                assertThat(outcome(o, "handlerLeftBlocked")).startsWith("FAILED").contains("SIGHUP handler");
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // User threads disguised by the names and groups of the JDK's

    static final List<String> JDK_NAMES = List.of("Common-Cleaner", "Reference Handler", "Finalizer", "Notification Thread",
            "CompletableFutureDelayScheduler", "process reaper (pid 1)", "FileSystemWatchService", "JFR Recorder Thread",
            "Signal Dispatcher", "Attach Listener", "RMI Reaper", "RMI TCP Accept-0", "Keep-Alive-Timer", "JFR Periodic Tasks");

    @NoGoroutineLeaks(graceMillis = 500)
    static class DisguiseFixture {
        @Test
        void threadsNamedAsTheJdks() {
            for (String n : JDK_NAMES) {
                started(Thread.ofPlatform().name(n).daemon().start(JdkSharedThreadsTest::await));
            }
        }

        @Test
        void threadsInGroupsNamedAsTheJdks() {
            for (String g : List.of("InnocuousThreadGroup", "CarrierThreads", "system")) {
                ThreadGroup group = new ThreadGroup(g);
                started(new Thread(group, JdkSharedThreadsTest::await, "audit45-in-" + g)).start();
            }
        }

        /** LK51: a pool of the user's with only its delay scheduler, made from a thread in a group named CarrierThreads. */
        @Test
        void userPoolsDelaySchedulerInAGroupNamedCarrierThreads() throws Exception {
            ForkJoinPool[] pool = new ForkJoinPool[1];
            Thread maker = new Thread(new ThreadGroup("CarrierThreads"), () -> {
                pool[0] = new ForkJoinPool(1);
                ((ScheduledExecutorService) (Object) pool[0]).schedule(() -> {}, 10, TimeUnit.MINUTES); // JDK 25: compiled for 21
            }, "audit45-pool-maker");
            maker.start();
            maker.join();
            LEFT.add(() -> {
                pool[0].shutdownNow();
                pool[0].awaitTermination(30, TimeUnit.SECONDS);
            });
        }

        /** Control: a pool of the user's with only its delay scheduler, made from a thread of another group (LK51). */
        @Test
        void userPoolsDelaySchedulerInAGroupOfAnotherName() throws Exception {
            ForkJoinPool[] pool = new ForkJoinPool[1];
            Thread maker = new Thread(new ThreadGroup("audit45-group"), () -> {
                pool[0] = new ForkJoinPool(1);
                ((ScheduledExecutorService) (Object) pool[0]).schedule(() -> {}, 10, TimeUnit.MINUTES);
            }, "audit45-pool-maker-2");
            maker.start();
            maker.join();
            LEFT.add(() -> { pool[0].shutdownNow(); pool[0].awaitTermination(30, TimeUnit.SECONDS); });
        }

        /** Control: the same idle daemon pool under another name is reported. */
        @Test
        void idleDaemonPoolOfAnotherName() {
            ScheduledExecutorService s = Executors.newScheduledThreadPool(1, r -> {
                Thread t = new Thread(r, "audit45-idle-daemon");
                t.setDaemon(true);
                return t;
            });
            LEFT.add(shutdown(s));
            s.schedule(() -> {}, 10, TimeUnit.MINUTES);
        }

        /** The same pool, made on the test's own thread: LK51 reports it. */
        @Test
        void userPoolsDelaySchedulerInTheTestsGroup() throws Exception {
            ForkJoinPool pool = new ForkJoinPool(1);
            ((ScheduledExecutorService) (Object) pool).schedule(() -> {}, 10, TimeUnit.MINUTES); // JDK 25: compiled for 21
            LEFT.add(() -> { pool.shutdownNow(); pool.awaitTermination(30, TimeUnit.SECONDS); });
        }
    }

    @Test
    @Order(9)
    void disguises() throws Exception {
        probe(DisguiseFixture.class, o -> {
                var soft = new org.assertj.core.api.SoftAssertions();
                String named = outcome(o, "threadsNamedAsTheJdks");
                soft.assertThat(named).startsWith("FAILED");
                for (String n : JDK_NAMES) {
                    soft.assertThat(named).as(n).contains("\"" + n + "\"");
                }
                String grouped = outcome(o, "threadsInGroupsNamedAsTheJdks");
                soft.assertThat(grouped).startsWith("FAILED").contains("audit45-in-InnocuousThreadGroup").contains("audit45-in-CarrierThreads")
                        .contains("audit45-in-system");
                soft.assertThat(outcome(o, "userPoolsDelaySchedulerInTheTestsGroup")).startsWith("FAILED").contains("delayScheduler");
                soft.assertThat(outcome(o, "userPoolsDelaySchedulerInAGroupOfAnotherName")).startsWith("FAILED").contains("delayScheduler");
                soft.assertThat(outcome(o, "userPoolsDelaySchedulerInAGroupNamedCarrierThreads")).as("only the JVM's carriers' group")
                        .startsWith("FAILED").contains("delayScheduler");
                soft.assertThat(outcome(o, "idleDaemonPoolOfAnotherName")).startsWith("FAILED").contains("audit45-idle-daemon");
                soft.assertAll();
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // More of what the JDK starts lazily for the whole run

    @NoGoroutineLeaks(graceMillis = 2000)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class LazyJdkFixture {
        /** A JMX client connected and closed, its connector server stopped: everything of the test's closed. */
        @Test
        @Order(2)
        void jmxClientConnectedAndClosed() throws Exception {
            JMXConnectorServer cs = JMXConnectorServerFactory.newJMXConnectorServer(
                    new JMXServiceURL("rmi", "127.0.0.1", freePort()), null, ManagementFactory.getPlatformMBeanServer());
            cs.start();
            try (var c = javax.management.remote.JMXConnectorFactory.connect(cs.getAddress())) {
                assertThat(c.getMBeanServerConnection().getMBeanCount()).isPositive();
            } finally {
                cs.stop();
            }
        }

        /** A virtual thread's blocking socket I/O: JDK 25's pollers start on first use and serve the whole run. */
        @Test
        @Order(3)
        void virtualThreadSocketIo() throws Exception {
            try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                Thread t = Thread.ofVirtual().start(() -> {
                    try (var sock = ss.accept()) {
                        sock.getOutputStream().write(1);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Thread c = Thread.ofVirtual().start(() -> {
                    try (var sock = new java.net.Socket(ss.getInetAddress(), ss.getLocalPort())) {
                        sock.getInputStream().read();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                assertThat(t.join(BOUND)).isTrue();
                assertThat(c.join(BOUND)).isTrue();
            }
        }

        /** onExit of a process that is not the JVM's child (a grandchild, reparented): the JDK polls for it. */
        @Test
        @Order(4)
        void onExitOfANonChildLeftRunning() throws Exception {
            Process sh = new ProcessBuilder("sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!").start();
            long pid = Long.parseLong(new String(sh.getInputStream().readAllBytes()).trim());
            sh.waitFor();
            ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
            LEFT.add(() -> { h.destroyForcibly(); h.onExit().get(30, TimeUnit.SECONDS); });
            h.onExit().thenRun(() -> {});
        }
    }

    @Test
    @Order(10)
    void lazyJdkThings() throws Exception {
        probe(LazyJdkFixture.class, o -> {
                var soft = new org.assertj.core.api.SoftAssertions();
                soft.assertThat(outcome(o, "jmxClientConnectedAndClosed")).as("RMI's connection pool is the JDK's, JVM-wide")
                        .isEqualTo("SUCCESSFUL");
                soft.assertThat(outcome(o, "virtualThreadSocketIo")).isEqualTo("SUCCESSFUL");
                soft.assertThat(outcome(o, "onExitOfANonChildLeftRunning")).startsWith("FAILED").contains("no child of this JVM").contains("LK53");
                soft.assertAll();
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // User code left running on the JDK's own pooled threads (LK35): they are the JDK's, the code is the test's

    /** How many of the blocked handlers below are inside their wait; the probe waits until none is. */
    static final java.util.concurrent.atomic.AtomicInteger INSIDE = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.concurrent.ConcurrentHashMap<String, String> RAN_ON = new java.util.concurrent.ConcurrentHashMap<>();

    static void blockedHandler(String probe, CountDownLatch entered) {
        INSIDE.incrementAndGet();
        try {
            RAN_ON.put(probe, Thread.currentThread().toString() + " " + Thread.currentThread().getClass().getName());
            entered.countDown();
            await();
        } finally {
            INSIDE.decrementAndGet();
        }
    }

    @NoGoroutineLeaks(graceMillis = 1000)
    static class UserCodeOnJdkThreadsFixture {
        @Test
        void completionHandlerBlockedOnTheDefaultFilePool() throws Exception {
            Path f = Files.createTempFile("audit45", ".bin");
            AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            LEFT.add(() -> { ch.close(); Files.deleteIfExists(f); });
            CountDownLatch entered = new CountDownLatch(1);
            ch.write(ByteBuffer.wrap(new byte[] {1}), 0, null, new java.nio.channels.CompletionHandler<Integer, Object>() {
                public void completed(Integer r, Object a) { blockedHandler("file", entered); }
                public void failed(Throwable e, Object a) { blockedHandler("file", entered); }
            });
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        }

        @Test
        void acceptHandlerBlockedOnTheDefaultGroup() throws Exception {
            AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            AsynchronousSocketChannel client = AsynchronousSocketChannel.open();
            LEFT.add(client);
            LEFT.add(server);
            CountDownLatch entered = new CountDownLatch(1);
            server.accept(null, new java.nio.channels.CompletionHandler<AsynchronousSocketChannel, Object>() {
                public void completed(AsynchronousSocketChannel a, Object o) { LEFT.add(a); blockedHandler("group", entered); }
                public void failed(Throwable e, Object o) { blockedHandler("group", entered); }
            });
            client.connect(server.getLocalAddress()).get(30, TimeUnit.SECONDS);
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        }

        @Test
        void onExitActionBlockedOnAProcessReaper() throws Exception {
            // cat ends when its input does: the action is attached before the process can end, so it never runs
            // inline on the test's own thread (as it would, blocking the test, on a process already gone)
            Process p = new ProcessBuilder("cat").start();
            CountDownLatch entered = new CountDownLatch(1);
            p.onExit().thenRun(() -> blockedHandler("reaper", entered));
            p.getOutputStream().close();
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        }

        @Test
        void delayedTaskOnADirectExecutorBlocked() throws Exception {
            CountDownLatch entered = new CountDownLatch(1);
            java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS, Runnable::run)
                    .execute(() -> blockedHandler("delayedExecutor", entered));
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Apart: the common pool's delay scheduler is one thread for the JVM, and a blocked action stalls every delay. */
    @NoGoroutineLeaks(graceMillis = 1000)
    static class UserCodeOnTheDelaySchedulerFixture {
        @Test
        void orTimeoutActionBlockedOnTheCommonPoolsDelayScheduler() throws Exception {
            CountDownLatch entered = new CountDownLatch(1);
            // the action is attached first: the timeout completes the future, and runs it, on the delay scheduler
            var f = new java.util.concurrent.CompletableFuture<Void>();
            f.whenComplete((r, e) -> blockedHandler("orTimeout", entered));
            f.orTimeout(1, TimeUnit.MILLISECONDS);
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        }

    }

    @Test
    @Order(12)
    void userCodeLeftOnTheCommonPoolsDelayScheduler() throws Exception {
        probe(UserCodeOnTheDelaySchedulerFixture.class, o -> {
                assertThat(outcome(o, "orTimeoutActionBlockedOnTheCommonPoolsDelayScheduler")).as("ran on %s", RAN_ON).startsWith("FAILED").contains("blockedHandler");
        });
    }

    @Test
    @Order(11)
    void userCodeLeftOnTheJdksPooledThreads() throws Exception {
        probe(UserCodeOnJdkThreadsFixture.class, o -> {
                var soft = new org.assertj.core.api.SoftAssertions();
                for (String m : List.of("completionHandlerBlockedOnTheDefaultFilePool", "acceptHandlerBlockedOnTheDefaultGroup",
                        "onExitActionBlockedOnAProcessReaper", "delayedTaskOnADirectExecutorBlocked")) {
                    soft.assertThat(outcome(o, m)).as("%s (ran on %s)", m, RAN_ON).startsWith("FAILED").contains("blockedHandler");
                }
                soft.assertAll();
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // User code left running on the JVM's own threads, older than any test (the Finalizer, the notification thread)

    static final class BlockingFinalizer {
        final CountDownLatch entered;

        BlockingFinalizer(CountDownLatch entered) {
            this.entered = entered;
        }

        @Override
        @SuppressWarnings({"deprecation", "removal", "checkstyle:NoFinalizer"})
        protected void finalize() {
            blockedHandler("finalizer", entered);
        }
    }

    static final List<Runnable> UNDO = new CopyOnWriteArrayList<>();

    @NoGoroutineLeaks(graceMillis = 1000)
    static class OldJvmThreadsFixture {
        @Test
        void finalizerBlocked() throws Exception {
            CountDownLatch entered = new CountDownLatch(1);
            new BlockingFinalizer(entered);
            long deadline = System.nanoTime() + BOUND.toNanos();
            do {
                assertThat(System.nanoTime()).as("the finalizer runs").isLessThan(deadline);
                System.gc();
            } while (!entered.await(20, TimeUnit.MILLISECONDS));
        }

        @Test
        void gcNotificationListenerBlocked() throws Exception {
            CountDownLatch entered = new CountDownLatch(1);
            javax.management.NotificationListener l = (n, hb) -> {
                if (entered.getCount() > 0) {
                    blockedHandler("gcNotification", entered);
                }
            };
            for (var bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                var gc = (javax.management.NotificationEmitter) bean;
                gc.addNotificationListener(l, null, null);
                UNDO.add(() -> {
                    try {
                        gc.removeNotificationListener(l);
                    } catch (javax.management.ListenerNotFoundException e) {
                        // gone already
                    }
                });
            }
            long deadline = System.nanoTime() + BOUND.toNanos();
            do {
                assertThat(System.nanoTime()).as("a GC notification is sent").isLessThan(deadline);
                System.gc();
            } while (!entered.await(20, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    @Order(13)
    void userCodeLeftOnTheJvmsOwnThreads() throws Exception {
        try {
            Map<String, String> o = show(OldJvmThreadsFixture.class);
            var soft = new org.assertj.core.api.SoftAssertions();
            soft.assertThat(outcome(o, "finalizerBlocked")).as("ran on %s", RAN_ON).startsWith("FAILED").contains("blockedHandler");
            soft.assertThat(outcome(o, "gcNotificationListenerBlocked")).as("ran on %s", RAN_ON).startsWith("FAILED").contains("blockedHandler");
            soft.assertAll();
        } finally {
            cleanUp();
            UNDO.forEach(Runnable::run);
            UNDO.clear();
        }
    }
}
