package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule BB17: a goroutine of a bubble whose task throws fails the bubble, as a panic fails Go's
 * synctest.Test; what the bubble's own teardown provokes does not. Before the rule every such failure
 * only reached the uncaught-exception handler and Bubble.run returned normally.
 */
class BubbleGoroutineFailureTest {
    /** What reached the uncaught-exception handler during the test. */
    private final ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
    private BiConsumer<Goroutine, Throwable> previous;

    @BeforeEach
    void collectHandledFailures() {
        previous = Goroutines.setUncaughtExceptionHandler((g, t) -> handled.add(t));
    }

    @AfterEach
    void nothingLeftBehind() {
        Goroutines.setUncaughtExceptionHandler(previous);
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
        assertThat(Thread.currentThread().isInterrupted()).as("the bubble's interrupt is not left set").isFalse();
    }

    /** Runs {@code body} in a bubble on a thread of the given kind; returns what Bubble.run threw, or null. */
    private static Throwable runInBubble(Threads.Kind kind, Task body) throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                try {
                    Bubble.run(body);
                } catch (Throwable t) {
                    thrown.set(t);
                }
                assertThat(Thread.currentThread().isInterrupted()).as("the caller's interrupt status").isFalse();
            });
        }
        return thrown.get();
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB17_aGoroutineThatFailsAfterTheBodyReturnedFailsTheBubbleWithItsOwnException(Threads.Kind kind) throws Exception {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Throwable thrown = runInBubble(kind, () -> Go.go("asserts", () -> {
            // Released once the root is durably blocked too: the body has returned, the root waits for the end.
            // (A sleep would not do: the clock stops when the body returns, BB39.)
            Bubble.await();
            try {
                assertThat(Timers.now()).isEqualTo(Instant.parse("2000-01-01T00:01:00Z"));
            } catch (AssertionError e) {
                failed.set(e);
                throw e;
            }
        }));
        assertThat(thrown).as("the goroutine's failure, as itself").isNotNull().isSameAs(failed.get());
        assertThat(thrown).hasMessageContaining("2000-01-01T00:00:00Z").hasNoSuppressedExceptions();
        assertThat(handled).as("the caller saw it: not the handler's").isEmpty();
    }

    /**
     * The body waits for what the failed goroutine never sends: the bubble stops it at once (its
     * interrupt is attached), instead of reporting a deadlock as the cause.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB17_aFailingGoroutineStopsTheBodyAndIsThrownWithTheBodysAnswerSuppressed(Threads.Kind kind) throws Exception {
        IllegalStateException boom = new IllegalStateException("the computation failed");
        Throwable thrown = runInBubble(kind, () -> {
            Chan<Integer> result = Chan.make();
            Go.go("computes", () -> {
                Timers.sleep(Duration.ofSeconds(3));
                throw boom;
            });
            result.receive(); // never sent: the goroutine failed
        });
        assertThat(thrown).isSameAs(boom);
        assertThat(boom.getSuppressed()).singleElement().isInstanceOf(InterruptedException.class);
        assertThat(handled).isEmpty();
    }

    /**
     * The first failure wins; a goroutine that fails after the bubble began to stop (here it turns the
     * bubble's interrupt into another failure) is attached to it; one that answers the interrupt with
     * an InterruptedException is not a failure (the handler gets it, as outside bubbles).
     */
    @Test
    void BB17_laterFailuresAreSuppressedAndAnswersToTheInterruptAreNotFailures() throws Exception {
        AssertionError first = new AssertionError("first");
        IllegalStateException later = new IllegalStateException("failed after the bubble's interrupt");
        Throwable thrown = runInBubble(Threads.Kind.VIRTUAL, () -> {
            Chan<Integer> never = Chan.make();
            Go.go("turns-the-interrupt-into-a-failure", () -> {
                try {
                    never.receive();
                } catch (InterruptedException e) {
                    throw later; // no cause: not recognisable as an answer to the interrupt
                }
            });
            Go.go("lets-the-interrupt-out", never::receive);
            Bubble.await(); // both are blocked: the failure below comes while the bubble is live
            Go.go("fails", () -> {
                throw first;
            });
        });
        assertThat(thrown).isSameAs(first);
        assertThat(first.getSuppressed()).containsExactly(later);
        assertThat(handled).singleElement().isInstanceOf(InterruptedException.class);
    }

    /** A deadlock stops the bubble; a goroutine failing after its interrupt is attached, not the cause. */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB17_aGoroutineFailureAfterADeadlockIsAttachedToTheDeadlock(Threads.Kind kind) throws Exception {
        IllegalStateException afterwards = new IllegalStateException("failed after the deadlock's interrupt");
        Throwable thrown = runInBubble(kind, () -> {
            Chan<Integer> never = Chan.make();
            Go.go("stubborn", () -> {
                try {
                    never.receive();
                } catch (InterruptedException e) {
                    throw afterwards;
                }
            });
            never.receive();
        });
        assertThat(thrown).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("\"stubborn\"");
        assertThat(thrown.getSuppressed()).contains(afterwards);
        assertThat(handled).isEmpty();
    }

    /** The body's own failure stops the bubble: a goroutine failing afterwards is attached to it. */
    @Test
    void BB17_aGoroutineFailureAfterTheBodyThrewIsAttachedToTheBodysFailure() throws Exception {
        IllegalStateException afterwards = new IllegalStateException("failed after the body's failure");
        java.io.IOException bodys = new java.io.IOException("body failed");
        Throwable thrown = runInBubble(Threads.Kind.PLATFORM, () -> {
            Chan<Integer> never = Chan.make();
            Go.go("stubborn", () -> {
                try {
                    never.receive();
                } catch (InterruptedException e) {
                    throw afterwards;
                }
            });
            Bubble.await();
            throw bodys;
        });
        assertThat(thrown).isSameAs(bodys);
        assertThat(bodys.getSuppressed()).containsExactly(afterwards);
        assertThat(handled).isEmpty();
    }

    /**
     * Goroutines the test itself stops with an interrupt do not fail the bubble: an
     * InterruptedException, and a channel iterator's ChannelInterruptedException (caused by one), go
     * to the handler as outside bubbles.
     */
    @Test
    void BB17_goroutinesEndedByAnInterruptWhileTheBubbleIsLiveAreNotFailures() throws Exception {
        Throwable thrown = runInBubble(Threads.Kind.VIRTUAL, () -> {
            Chan<Integer> never = Chan.make();
            Goroutine receiver = Go.go("receives", never::receive);
            Goroutine iterator = Go.go("iterates", () -> {
                for (Integer ignored : never) {
                    throw new AssertionError("nothing is sent");
                }
            });
            Bubble.await();
            receiver.interrupt();
            iterator.interrupt();
        });
        assertThat(thrown).isNull();
        assertThat(handled).hasSize(2)
                .anySatisfy(t -> assertThat(t).isInstanceOf(InterruptedException.class))
                .anySatisfy(t -> assertThat(t).isInstanceOf(ChannelInterruptedException.class));
    }

    /** Futures and error groups capture their goroutines' failures: they are not uncaught (GF2, EG2). */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB17_futureAndErrGroupFailuresBelongToTheirHandles(Threads.Kind kind) throws Exception {
        IllegalStateException futures = new IllegalStateException("future");
        IllegalStateException groups = new IllegalStateException("group");
        IllegalStateException later = new IllegalStateException("not joined in the bubble, still the handle's");
        AtomicReference<GoFuture<Integer>> notJoined = new AtomicReference<>();
        Throwable thrown = runInBubble(kind, () -> {
            GoFuture<Integer> f = Go.future(() -> {
                throw futures;
            });
            notJoined.set(Go.future(() -> {
                throw later;
            }));
            ErrGroup g = ErrGroup.create();
            g.go(() -> {
                throw groups;
            });
            assertThatThrownBy(f::join).isSameAs(futures);
            assertThatThrownBy(g::await).isSameAs(groups);
        });
        // Joined after the bubble (so no unobserved failure reaches a later test's handler, GF2).
        assertThatThrownBy(notJoined.get()::join).isSameAs(later);
        assertThat(thrown).isNull();
        assertThat(handled).isEmpty();
    }

    /**
     * The bubble's own interrupt ends a condition wait (a wait group's, an error group's) as surely as
     * a channel wait: the stopped member is not taken for durably blocked while it handles it, so the
     * goroutine's failure comes alone, with no false deadlock attached. Many rounds: the window was
     * between the JDK clearing the interrupt status and the member leaving its wait (a condition wait
     * then; these waits park since BB20, and the status stays set until the member has left).
     */
    @Test
    void BB17_aMemberStoppedInAConditionWaitIsNotTakenForDeadlocked() throws Exception {
        for (int i = 0; i < 300; i++) {
            IllegalStateException boom = new IllegalStateException("round " + i);
            Throwable thrown = runInBubble(i % 2 == 0 ? Threads.Kind.VIRTUAL : Threads.Kind.PLATFORM, () -> {
                WaitGroup wg = new WaitGroup();
                wg.add(1); // never done: only the bubble's interrupt ends the wait
                Go.go(() -> {
                    Bubble.await(); // the root waits durably on the wait group
                    throw boom;
                });
                wg.await();
            });
            assertThat(thrown).isSameAs(boom);
            assertThat(boom.getSuppressed()).as("round %d", i).singleElement().isInstanceOf(InterruptedException.class);
        }
        assertThat(handled).isEmpty();
    }

    /** A WaitGroup.go task and an afterFunc task are plain goroutines: their failures fail the bubble. */
    @Test
    void BB17_waitGroupAndAfterFuncTasksFailTheBubble() throws Exception {
        IllegalStateException wgs = new IllegalStateException("wait group task");
        Throwable thrown = runInBubble(Threads.Kind.VIRTUAL, () -> {
            WaitGroup wg = new WaitGroup();
            wg.go(() -> {
                throw wgs;
            });
            wg.await();
        });
        assertThat(thrown).isSameAs(wgs);
        IllegalStateException afterFuncs = new IllegalStateException("afterFunc task");
        thrown = runInBubble(Threads.Kind.VIRTUAL, () -> {
            Timers.afterFunc(Duration.ofHours(1), () -> {
                throw afterFuncs;
            });
            Timers.sleep(Duration.ofHours(2)); // a pending timer is not a goroutine: run() would not wait for it
        });
        assertThat(thrown).isSameAs(afterFuncs);
        assertThat(afterFuncs.getSuppressed()).singleElement().isInstanceOf(InterruptedException.class);
        assertThat(handled).isEmpty();
    }
}
