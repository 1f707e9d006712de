package io.gochan;

import static io.gochan.SelfWaits.BOUND_SECONDS;
import static io.gochan.SelfWaits.outcome;
import static io.gochan.SelfWaits.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules EG11, G7 and G8 (docs/spec/context-timers.md): a group's goroutine that waits for its own group is
 * refused at once instead of waiting for itself for ever, and a wait group's counter cannot be driven below
 * what the goroutines of its {@code go} still hold. The bound of 10 s is only how long a refusal that never
 * comes (the hang) is waited for.
 */
@ExtendWith(NoNewGoroutines.class)
class SelfWaitRulesTest {
    private SelfWaits.Reports reports;
    private java.util.Collection<Throwable> handled; // what the goroutines reported

    @BeforeEach
    void catchReports() {
        reports = new SelfWaits.Reports();
        handled = reports.handled;
    }

    @AfterEach
    void restoreHandler() {
        reports.close();
    }

    @Test
    void EG11_awaitFromTheGroupsOwnGoroutineIsRefusedAndChangesNothing() throws Exception {
        ErrGroup g = ErrGroup.create();
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        CompletableFuture<Boolean> startedAfter = new CompletableFuture<>();
        g.go(() -> {
            seen.complete(outcome(g::await));
            // Refused before any state changed: the group is not awaited, so the goroutine may start more.
            startedAfter.complete(g.tryGo(() -> { }));
        });
        try {
            assertThat(within(seen, "await() in the group's goroutine"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("own goroutines");
            assertThat(startedAfter.get(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
            g.await(); // the refusal was caught: no failure
            assertThat(g.context().err()).as("await cancels the context (EG1)").isNotNull();
        } finally {
            g.close();
        }

        // Not caught: the refusal is the goroutine's failure, hence the group's (EG2), as itself.
        ErrGroup h = ErrGroup.create();
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        h.go("self-awaiter", () -> {
            try {
                h.await();
            } catch (Throwable t) {
                thrown.complete(t);
                throw t;
            }
        });
        try {
            Throwable refusal = within(thrown, "await() in a named goroutine of the group");
            assertThatThrownBy(h::await).isSameAs(refusal).isInstanceOf(IllegalStateException.class);
            assertThat(h.context().cause()).isSameAs(refusal);
        } finally {
            h.close();
        }
        assertThat(handled).isEmpty();
    }

    @Test
    void EG11_awaitFromTheGroupsOwnGoroutineIsRefusedEvenWithTheInterruptFlagSet() throws Exception {
        ErrGroup g = ErrGroup.create();
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        CompletableFuture<Boolean> flagKept = new CompletableFuture<>();
        g.tryGo(() -> {
            Thread.currentThread().interrupt();
            seen.complete(outcome(g::await));
            flagKept.complete(Thread.interrupted());
        });
        try {
            assertThat(within(seen, "await() in the group's goroutine, interrupt flag set"))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(flagKept.get(BOUND_SECONDS, TimeUnit.SECONDS)).as("the flag is left as it was").isTrue();
            g.await();
        } finally {
            g.close();
        }
    }

    @Test
    void EG11_closeFromTheGroupsOwnGoroutineIsRefusedAndChangesNothing() throws Exception {
        ErrGroup g = ErrGroup.create();
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        CompletableFuture<Boolean> startedAfter = new CompletableFuture<>();
        g.go(() -> {
            seen.complete(outcome(g::close));
            // Refused before any state changed: the group is neither closed nor its context cancelled.
            startedAfter.complete(g.context().err() == null && g.tryGo(() -> { }));
        });
        try {
            assertThat(within(seen, "close() in the group's goroutine"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("own goroutines");
            assertThat(startedAfter.get(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
        } finally {
            g.close(); // the first close that runs: waits for both goroutines, no failure (the refusal was caught)
        }

        // A try-with-resources inside the group's goroutine: the refusal is the group's failure, as itself.
        ErrGroup h = ErrGroup.create();
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        h.go(() -> {
            try (ErrGroup same = h) {
                same.context(); // uses the group, then leaves the block: close() from inside
            } catch (Throwable t) {
                thrown.complete(t);
                throw t;
            }
        });
        Throwable refusal = within(thrown, "close() in the group's goroutine");
        assertThat(refusal).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(h::close).isSameAs(refusal);
        assertThat(handled).isEmpty();
    }

    @Test
    void EG11_closeFromTheGroupsGoroutineAfterCloseBeganIsIdempotentNotRefused() throws Exception {
        // close() is idempotent, only the first call can throw: a goroutine closing a group that is closing
        // already does not wait, so it is not refused.
        ErrGroup g = ErrGroup.create();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        g.go(() -> {
            started.countDown();
            try {
                Chan.make().receive(); // until close() interrupts it
            } finally {
                seen.complete(outcome(g::close));
            }
        });
        started.await();
        g.close();
        assertThat(seen.getNow(new AssertionError("close() returned before its goroutine ended"))).isNull();
        assertThat(handled).isEmpty();
    }

    @Test
    void EG11_aWaitFromAGoroutineTheGroupDoesNotKnowIsAnOrdinaryWait() throws Exception {
        // A goroutine that a group's goroutine started with Go.go is not the group's: its await() waits for the
        // group as any other thread's does (what is and is not detected: EG11).
        ErrGroup g = ErrGroup.create();
        CompletableFuture<Throwable> childSaw = new CompletableFuture<>();
        CountDownLatch childWaits = new CountDownLatch(1);
        g.go(() -> {
            Go.go(() -> {
                childWaits.countDown();
                childSaw.complete(outcome(g::await));
            });
            childWaits.await();
        });
        assertThat(within(childSaw, "await() in a goroutine started by the group's goroutine")).isNull();
        g.close();
    }

    @Test
    void G7_awaitFromAGoroutineOfTheWaitGroupsGoIsRefused() throws Exception {
        WaitGroup wg = new WaitGroup();
        CompletableFuture<Throwable> untimed = new CompletableFuture<>();
        CompletableFuture<Throwable> timed = new CompletableFuture<>();
        CompletableFuture<Throwable> poll = new CompletableFuture<>();
        CountDownLatch release = new CountDownLatch(1);
        wg.go(() -> {
            untimed.complete(outcome(wg::await));
            timed.complete(outcome(() -> wg.await(Duration.ofHours(1))));
            poll.complete(outcome(() -> wg.await(Duration.ZERO)));
            release.await();
        });
        try {
            assertThat(within(untimed, "await() in a goroutine of wg.go"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("WaitGroup.go");
            assertThat(within(timed, "await(1h) in a goroutine of wg.go")).isInstanceOf(IllegalStateException.class);
            assertThat(within(poll, "await(0) in a goroutine of wg.go")).isInstanceOf(IllegalStateException.class);
            assertThat(wg.count()).as("refused without changing the counter").isEqualTo(1);
        } finally {
            release.countDown();
        }
        wg.await();
        assertThat(wg.count()).isZero();

        // Not caught: the refusal is the goroutine's failure, reported as any (G1, G5).
        WaitGroup other = new WaitGroup();
        other.go(other::await);
        assertThat(other.await(Duration.ofSeconds(BOUND_SECONDS))).as("the goroutine ended").isTrue();
        assertThat(handled).singleElement().isInstanceOf(IllegalStateException.class);
    }

    @Test
    void G7_aWaitFromAThreadTheWaitGroupsGoDidNotStartIsAnOrdinaryWait() throws Exception {
        // Not detected (G7): only goroutines of this wait group's go are known. A goroutine one of them started
        // with Go.go, and a goroutine of another wait group's go, wait as any thread does.
        WaitGroup wg = new WaitGroup();
        WaitGroup other = new WaitGroup();
        CompletableFuture<Throwable> childSaw = new CompletableFuture<>();
        CompletableFuture<Throwable> otherSaw = new CompletableFuture<>();
        CountDownLatch waiting = new CountDownLatch(2);
        wg.go(() -> {
            Go.go(() -> {
                waiting.countDown();
                childSaw.complete(outcome(wg::await));
            });
            other.go(() -> {
                waiting.countDown();
                otherSaw.complete(outcome(wg::await));
            });
            waiting.await();
        });
        assertThat(within(childSaw, "await() in a goroutine started with Go.go")).isNull();
        assertThat(within(otherSaw, "await() in another wait group's goroutine")).isNull();
        other.await();
        assertThat(handled).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void G8_anExtraDoneCannotTakeTheShareOfGoroutinesOfGo(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                WaitGroup wg = new WaitGroup();
                CountDownLatch release = new CountDownLatch(1);
                wg.go(release::await);
                assertThatThrownBy(wg::done).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("WaitGroup.go");
                assertThat(wg.count()).as("left unchanged").isEqualTo(1);

                // Mixed with add: the hand-made part may be taken back, never the goroutine's.
                wg.add(2);
                assertThatThrownBy(() -> wg.add(-3)).isInstanceOf(IllegalStateException.class);
                assertThat(wg.count()).isEqualTo(3);
                wg.add(-2);
                assertThatThrownBy(wg::done).isInstanceOf(IllegalStateException.class);
                assertThat(wg.count()).isEqualTo(1);

                release.countDown();
                wg.await();
                assertThat(wg.count()).isZero();
                assertThatThrownBy(wg::done).as("G4 as before").isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("negative");
            });
        }
        assertThat(handled).as("the goroutine's own done() never fails").isEmpty();
    }

    @Test
    void G8_aTaskOfGoThatCallsDoneItselfFailsThereAndTheCounterStaysRight() throws Exception {
        // Go's habit `defer wg.Done()` carried into a task of WaitGroup.go: one done() too many. It fails in the
        // task, where the goroutine's failure handler reports it (G1); the goroutine's own done() still comes once.
        WaitGroup wg = new WaitGroup();
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        wg.go(() -> {
            Throwable t = outcome(wg::done);
            seen.complete(t);
            if (t instanceof Exception e) {
                throw e;
            } else if (t != null) {
                throw new AssertionError(t);
            }
        });
        assertThat(within(seen, "done() in a task of wg.go")).isInstanceOf(IllegalStateException.class);
        wg.await(); // released by the goroutine's own done(), after the report (G5)
        assertThat(wg.count()).isZero();
        assertThat(handled).as("reported once, as the goroutine's failure").singleElement()
                .isSameAs(seen.get()).isInstanceOf(IllegalStateException.class);

        // The counter is right for the next round.
        CountDownLatch release = new CountDownLatch(1);
        wg.go(release::await);
        assertThat(wg.count()).isEqualTo(1);
        release.countDown();
        wg.await();
        assertThat(handled).hasSize(1);
    }
}
