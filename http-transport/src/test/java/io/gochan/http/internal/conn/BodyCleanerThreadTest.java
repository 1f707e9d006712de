package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TM17 (docs/spec/context-timers.md), for the transport's own thread: the cleaner of unclosed response bodies
 * ({@code gochan-body-cleaner}), made on the thread of whichever response first has its body watched, takes nothing
 * from that thread. No leak annotation: the first use of {@link UnclosedBodies} starts its cleaner's thread, which
 * then serves the whole run, inside this test.
 */
class BodyCleanerThreadTest {
    /** What the thread saw of itself, from inside. */
    private record Seen(String name, ThreadGroup group, int priority, boolean daemon, ClassLoader loader, String local) {}

    /**
     * Made on a thread with its own group, the lowest priority, its own context class loader and an inheritable
     * thread-local, the cleaner's thread runs in a group under the JVM's root group, at the normal priority, with the
     * system class loader, and sees no inherited value. Before, it took the caller's group, priority, class loader
     * (which it then kept alive) and thread-locals.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void TM17_theBodyCleanersThreadTakesNothingFromTheThreadWhoseCallMakesIt() throws Exception {
        InheritableThreadLocal<String> local = new InheritableThreadLocal<>();
        AtomicReference<Seen> seen = new AtomicReference<>();
        Runnable probe = () -> {
            Thread self = Thread.currentThread();
            seen.set(new Seen(self.getName(), self.getThreadGroup(), self.getPriority(), self.isDaemon(),
                    self.getContextClassLoader(), local.get()));
        };
        ThreadGroup callersGroup = new ThreadGroup("tm17-caller");
        AtomicReference<Thread> made = new AtomicReference<>();
        try (URLClassLoader callersLoader = new URLClassLoader(new URL[0], BodyCleanerThreadTest.class.getClassLoader())) {
            Thread caller = Thread.ofPlatform().group(callersGroup).priority(Thread.MIN_PRIORITY).unstarted(() -> {
                local.set("the caller's");
                Thread.currentThread().setContextClassLoader(callersLoader);
                Thread t = UnclosedBodies.CLEANER_THREADS.newThread(probe);
                made.set(t);
                t.start();
            });
            caller.start();
            assertThat(caller.join(Duration.ofSeconds(30))).as("the caller ended").isTrue();
            assertThat(made.get()).as("the thread was made").isNotNull();
            assertThat(made.get().join(Duration.ofSeconds(30))).as("the cleaner's thread ended").isTrue();
        }
        Seen s = seen.get();
        assertThat(s).as("the probe ran").isNotNull();
        assertThat(s.name()).isEqualTo("gochan-body-cleaner");
        assertThat(s.group().getParent()).as("its group's parent").isNotNull();
        assertThat(s.group().getParent().getParent()).as("its group is a child of the root group").isNull();
        assertThat(s.priority()).as("its priority").isEqualTo(Thread.NORM_PRIORITY);
        assertThat(s.daemon()).as("a daemon").isTrue();
        assertThat(s.loader()).as("its context class loader").isSameAs(ClassLoader.getSystemClassLoader());
        assertThat(s.local()).as("an inherited thread-local").isNull();
    }
}
