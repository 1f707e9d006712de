package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.leakcheck.fixtures.EndingAfterLastLookFixture;
import io.gochan.leakcheck.fixtures.JdkChannelGroupLeftOpenFixture;
import io.gochan.leakcheck.fixtures.JdkEventStreamLeftOpenFixture;
import io.gochan.leakcheck.fixtures.JdkRmiExportLeftFixture;
import io.gochan.leakcheck.fixtures.JdkHttpClientLeftOpenFixture;
import io.gochan.leakcheck.fixtures.JdkServerHandlerFixture;
import io.gochan.leakcheck.fixtures.JdkServerLeftRunningFixture;
import io.gochan.leakcheck.fixtures.JdkWatchServiceLeftOpenFixture;
import io.gochan.leakcheck.fixtures.ManyLeaksFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Leak checks that see everything, at scale (session 32's probes: every kind of thread and executor, JUnit's lifecycle,
 * ten thousand threads alive). Fixtures (package fixtures, excluded from surefire) run through the launcher as in
 * {@link BlindSpotTest}.
 */
class SeeEverythingTest {
    private static int count(Pattern p, String s) {
        return (int) p.matcher(s).results().count();
    }

    /**
     * Rule LK35: a thread that starts in the JDK's code but is stuck in the test's own code is the test's leak: a handler
     * of the JDK's {@code HttpServer} left waiting, on a virtual-thread executor or on the server's dispatcher thread.
     * Before, both were left out as the JDK's own threads (their first frame outside {@code java.*} is in
     * {@code sun.net.httpserver}): the first test passed, and the second failed only for the server's idle timer
     * thread, the stuck handler not named. Servers stopped with their handlers done still pass.
     */
    @Test
    @DisplayName("LK35: a JDK thread stuck in the test's code, an HttpServer's handler, is the test's leak")
    void LK35_aJdkThreadStuckInTheTestsCodeIsItsLeak() throws Exception {
        JdkServerHandlerFixture.release = new CountDownLatch(1);
        JdkServerHandlerFixture.LEFT.clear();
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(JdkServerHandlerFixture.class));
            assertThat(BlindSpotTest.outcome(o, "[method:leavesAHandlerStuckOnAVirtualThread()]")).startsWith("FAILED: 1 virtual thread still running")
                    .contains("sun.net.httpserver.ServerImpl$Exchange.run")
                    .contains("JdkServerHandlerFixture.lambda$serve$");
            assertThat(BlindSpotTest.outcome(o, "[method:leavesAHandlerStuckOnTheDispatcher()]")).as("the server left running, and its dispatcher stuck in the handler")
                    .startsWith("FAILED: 2 platform threads still running").contains("\"idle-timeout-task\"")
                    .contains("\"HTTP-Dispatcher\"").contains("JdkServerHandlerFixture.lambda$serve$")
                    .contains("stuck in a handler (with no executor set, handlers run on this thread)"); // LK39
            assertThat(BlindSpotTest.outcome(o, "[method:stopsItsServerOnAVirtualThreadExecutor()]")).isEqualTo("SUCCESSFUL");
            assertThat(BlindSpotTest.outcome(o, "[method:stopsItsServerOnTheDispatcher()]")).isEqualTo("SUCCESSFUL");
        } finally {
            JdkServerHandlerFixture.release.countDown();
            for (com.sun.net.httpserver.HttpServer s : JdkServerHandlerFixture.LEFT) {
                s.stop(0);
            }
        }
    }

    /**
     * Rule LK39: a JDK {@code HttpServer} the test started and left running, idle, is the test's leak, named as a server
     * with the call that ends it, in a {@code @Synctest} bubble too (BB14); one only created leaves its timer, named so.
     * Before, the idle dispatcher was left out as the JDK's own thread (all its code is {@code sun.*} and {@code java.*}):
     * the first two failed for the timer thread alone ("1 platform thread", {@code "idle-timeout-task"}), nothing said
     * a server was left. Servers stopped with {@code stop(0)}, their timer thread still ending, pass.
     */
    @Test
    @DisplayName("LK39: a JDK HttpServer the test left running, idle, is its leak, named with server.stop(0)")
    void LK39_aJdkHttpServerLeftRunningIsTheTestsLeak() throws Exception {
        JdkServerLeftRunningFixture.LEFT.clear();
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(JdkServerLeftRunningFixture.class));
            for (String left : List.of("[method:leavesItsServerRunning()]", "[method:leavesItsServerRunningInABubble()]")) {
                assertThat(BlindSpotTest.outcome(o, left)).as(left).startsWith("FAILED: 2 platform threads still running")
                        .contains("\"HTTP-Dispatcher\"").contains("sun.net.httpserver.ServerImpl$Dispatcher.run")
                        .contains("(the dispatcher of a JDK HttpServer (com.sun.net.httpserver) started while the test ran"
                                + " and never stopped: stop it with server.stop(0) (LK39))")
                        .contains("\"idle-timeout-task\"").contains("(a timer of a JDK HttpServer");
            }
            assertThat(BlindSpotTest.outcome(o, "[method:createsAServerItNeverStartsNorStops()]"))
                    .startsWith("FAILED: 1 platform thread still running").contains("\"idle-timeout-task\"")
                    .contains("HttpServer.create starts it, started or not) and never stopped: stop it with server.stop(0)")
                    .doesNotContain("HTTP-Dispatcher");
            assertThat(BlindSpotTest.outcome(o, "[method:stopsItsServer()]")).isEqualTo("SUCCESSFUL");
            assertThat(BlindSpotTest.outcome(o, "[method:stopsItsServerWithAClientConnectionStillOpen()]")).isEqualTo("SUCCESSFUL");
        } finally {
            for (com.sun.net.httpserver.HttpServer s : JdkServerLeftRunningFixture.LEFT) {
                s.stop(0);
            }
            for (java.net.Socket c : JdkServerLeftRunningFixture.OPEN) {
                c.close();
            }
        }
    }

    /** Ends one thing a fixture's test left (closes a client, shuts a group down, unexports an object). */
    private interface Ender<T> {
        void end(T left) throws Exception;
    }

    /** Checks a fixture's outcomes, by test method. */
    private interface OutcomeCheck {
        void check(Map<String, String> outcomes);
    }

    /**
     * Runs a fixture whose tests put what they leave (LK44 to LK48: a JDK object of the user's that runs a thread) in
     * {@code left}, checks its outcomes, and then, whatever the check said, ends all they left: this test's own run must
     * leave nothing behind.
     */
    private static <T> void runThenEndWhatItLeft(Class<?> fixture, List<T> left, Ender<? super T> end, OutcomeCheck check)
            throws Exception {
        left.clear();
        try {
            check.check(BlindSpotTest.run(selectClass(fixture)));
        } finally {
            for (T t : left) {
                end.end(t);
            }
        }
    }

    /** Asserts that a fixture's test failed for one platform thread, marked so in the report, with this role. */
    private static void assertLeftOnePlatformThread(Map<String, String> o, String method, String mark, String role) {
        assertThat(BlindSpotTest.outcome(o, "[method:" + method + "()]")).as(method)
                .startsWith("FAILED: 1 platform thread still running").containsPattern(mark).contains(role);
    }

    private static void assertPassed(Map<String, String> o, String... methods) {
        for (String method : methods) {
            assertThat(BlindSpotTest.outcome(o, "[method:" + method + "()]")).as(method).isEqualTo("SUCCESSFUL");
        }
    }

    /**
     * Rule LK44: a JDK {@code HttpClient} the test built and never closed is its leak, named as a client with the way to
     * end it: its selector thread runs the JDK's code only. Before, that thread was left out as one of the JDK's own: a
     * client on an executor of virtual threads, or one never used, passed, and one on the default executor failed only
     * for its idle workers (until they idled out), the client not named. A closed client still passes.
     */
    @Test
    @DisplayName("LK44: a JDK HttpClient the test left open is its leak")
    void LK44_aJdkHttpClientTheTestLeftOpenIsItsLeak() throws Exception {
        String selector = "(the selector thread of a JDK HttpClient (java.net.http) built while the test ran and never"
                + " closed: close it with client.close()";
        String selectorLoop = Pattern.quote("jdk.internal.net.http.HttpClientImpl$SelectorManager.run");
        runThenEndWhatItLeft(JdkHttpClientLeftOpenFixture.class, JdkHttpClientLeftOpenFixture.LEFT, java.net.http.HttpClient::close, o -> {
            assertLeftOnePlatformThread(o, "leavesItsClientOnVirtualThreadsOpen", selectorLoop, selector);
            assertLeftOnePlatformThread(o, "buildsAClientItNeverUsesNorCloses", selectorLoop, selector);
            String defaultExecutor = BlindSpotTest.outcome(o, "[method:leavesItsClientOpen()]");
            assertThat(defaultExecutor).startsWith("FAILED: ").contains("-SelectorManager\"").contains(selector);
            if (defaultExecutor.contains("-Worker-")) { // the workers the exchange ran on, idle now
                assertThat(defaultExecutor).contains("(a worker of the default executor of a JDK HttpClient (java.net.http)");
            }
            assertPassed(o, "closesItsClient");
        });
    }

    /**
     * Rule LK45: a JDK {@code WatchService} the test opened and never closed is its leak: its poller is an innocuous
     * thread of the JDK, which LK11 excuses, but it runs for ever unless the service is closed. Before, such a test
     * passed. A closed service still passes.
     */
    @Test
    @DisplayName("LK45: a JDK WatchService the test left open is its leak")
    void LK45_aJdkWatchServiceTheTestLeftOpenIsItsLeak() throws Exception {
        runThenEndWhatItLeft(JdkWatchServiceLeftOpenFixture.class, JdkWatchServiceLeftOpenFixture.LEFT, java.nio.file.WatchService::close, o -> {
            assertLeftOnePlatformThread(o, "leavesItsWatchServiceOpen", "\"FileSystemWatchService\"",
                    "(the poller of a JDK WatchService (java.nio.file) opened while the test ran and never closed: close it"
                            + " with watchService.close()");
            assertPassed(o, "closesItsWatchService");
        });
    }

    /**
     * Rule LK46: a JDK {@code AsynchronousChannelGroup} the test made and never shut down is its leak: its threads run the
     * JDK's event loop only, which LK11 excused, but they end only when the group is shut down. Before, such a test
     * passed. A group shut down, and channels on the JVM-wide default group, still pass.
     */
    @Test
    @DisplayName("LK46: a JDK AsynchronousChannelGroup the test left open is its leak")
    void LK46_aJdkAsynchronousChannelGroupTheTestLeftOpenIsItsLeak() throws Exception {
        runThenEndWhatItLeft(JdkChannelGroupLeftOpenFixture.class, JdkChannelGroupLeftOpenFixture.LEFT,
                java.nio.channels.AsynchronousChannelGroup::shutdownNow, o -> {
                    assertLeftOnePlatformThread(o, "leavesItsGroupOpen", Pattern.quote("$EventHandlerTask.run"),
                            "(a thread of a JDK AsynchronousChannelGroup (java.nio.channels) made while the test ran and"
                                    + " never shut down: end it with group.shutdownNow()");
                    assertPassed(o, "usesTheDefaultGroup", "shutsItsGroupDown");
                });
    }

    /**
     * Rule LK47: a JDK Flight Recorder event stream the test started with {@code startAsync()} and never closed is its
     * leak: its thread runs the JDK's code only, which LK11 excused, but it ends only when the stream is closed. Before,
     * such a test passed. A closed stream, and the recorder's own threads it starts, still pass.
     */
    @Test
    @DisplayName("LK47: a JFR event stream the test left open is its leak")
    void LK47_aJfrEventStreamTheTestLeftOpenIsItsLeak() throws Exception {
        runThenEndWhatItLeft(JdkEventStreamLeftOpenFixture.class, JdkEventStreamLeftOpenFixture.LEFT, jdk.jfr.consumer.RecordingStream::close, o -> {
            assertLeftOnePlatformThread(o, "leavesItsStreamOpen", "\"JFR Event Stream ",
                    "(the thread of a JDK Flight Recorder event stream (jdk.jfr.consumer) started with startAsync() while"
                            + " the test ran and never closed: close it with stream.close()");
            assertPassed(o, "closesItsStream");
        });
    }

    /**
     * Rule LK48: an object the test exported on the JDK's RMI runtime and never unexported is its leak: the accept thread
     * of its port (a registry on a port of its own), or the object table's reaper (a remote object), is in the JVM's own
     * thread group, which LK11 excuses, but runs until the object is unexported. Before, such a test passed. Exports
     * unexported still pass, the anonymous port's accept thread (shared, never closed by the JDK) excused.
     */
    @Test
    @DisplayName("LK48: an RMI object the test left exported is its leak")
    void LK48_anRmiObjectTheTestLeftExportedIsItsLeak() throws Exception {
        runThenEndWhatItLeft(JdkRmiExportLeftFixture.class, JdkRmiExportLeftFixture.LEFT,
                r -> java.rmi.server.UnicastRemoteObject.unexportObject(r, true), o -> {
                    assertPassed(o, "unexportsWhatItExported");
                    assertLeftOnePlatformThread(o, "leavesItsRegistryExported", "\"RMI TCP Accept-[1-9]\\d*\"",
                            "(the accept thread of a JDK RMI port (java.rmi), listening since an object (a registry, a"
                                    + " remote object, a JMX connector server) was exported on that port while the test ran"
                                    + " and never unexported: unexport it with UnicastRemoteObject.unexportObject(obj, true)");
                    assertLeftOnePlatformThread(o, "leavesARemoteObjectExported", "\"RMI Reaper\"",
                            "(the reaper of the JDK's RMI object table (java.rmi), not a daemon, running since a remote"
                                    + " object was exported while the test ran and never unexported");
                });
    }

    @Test
    @DisplayName("LK29: a report of hundreds of leaks shows the first 50 of each kind in full and counts the rest")
    void LK29_aReportOfManyLeaksShowsTheFirstInFullAndCountsTheRest() throws Exception {
        ManyLeaksFixture.release = new CountDownLatch(1);
        ManyLeaksFixture.THREADS.clear();
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(ManyLeaksFixture.class));
            String r = o.entrySet().stream().filter(e -> e.getKey().endsWith("[method:leavesHundredsRunning()]"))
                    .map(Map.Entry::getValue).findFirst().orElseThrow();
            assertThat(r).startsWith("FAILED: 300 goroutines and 60 virtual threads and 60 platform threads still running 100 ms");
            assertThat(count(Pattern.compile("(?m)^goroutine \\d+ \""), r)).as("goroutines in full").isEqualTo(50);
            assertThat(count(Pattern.compile("(?m)^virtual thread #\\d+ \"many-virtual-"), r)).as("virtual threads in full")
                    .isEqualTo(50);
            assertThat(count(Pattern.compile("(?m)^platform thread #\\d+ \"many-platform-"), r)).as("platform threads in full")
                    .isEqualTo(50);
            assertThat(r).contains("... and 250 more goroutines not shown (goroutine ")
                    .contains("... and 10 more virtual threads not shown (#").contains("... and 10 more platform threads not shown (#")
                    .contains("the first 50 are shown in full (LK29)");
        } finally {
            ManyLeaksFixture.release.countDown();
            for (Thread t : ManyLeaksFixture.THREADS) {
                t.join(10_000);
                assertThat(t.isAlive()).as("%s ended", t).isFalse();
            }
        }
    }

    /** LK29: {@code LeakFinder.report}, the public form of the report, shows the first 50 goroutines in full too. */
    @Test
    @DisplayName("LK29: LeakFinder.report shows the first 50 goroutines in full and counts the rest")
    void LK29_leakFinderReportShowsTheFirstInFull() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        java.util.List<io.gochan.Goroutine> started = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 70; i++) {
                started.add(io.gochan.Go.go(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            String r = LeakFinder.report(started, 100);
            assertThat(r).startsWith("70 goroutines still running 100 ms after the test ended");
            assertThat(count(Pattern.compile("(?m)^goroutine \\d+ \""), r)).isEqualTo(50);
            assertThat(r).contains("... and 20 more goroutines not shown (goroutine " + started.get(50).id() + " to goroutine "
                    + started.get(69).id() + ")");
        } finally {
            release.countDown();
            for (io.gochan.Goroutine g : started) {
                g.thread().join(10_000);
                assertThat(g.isAlive()).as("%s ended", g).isFalse();
            }
        }
    }

    /**
     * LK31: {@code LeakFinder.report} leaves out a goroutine of its list that has ended, as the check's report does
     * (LK30): among the first 50 it gives its place to the next, past them it is not counted. Before, it was written in
     * full, in state "terminated", and counted as still running (a goroutine that ended between {@code awaitQuiet} and
     * {@code report} was reported as a leak).
     */
    @Test
    @DisplayName("LK31: LeakFinder.report leaves out a goroutine that has ended, as the check's report does")
    void LK31_leakFinderReportLeavesOutWhatEnded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch endNow = new CountDownLatch(1);
        List<Goroutine> started = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                CountDownLatch until = i == 0 || i == 55 ? endNow : release;
                started.add(Go.go(() -> until.await()));
            }
            endNow.countDown();
            for (Goroutine g : List.of(started.get(0), started.get(55))) {
                g.thread().join(10_000);
                assertThat(g.isAlive()).as("%s ended", g).isFalse();
            }
            String r = LeakFinder.report(started, 100);
            assertThat(r).startsWith("58 goroutines still running 100 ms after the test ended:\n\n")
                    .doesNotContain("[terminated").doesNotContain("goroutine " + started.get(0).id() + " \"")
                    .contains("goroutine " + started.get(50).id() + " \"")
                    .contains("... and 8 more goroutines not shown (goroutine " + started.get(51).id() + " to goroutine "
                            + started.get(59).id() + ")");
            assertThat(count(Pattern.compile("(?m)^goroutine \\d+ \""), r)).isEqualTo(50);
            assertThat(LeakFinder.report(List.of(started.get(0)), 100))
                    .isEqualTo("0 goroutines still running 100 ms after the test ended:\n\n");
        } finally {
            release.countDown();
            for (Goroutine g : started) {
                g.thread().join(10_000);
                assertThat(g.isAlive()).as("%s ended", g).isFalse();
            }
        }
    }

    /**
     * LK30: goroutines and platform threads that the check's last look finds running and that end before its report is
     * written are left out of it: the check's test hook ({@link Judge#afterLastLook}) ends them exactly there. Among the
     * first 50 of a kind they give their place to the next; past them they are not counted. Before this hook, a release
     * timed with a sleep to come as the grace period ended tested the rule only by chance.
     */
    @Test
    @DisplayName("LK30: a goroutine or platform thread that ended after the check's last look is not reported as running")
    void LK30_whatEndedAfterTheLastLookIsNeverReportedAsRunning() throws Exception {
        EndingAfterLastLookFixture.end = new CountDownLatch(1);
        EndingAfterLastLookFixture.stay = new CountDownLatch(1);
        EndingAfterLastLookFixture.ENDING.clear();
        EndingAfterLastLookFixture.STAYING.clear();
        AtomicInteger looks = new AtomicInteger();
        AtomicInteger goroutinesSeen = new AtomicInteger();
        AtomicInteger platformSeen = new AtomicInteger();
        Judge.afterLastLook = f -> {
            if (f.goroutines().stream().noneMatch(g -> EndingAfterLastLookFixture.ENDING.contains(g.thread()))) {
                return; // another check's (the fixture class's own)
            }
            looks.incrementAndGet();
            goroutinesSeen.set(f.goroutines().size());
            platformSeen.set(f.platform().size());
            EndingAfterLastLookFixture.end.countDown();
            for (Thread t : EndingAfterLastLookFixture.ENDING) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for " + t + " to end", e);
                }
                assertThat(t.isAlive()).as("%s ended", t).isFalse();
            }
        };
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(EndingAfterLastLookFixture.class));
            String r = o.entrySet().stream().filter(e -> e.getKey().endsWith("[method:someEndAfterTheLastLook()]"))
                    .map(Map.Entry::getValue).findFirst().orElseThrow();
            assertThat(looks).as("the hook ran once for the fixture's test").hasValue(1);
            assertThat(goroutinesSeen).as("goroutines running at the last look").hasValue(65);
            assertThat(platformSeen).as("platform threads running at the last look").hasValue(65);
            assertThat(r).startsWith("FAILED: 50 goroutines and 50 platform threads still running 100 ms after the test ended")
                    .doesNotContain("[terminated").doesNotContain("lk30-ending").doesNotContain("not shown");
            assertThat(count(Pattern.compile("(?m)^goroutine \\d+ \"lk30-staying-"), r)).isEqualTo(50);
            assertThat(count(Pattern.compile("(?m)^platform thread #\\d+ \"lk30-staying-"), r)).isEqualTo(50);
        } finally {
            Judge.afterLastLook = null;
            EndingAfterLastLookFixture.end.countDown();
            EndingAfterLastLookFixture.stay.countDown();
            for (Thread t : EndingAfterLastLookFixture.ENDING) {
                t.join(10_000);
                assertThat(t.isAlive()).as("%s ended", t).isFalse();
            }
            for (Thread t : EndingAfterLastLookFixture.STAYING) {
                t.join(10_000);
                assertThat(t.isAlive()).as("%s ended", t).isFalse();
            }
        }
    }
}
