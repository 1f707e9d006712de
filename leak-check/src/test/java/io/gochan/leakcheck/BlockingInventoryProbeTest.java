package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.leakcheck.fixtures.ExtremeGraceFixture;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The waits of leak-check, probed as every blocking operation of the library is (I1, I7, I8): interrupted while
 * they wait, called with the interrupt flag set, and given the extreme grace periods, on a platform and on a
 * virtual thread.
 */
@Timeout(60) // a generous bound: before the fix, a grace of Long.MIN_VALUE ns waited for ever (its deadline wrapped)
class BlockingInventoryProbeTest {

    static Stream<Arguments> extremes() {
        return Stream.of(true, false).flatMap(virtual -> Stream.of(Duration.ofNanos(Long.MAX_VALUE),
                Duration.ofSeconds(Long.MAX_VALUE)).map(d -> Arguments.of(virtual, d)));
    }

    /** Starts {@code body} on a virtual or a platform thread; its outcome completes the future. */
    static <T> CompletableFuture<T> on(boolean virtual, java.util.concurrent.Callable<T> body, AtomicReference<Thread> started) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Runnable r = () -> {
            try {
                f.complete(body.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        };
        started.set(virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r));
        return f;
    }

    static void awaitWaiting(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime() - deadline).as("%s waits", t).isNegative();
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    @ParameterizedTest
    @MethodSource("extremes")
    void I7_awaitQuietWithTheLongestGraceWaitsUntilTheGoroutineEnds(boolean virtual, Duration grace) throws Exception {
        Set<Long> baseline = Goroutines.live().stream().map(Goroutine::id).collect(Collectors.toSet());
        Chan<Object> finish = Chan.make();
        Goroutine g = Go.go("i7-finishing", finish::receiveOk);
        AtomicReference<Thread> caller = new AtomicReference<>();
        CompletableFuture<List<Goroutine>> quiet = on(virtual,
                () -> LeakFinder.awaitQuiet(baseline, List.of(), grace), caller);
        try {
            awaitWaiting(caller.get()); // before: it returned at once (a wrapped deadline) or threw ArithmeticException
            assertThat(quiet).isNotDone();
        } finally {
            finish.close();
        }
        assertThat(quiet.get(30, TimeUnit.SECONDS)).isEmpty();
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void I8_awaitQuietIsInterruptibleWhileItWaits(boolean virtual) throws Exception {
        Set<Long> baseline = Goroutines.live().stream().map(Goroutine::id).collect(Collectors.toSet());
        Chan<Object> finish = Chan.make();
        Goroutine g = Go.go("i8-finishing", finish::receiveOk);
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicBoolean flagAfter = new AtomicBoolean(true);
        CompletableFuture<List<Goroutine>> quiet = on(virtual, () -> {
            try {
                return LeakFinder.awaitQuiet(baseline, List.of(), Duration.ofSeconds(Long.MAX_VALUE));
            } finally {
                flagAfter.set(Thread.currentThread().isInterrupted());
            }
        }, caller);
        try {
            awaitWaiting(caller.get());
            caller.get().interrupt();
            assertThat(quiet).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .havingCause().isInstanceOf(InterruptedException.class);
            assertThat(flagAfter).as("the flag, cleared as InterruptedException's convention is").isFalse();
            assertThat(g.isAlive()).isTrue(); // nothing was done to the goroutine
        } finally {
            finish.close();
        }
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void I8_awaitQuietWithTheFlagSetThrowsOnlyIfItWouldWait(boolean virtual) throws Exception {
        Set<Long> baseline = Goroutines.live().stream().map(Goroutine::id).collect(Collectors.toSet());
        AtomicReference<Thread> caller = new AtomicReference<>();
        // Nothing to wait for: the answer, the flag kept.
        CompletableFuture<Boolean> none = on(virtual, () -> {
            Thread.currentThread().interrupt();
            boolean empty = LeakFinder.awaitQuiet(baseline, List.of(), Duration.ofSeconds(Long.MAX_VALUE)).isEmpty();
            return empty && Thread.interrupted();
        }, caller);
        assertThat(none.get(30, TimeUnit.SECONDS)).isTrue();
        Chan<Object> finish = Chan.make();
        Goroutine g = Go.go("i8-entry", finish::receiveOk);
        try {
            CompletableFuture<List<Goroutine>> waits = on(virtual, () -> {
                Thread.currentThread().interrupt();
                return LeakFinder.awaitQuiet(baseline, List.of(), Duration.ofSeconds(Long.MAX_VALUE));
            }, caller);
            assertThat(waits).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .havingCause().isInstanceOf(InterruptedException.class);
        } finally {
            finish.close();
        }
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE, 1})
    void I7_awaitQuietWithNoGraceOrOneNanosecondReportsAtOnce(long nanos) throws Exception {
        Set<Long> baseline = Goroutines.live().stream().map(Goroutine::id).collect(Collectors.toSet());
        Chan<Object> finish = Chan.make();
        Goroutine g = Go.go("i7-at-once", finish::receiveOk);
        try {
            assertThat(LeakFinder.awaitQuiet(baseline, List.of(), Duration.ofNanos(nanos))).containsExactly(g);
        } finally {
            finish.close();
        }
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
    }

    @Test
    void I7_theExtensionTakesTheLongestGraceAndStillEndsWhenTheGoroutinesDo() throws Exception {
        // Before: graceMillis = Long.MAX_VALUE failed every test, a clean one too, with ArithmeticException.
        TestExecutionSummary s = LeakCheckTest.run(selectMethod(ExtremeGraceFixture.class, "joinsItsGoroutine"));
        assertThat(s.getFailures()).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        Thread closer = Thread.ofVirtual().start(() -> {
            while (Goroutines.live().stream().noneMatch(g -> g.name().equals("extreme-finishing"))) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000); // parks, never only yields (see LeakCheckTest)
            }
            ExtremeGraceFixture.FINISH.close();
        });
        s = LeakCheckTest.run(selectMethod(ExtremeGraceFixture.class, "goroutineStillFinishing"));
        assertThat(closer.join(Duration.ofSeconds(30))).isTrue();
        assertThat(s.getFailures()).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
    }
}
