package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rule G1: goroutines, their registry, and uncaught exceptions. */
@ExtendWith(NoNewGoroutines.class)
class GoroutineTest {

    @Test
    void G1_goRunsOnANamedVirtualThreadAndJoinSeesItsWrites() throws Exception {
        int[] box = new int[1];
        Goroutine g = Go.go("worker", () -> box[0] = 42);
        g.join();
        assertThat(box[0]).isEqualTo(42);
        assertThat(g.name()).isEqualTo("worker");
        assertThat(g.thread().isVirtual()).isTrue();
        assertThat(g.thread().getName()).isEqualTo("worker");
        assertThat(g.isAlive()).isFalse();
        assertThat(Go.go(() -> { }).name()).startsWith("goroutine-");
    }

    @Test
    void G1_settingTheHandlerToNullRestoresTheDefault() {
        BiConsumer<Goroutine, Throwable> mine = (g, t) -> { };
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler(mine);
        try {
            assertThat(Goroutines.setUncaughtExceptionHandler(null)).isSameAs(mine);
            assertThat(Goroutines.setUncaughtExceptionHandler(mine))
                    .isSameAs(Goroutines.defaultUncaughtExceptionHandler());
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    @Test
    void G1_uncaughtExceptionsAreReportedNeverLost() throws Exception {
        ConcurrentLinkedQueue<Throwable> seen = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> seen.add(t));
        try {
            Goroutine g = Go.go("failing", () -> {
                throw new java.io.IOException("boom");
            });
            g.join();
            assertThat(seen).singleElement().satisfies(t -> assertThat(t).hasMessage("boom"));
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    @Test
    void G1_aHandlerThatRethrowsTheFailureIsLoggedNotTurnedIntoAnotherException() throws Exception {
        // A handler that rethrows what it got (or the JVM's preallocated OutOfMemoryError, thrown again
        // while handling itself) once made the report throw "Self-suppression not permitted".
        ConcurrentLinkedQueue<Throwable> escaped = new ConcurrentLinkedQueue<>();
        RuntimeException boom = new IllegalStateException("boom");
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {
            throw (RuntimeException) t;
        });
        try {
            Goroutine g = Go.go("rethrowing", () -> {
                Thread.currentThread().setUncaughtExceptionHandler((th, t) -> escaped.add(t));
                throw boom;
            });
            assertThat(g.join(java.time.Duration.ofSeconds(60))).isTrue();
            assertThat(escaped).as("nothing escapes the goroutine's report").isEmpty();
            assertThat(boom.getSuppressed()).isEmpty();
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    @Test
    void G1_registryListsLiveGoroutinesWithWhatTheyAreBlockedOn() throws Exception {
        Chan<Integer> ch = Chan.make();
        Goroutines.setStartSiteCapture(true);
        Goroutine g;
        try {
            g = Go.go("blocked-receiver", ch::receive);
        } finally {
            Goroutines.setStartSiteCapture(false);
        }
        Threads.awaitReceivers(ch, 1);
        assertThat(Goroutines.live()).contains(g);
        assertThat(g.blockedOn()).hasValueSatisfying(b -> assertThat(b.toString()).contains("receive from chan"));
        assertThat(g.startSite()).isPresent();
        assertThat(Goroutines.dump()).contains("blocked-receiver").contains("receive from chan").contains("started at");
        ch.send(1);
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
        assertThat(Goroutines.live()).doesNotContain(g);
    }

    @Test
    void G1_aFailedGoroutineLeavesTheRegistryOnlyAfterItsReport() throws Exception {
        CountDownLatch reported = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {
            reported.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            Goroutine g = Go.go(() -> {
                throw new IllegalStateException("x");
            });
            reported.await();
            assertThat(Goroutines.live()).contains(g);
            release.countDown();
            g.join();
            assertThat(Goroutines.live()).doesNotContain(g);
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }
}
