package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.AsynchronousChannelGroup;
import java.nio.file.FileSystems;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * LK11 with LK39 and LK44 to LK48: the check samples a thread's stack once when a test ends, maybe a moment after the
 * test started the thread (a test that makes a server, client, watch service, channel group or event stream, or exports an
 * RMI object, and returns at once), and a thread it excuses as the JDK's then is never looked at again. So a thread of an object of the user's
 * that the JDK runs must not be excused at any moment of its life: before it runs a frame, in the JDK's code that leads
 * to its loop, and in its loop. Each case gives {@link PlatformThreads#isRuntimes} the stacks such a thread has on its
 * way (the thread objects are the JDK's real ones where a test can make them, and left with nothing running).
 */
class EarlySampleTest {
    private static final List<String> THREAD_RUN = List.of("java.lang.Thread.runWith", "java.lang.Thread.run");

    private static List<String> above(List<String> inner, List<String> outer) {
        List<String> all = new java.util.ArrayList<>(inner);
        all.addAll(outer);
        return all;
    }

    /** The stacks of a thread that has not begun, or has begun only {@link Thread#run}. */
    private static List<List<String>> beforeItsCode() {
        return List.of(List.of(), List.of("java.lang.Thread.run"), THREAD_RUN);
    }

    @Test
    @DisplayName("LK46: a group's thread between its pool's task and its event loop is not the JDK's")
    void LK46_aGroupsThreadOnItsWayIntoItsLoopIsNotTheJdks() throws Exception {
        AtomicReference<Thread> made = new AtomicReference<>();
        AsynchronousChannelGroup group = AsynchronousChannelGroup.withFixedThreadPool(1, r -> {
            Thread t = new Thread(r, "user-group-thread");
            made.set(t);
            return t;
        });
        try {
            Thread t = made.get();
            List<String> pool = List.of("java.util.concurrent.ThreadPoolExecutor.runWorker",
                    "java.util.concurrent.ThreadPoolExecutor$Worker.run", "java.lang.Thread.runWith", "java.lang.Thread.run");
            String wrapper = "sun.nio.ch.AsynchronousChannelGroupImpl$1.run";
            // The group's wrapper binds the thread to the group (a thread-local set), then runs the loop's task.
            List<String> binding = above(List.of("java.lang.ThreadLocal.set", "sun.nio.ch.Invoker.bindToGroup", wrapper), pool);
            List<String> wrapperOnly = above(List.of(wrapper), pool);
            List<String> loop = above(List.of("sun.nio.ch.EPoll.wait", "sun.nio.ch.EPollPort$EventHandlerTask.run", wrapper), pool);
            for (List<String> stack : List.<List<String>>of(List.of(), pool, binding, wrapperOnly, loop)) {
                assertThat(PlatformThreads.isRuntimes(t, stack)).as("%s", stack).isFalse();
            }
            for (List<String> stack : List.of(binding, wrapperOnly, loop)) {
                assertThat(PlatformThreads.role(t, stack, "the test ran")).as("%s", stack)
                        .contains("a thread of a JDK AsynchronousChannelGroup").endsWith("(LK46)");
            }
        } finally {
            group.shutdownNow();
            assertThat(group.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
        made.get().join(Duration.ofSeconds(20));
        assertThat(made.get().isAlive()).as("the group's thread ended").isFalse();
    }

    @Test
    @DisplayName("LK45: a WatchService's poller is not the JDK's before it enters its loop")
    void LK45_aPollerBeforeItsLoopIsNotTheJdks() throws Exception {
        Thread poller;
        try (WatchService service = FileSystems.getDefault().newWatchService()) {
            poller = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("FileSystemWatchService") && t.isAlive())
                    .max(java.util.Comparator.comparingLong(Thread::threadId)).orElseThrow();
            List<String> loop = above(List.of("sun.nio.fs.LinuxWatchService$Poller.run"),
                    List.of("java.lang.Thread.run", "jdk.internal.misc.InnocuousThread.run"));
            for (List<String> stack : List.<List<String>>of(List.of(), List.of("jdk.internal.misc.InnocuousThread.run"), loop)) {
                assertThat(PlatformThreads.isRuntimes(poller, stack)).as("%s", stack).isFalse();
            }
        }
        poller.join(Duration.ofSeconds(20));
        assertThat(poller.isAlive()).as("the closed service's poller ended").isFalse();
    }

    @Test
    @DisplayName("LK39, LK44, LK47: a server's dispatcher, a client's selector, a stream's thread are never the JDK's")
    void LK39_LK44_LK47_theirThreadsAreNotTheJdksAtAnyMoment() {
        // Never started: only the object and its name are used, as the JDK's own threads of each are plain threads.
        Thread dispatcher = new Thread(() -> {}, "HTTP-Dispatcher");
        Thread selector = new Thread(() -> {}, "HttpClient-1-SelectorManager");
        Thread stream = new Thread(() -> {}, "JFR Event Stream 1");
        List<String> dispatcherLoop = above(List.of("sun.nio.ch.SelectorImpl.select", "sun.net.httpserver.ServerImpl$Dispatcher.run"),
                THREAD_RUN);
        List<String> selectorLoop = List.of("sun.nio.ch.SelectorImpl.select", "jdk.internal.net.http.HttpClientImpl$SelectorManager.run");
        List<String> streamLoop = above(List.of("jdk.jfr.internal.consumer.AbstractEventStream.execute",
                "jdk.jfr.internal.consumer.AbstractEventStream.lambda$startAsync$0",
                "jdk.jfr.internal.consumer.AbstractEventStream$$Lambda/0x000000002a0b4d28.run"), THREAD_RUN);
        for (List<String> stack : beforeItsCode()) {
            assertThat(PlatformThreads.isRuntimes(dispatcher, stack)).as("dispatcher %s", stack).isFalse();
            assertThat(PlatformThreads.isRuntimes(selector, stack)).as("selector %s", stack).isFalse();
            assertThat(PlatformThreads.isRuntimes(stream, stack)).as("stream %s", stack).isFalse();
        }
        assertThat(PlatformThreads.isRuntimes(dispatcher, dispatcherLoop)).isFalse();
        assertThat(PlatformThreads.isRuntimes(selector, selectorLoop)).isFalse();
        assertThat(PlatformThreads.isRuntimes(stream, streamLoop)).isFalse();
    }

    @Test
    @DisplayName("LK48: an RMI export's accept thread and reaper are not the JDK's at any moment; port 0's and the scheduler are")
    void LK48_anRmiExportsThreadsAreNotTheJdksAtAnyMoment() {
        ThreadGroup system = Thread.currentThread().getThreadGroup();
        while (system.getParent() != null) {
            system = system.getParent();
        }
        // Never started: the JDK's own are plain threads of the JVM's group, named so.
        Thread accept = new Thread(system, () -> {}, "RMI TCP Accept-41099");
        Thread anonymousAccept = new Thread(system, () -> {}, "RMI TCP Accept-0");
        Thread reaper = new Thread(system, () -> {}, "RMI Reaper");
        Thread scheduler = new Thread(system, () -> {}, "RMI Scheduler(0)");
        for (List<String> stack : beforeItsCode()) {
            assertThat(PlatformThreads.isRuntimes(accept, stack)).as("accept %s", stack).isFalse();
            assertThat(PlatformThreads.isRuntimes(reaper, stack)).as("reaper %s", stack).isFalse();
        }
        List<String> acceptLoop = above(List.of("sun.nio.ch.NioSocketImpl.accept", "java.net.ServerSocket.implAccept",
                "sun.rmi.transport.tcp.TCPTransport$AcceptLoop.executeAcceptLoop", "sun.rmi.transport.tcp.TCPTransport$AcceptLoop.run"),
                THREAD_RUN);
        List<String> reaperLoop = above(List.of("java.lang.ref.ReferenceQueue.remove", "sun.rmi.transport.ObjectTable$Reaper.run"),
                THREAD_RUN);
        assertThat(PlatformThreads.isRuntimes(accept, acceptLoop)).isFalse();
        assertThat(PlatformThreads.isRuntimes(reaper, reaperLoop)).isFalse();
        assertThat(PlatformThreads.role(accept, acceptLoop, "the test ran")).endsWith("(LK48)");
        assertThat(PlatformThreads.role(reaper, List.of(), "the test ran")).endsWith("(LK48)");
        // The anonymous port's accept thread (never closed by the JDK) and the runtime's scheduler serve the whole JVM
        // once RMI is used: still excused, as their group says.
        assertThat(PlatformThreads.isRuntimes(anonymousAccept, acceptLoop)).isTrue();
        assertThat(PlatformThreads.isRuntimes(scheduler, above(List.of("java.util.concurrent.ThreadPoolExecutor.getTask"),
                THREAD_RUN))).isTrue();
    }

    @Test
    @DisplayName("LK11: a JDK thread of its own, in a loop of its own, stays the JDK's")
    void LK11_aJdkLoopOfItsOwnStaysTheJdks() {
        // Guards the cases above against passing because nothing at all is excused.
        Thread keepAlive = new Thread(() -> {}, "Keep-Alive-Timer");
        assertThat(PlatformThreads.isRuntimes(keepAlive, above(List.of("java.lang.Thread.sleep", "sun.net.www.http.KeepAliveCache.run"),
                THREAD_RUN))).isTrue();
        Thread referenceHandler = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("Reference Handler")).findFirst().orElseThrow();
        assertThat(PlatformThreads.isRuntimes(referenceHandler, List.of())).as("a thread of the JVM's own group").isTrue();
    }
}
