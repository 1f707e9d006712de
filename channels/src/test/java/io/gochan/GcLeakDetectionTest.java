package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * LK10, the garbage-collector-based leak detection. Runs in its own JVM (the {@code gc-leaks}
 * surefire execution of channels/pom.xml) with {@code -Djdk.trackAllThreads=false
 * -Dgochan.goroutine.gcLeaks=true -Dgochan.goroutine.startSites=true}; skipped in the default one.
 */
@EnabledIfSystemProperty(named = "gochan.goroutine.gcLeaks", matches = "true")
class GcLeakDetectionTest {

    @Test
    void LK10_onlyAGoroutineThatNothingLiveCanReachIsReportedOnceCollected() throws Exception {
        Chan<Integer> held = Chan.make();
        Goroutine kept = Go.go("kept-handle", () -> Chan.<Integer>make().receive());
        Go.go("held-channel", held::receive);
        Go.go("ended", () -> { });
        startOrphan();
        awaitBlocked("kept-handle");
        awaitBlocked("held-channel");

        CollectedGoroutine orphan = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (orphan == null && System.nanoTime() < deadline) {
            System.gc();
            orphan = Goroutines.collectedWhileBlocked().stream()
                    .filter(c -> c.name().equals("orphan-receiver")).findFirst().orElse(null);
        }
        assertThat(orphan).as("the orphan, blocked on a channel only it knew, was collected and reported").isNotNull();
        assertThat(orphan.startSite()).as("where it was started")
                .anySatisfy(e -> assertThat(e.getMethodName()).isEqualTo("startOrphan"));
        assertThat(orphan.toString()).contains("orphan-receiver", "collected while blocked");
        assertThat(Goroutines.live()).extracting(Goroutine::name).doesNotContain("orphan-receiver");

        // Reachable from live code: a handle that can interrupt it, a channel someone can send on.
        System.gc();
        assertThat(Goroutines.collectedWhileBlocked()).extracting(CollectedGoroutine::name)
                .containsExactly("orphan-receiver");
        held.send(1);
        kept.interrupt();
        assertThat(kept.join(Duration.ofSeconds(60))).isTrue();
        Threads.awaitTrue(() -> Goroutines.count() == 0, "every other goroutine ended");
    }

    /**
     * LK10: a goroutine's start and end cost no scan of every registration (a scan per start made n starts,
     * with many goroutines alive, cost n^2 / 2 steps); only the readers ({@code live()},
     * {@code collectedWhileBlocked()}) scan.
     */
    @Test
    void LK10_aGoroutinesStartScansNoRegistrations() throws Exception {
        Chan<Integer> release = Chan.make();
        long before = GcLeakTracking.scans();
        Goroutine[] started = new Goroutine[200];
        for (int i = 0; i < started.length; i++) {
            started[i] = Go.go("scan-" + i, release::receiveOk); // released by the close
        }
        release.close();
        for (Goroutine g : started) {
            assertThat(g.join(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(GcLeakTracking.scans() - before).as("scans while %d goroutines started and ended", started.length)
                .isZero();
    }

    /** Starts a goroutine blocked on a channel nothing else references, and keeps nothing of it. */
    private static void startOrphan() {
        Go.go("orphan-receiver", () -> Chan.<Integer>make().receive());
        awaitBlocked("orphan-receiver");
    }

    private static void awaitBlocked(String name) {
        Threads.awaitTrue(() -> Goroutines.live().stream()
                .anyMatch(g -> g.name().equals(name) && g.blockedOn().isPresent()), name + " blocked");
    }

    @Test
    void LK10_theRegistryStillListsEveryRunningGoroutine() throws Exception {
        Chan<Integer> release = Chan.make();
        List<Goroutine> started = List.of(Go.go("a", release::receive), Go.go("b", release::receive));
        assertThat(Goroutines.live()).containsAll(started);
        release.close();
        for (Goroutine g : started) {
            assertThat(g.join(Duration.ofSeconds(60))).isTrue();
        }
    }

    /** The goroutines of the TM8 test, each waiting on a timer nothing else references. */
    private static final List<String> WAITERS =
            List.of("timer-waiter", "ticker-waiter", "ctx-timer-waiter", "deadline-waiter", "child-deadline-waiter");

    /**
     * A goroutine blocked on a timer's channel is not blocked forever: the timer will wake it (TM8, as
     * Go keeps a timer in its heap while a goroutine waits on its channel). So it must survive any
     * number of collections while it waits, and end when the timer fires; the leak detection must not
     * report it. Kept: nothing but the timer itself, for a one-shot, a ticker, and a receive with a context;
     * and, as neighbours, goroutines that a context deadline wakes (its timer holds the context strongly).
     */
    @Test
    void TM8_aGoroutineBlockedOnATimerIsNotCollectedAndWakesWhenItFires() throws Exception {
        Chan<String> woke = Chan.make(WAITERS.size());
        startTimerWaiters(woke);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<String> got = new java.util.ArrayList<>();
        while (got.size() < WAITERS.size() && System.nanoTime() < deadline) {
            System.gc(); // while they wait: a collection must not take them
            Received<String> r = woke.receive(Duration.ofMillis(50));
            if (r.ok()) {
                got.add(r.value());
            }
        }
        assertThat(got).containsExactlyInAnyOrderElementsOf(WAITERS);
        assertThat(Goroutines.collectedWhileBlocked()).extracting(CollectedGoroutine::name)
                .doesNotContainAnyElementsOf(WAITERS);
        Threads.awaitTrue(() -> Goroutines.live().stream().noneMatch(g -> g.name().endsWith("-waiter")), "the waiters ended");
    }

    /** Starts goroutines that wait on timers nothing else references, and keeps nothing of them. */
    private static void startTimerWaiters(Chan<String> woke) {
        Duration d = Duration.ofSeconds(2);
        Go.go("timer-waiter", () -> {
            Timers.after(d).receive();
            woke.send("timer-waiter");
        });
        Go.go("ticker-waiter", () -> {
            Timers.newTicker(d).c().receive();
            woke.send("ticker-waiter");
        });
        Go.go("ctx-timer-waiter", () -> {
            Timers.after(d).receive(Context.withCancel(Context.background()));
            woke.send("ctx-timer-waiter");
        });
        // Neighbours: a context's deadline is an action timer, held strongly; it wakes a plain receive
        // with that context, and the done channel of a child that has no timer of its own.
        Go.go("deadline-waiter", () -> {
            try {
                Chan.<Integer>make().receive(Context.withTimeout(Context.background(), d));
            } catch (DeadlineExceededException expected) {
                woke.send("deadline-waiter");
            }
        });
        Go.go("child-deadline-waiter", () -> {
            Context.withCancel(Context.withValue(Context.withTimeout(Context.background(), d), ContextKey.of("k"), 1))
                    .done().receiveOk();
            woke.send("child-deadline-waiter");
        });
        for (String n : WAITERS) {
            awaitBlocked(n);
        }
    }
}
