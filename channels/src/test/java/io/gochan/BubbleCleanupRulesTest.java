package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * BB40, BB41: Go's {@code t.Context()} and {@code t.Cleanup} of {@code synctest.Test}. When the body returns, the
 * bubble's context is cancelled, then the cleanups run in the bubble, last first, while the clock still moves; only
 * then does the bubble wait for its goroutines on a stopped clock (BB39). Before, there was neither: a worker the test
 * meant to stop after its body (in JUnit's {@code @AfterEach}, outside the bubble) was left durably blocked on the
 * stopped clock, a deadlock.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleCleanupRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void hookRemoved() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
    }

    /** A ticker loop bound to the bubble's context ends when the body returns: no deadlock, no tick after the end. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB40_aTickerWorkerBoundToTheBubblesContextEndsWhenTheBodyReturns() throws Exception {
        List<Instant> ticks = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> endedBy = new AtomicReference<>();
        Bubble.run(() -> {
            Context ctx = Bubble.context();
            Go.go("ticking", () -> {
                Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
                try {
                    while (true) {
                        ticks.add(ticker.c().receive(ctx)); // durable: the context's done() is the bubble's (BB2)
                    }
                } catch (CancellationException e) {
                    endedBy.set(e);
                } finally {
                    ticker.stop();
                }
            });
            Timers.sleep(Duration.ofSeconds(90));
            assertThat(ctx.isDone()).as("not done while the body runs").isFalse();
        });
        assertThat(ticks).containsExactly(EPOCH.plus(Duration.ofMinutes(1)));
        assertThat(endedBy.get()).isInstanceOf(ContextCanceledException.class);
    }

    /** A cleanup stops a worker, waits for it and sleeps in virtual time: the clock stops only after the cleanups. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB41_aCleanupStopsAWorkerAndSleepsInVirtualTime() throws Exception {
        AtomicReference<Instant> workerEnded = new AtomicReference<>();
        AtomicReference<Instant> cleanupDone = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<String> stop = Chan.make();
            Goroutine worker = Go.go("worker", () -> {
                Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
                try {
                    do {
                        ticker.c().receive();
                    } while (!stop.tryReceive().ok()); // looks for a stop at each tick
                } finally {
                    ticker.stop();
                }
                workerEnded.set(Timers.now());
            });
            Bubble.cleanup(() -> {
                Timers.sleep(Duration.ofSeconds(330)); // virtual time still moves in a cleanup: to 00:05:30
                stop.send("stop");                     // the worker takes it at its next tick, 00:06:00
                worker.join();
                cleanupDone.set(Timers.now());
            });
        });
        assertThat(workerEnded.get()).isEqualTo(EPOCH.plus(Duration.ofMinutes(6)));
        assertThat(cleanupDone.get()).isEqualTo(workerEnded.get());
    }

    /**
     * Go runs {@code t.Cleanup} functions in the bubble, so a goroutine a cleanup starts is one of the bubble's: it
     * sleeps in virtual time while the cleanup waits for it, and one left sleeping when the cleanups have returned is
     * BB39's stopped-clock deadlock, named in the dump, as a goroutine the body left would be.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB41_aGoroutineStartedByACleanupIsTheBubblesOwn() throws Exception {
        AtomicReference<Instant> joined = new AtomicReference<>();
        Bubble.run(() -> Bubble.cleanup(() -> {
            GoFuture<Instant> late = Go.future(() -> {
                Timers.sleep(Duration.ofMinutes(5));
                return Timers.now();
            });
            joined.set(late.join()); // durable: the future is the bubble's (BB19)
        }));
        assertThat(joined.get()).isEqualTo(EPOCH.plus(Duration.ofMinutes(5)));
        assertThatThrownBy(() -> Bubble.run(() -> Bubble.cleanup(
                () -> Go.go("left-by-a-cleanup", () -> Timers.sleep(Duration.ofMinutes(5))))))
                .isInstanceOf(BubbleDeadlockException.class)
                .hasMessageStartingWith("the body of Bubble.run and its cleanups have returned, so the bubble's clock has stopped")
                .hasMessageContaining("\"left-by-a-cleanup\" [durably blocked on");
    }

    /** Go's runCleanup: the context is cancelled first, then the cleanups run, the last registered first. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB40_BB41_theContextIsCancelledThenTheCleanupsRunLastFirstThenTheEndWait() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        Bubble.run(() -> {
            Context ctx = Bubble.context();
            assertThat(Bubble.context()).as("one context per bubble").isSameAs(ctx);
            Go.go("watcher", () -> {
                ctx.done().receiveOk();
                order.add("context done");
            });
            Go.go("registrar", () -> Bubble.cleanup(() -> order.add("registered by a goroutine, before the body's")));
            Bubble.await(); // the watcher waits, the registrar has registered and ended
            Bubble.cleanup(() -> order.add("registered by the body first"));
            Bubble.cleanup(() -> {
                Bubble.await(); // the watcher has seen the cancel, which came before any cleanup
                order.add("context seen done: " + ctx.isDone());
                Bubble.cleanup(() -> order.add("registered by a cleanup, so next"));
            });
            order.add("body returns");
        });
        assertThat(order).containsExactly("body returns", "context done", "context seen done: true",
                "registered by a cleanup, so next", "registered by the body first", "registered by a goroutine, before the body's");
    }

    /**
     * A cleanup that throws fails the run as a failing body does, the later cleanups still run, and each failure after
     * the first is attached to it; the bubble's goroutines are then interrupted, as after a failing body (BB7).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB41_aThrowingCleanupFailsTheRunAndTheOthersStillRun() {
        List<String> ran = new CopyOnWriteArrayList<>();
        IllegalStateException second = new IllegalStateException("the second cleanup fails");
        IllegalArgumentException first = new IllegalArgumentException("the first cleanup to run fails");
        assertThatThrownBy(() -> Bubble.run(() -> {
            Go.go("blocked", () -> Chan.<Integer>make().receive()); // left blocked: interrupted at the end
            Bubble.cleanup(() -> ran.add("last"));
            Bubble.cleanup(() -> {
                ran.add("second");
                throw second;
            });
            Bubble.cleanup(() -> {
                ran.add("first");
                throw first;
            });
        }))
                .isSameAs(first)
                .satisfies(t -> assertThat(t.getSuppressed()).containsExactly(second));
        assertThat(ran).containsExactly("first", "second", "last");
    }

    /** A body that throws: its failure is the outcome, the cleanups still run, and a cleanup's is attached to it. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB41_aCleanupsFailureIsAttachedToTheBodysFailure() {
        IllegalStateException bodys = new IllegalStateException("the body fails");
        IllegalArgumentException cleanups = new IllegalArgumentException("its cleanup fails too");
        AtomicReference<Boolean> contextDone = new AtomicReference<>();
        assertThatThrownBy(() -> Bubble.run(() -> {
            Context ctx = Bubble.context();
            Bubble.cleanup(() -> {
                contextDone.set(ctx.isDone());
                throw cleanups;
            });
            throw bodys;
        }))
                .isSameAs(bodys)
                .satisfies(t -> assertThat(t.getSuppressed()).containsExactly(cleanups));
        assertThat(contextDone.get()).as("cancelled after a failing body too").isTrue();
    }

    /**
     * The first failure the bubble saw wins (BB17): a goroutine that fails while the cleanups of a failed body run is
     * attached to the body's failure. (A body's throw used to stop the bubble at once; the cleanups now come between.)
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB41_aGoroutinesFailureDuringTheCleanupsOfAFailedBodyIsAttachedToIt() {
        IllegalStateException bodys = new IllegalStateException("the body fails first");
        AssertionError goroutines = new AssertionError("a goroutine fails while the cleanups run");
        assertThatThrownBy(() -> Bubble.run(() -> {
            Chan<Integer> fail = Chan.make();
            Goroutine failing = Go.go("fails-later", () -> {
                fail.receive();
                throw goroutines;
            });
            Bubble.cleanup(() -> {
                fail.send(1);
                failing.join();
            });
            throw bodys;
        }))
                .isSameAs(bodys)
                .satisfies(t -> assertThat(t.getSuppressed()).containsExactly(goroutines));
    }

    /** Outside a bubble there is no context and nothing would run a cleanup: both are refused, saying why. */
    @Test
    void BB40_BB41_outsideABubbleBothAreRefused() {
        assertThatThrownBy(Bubble::context).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a virtual-time bubble");
        assertThatThrownBy(() -> Bubble.cleanup(() -> {})).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a virtual-time bubble");
        assertThatThrownBy(() -> Bubble.cleanup(null)).isInstanceOf(NullPointerException.class);
    }

    /**
     * A goroutine that registers a cleanup once the cleanups have run (the bubble waits for it) is refused: the cleanup
     * would never run. (Registered during the body or a cleanup, it runs: the order test above.)
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB41_aCleanupRegisteredAfterTheCleanupsRanIsRefused() throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        Bubble.run(() -> {
            Context ctx = Bubble.context();
            Go.go("late", () -> {
                ctx.done().receiveOk(); // the body has returned
                Bubble.await();         // and the root waits for the end: no cleanup was left to run
                try {
                    Bubble.cleanup(() -> {});
                } catch (IllegalStateException e) {
                    refused.set(e);
                }
            });
        });
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cleanups have run");
    }
}
