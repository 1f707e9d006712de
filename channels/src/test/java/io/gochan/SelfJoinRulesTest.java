package io.gochan;

import static io.gochan.SelfWaits.BOUND_SECONDS;
import static io.gochan.SelfWaits.outcome;
import static io.gochan.SelfWaits.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.SelfWaits.Call;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rules G9, GF8 and GF9 (docs/spec/context-timers.md): a goroutine that joins itself, as a {@link Goroutine} or
 * as the {@link GoFuture} it runs, is refused at once instead of waiting for its own end for ever (or, timed, only
 * until the time runs out); the self-waits that are not refused (a receive on its own future's done channel, a
 * join cycle) are ordinary waits, which a virtual-time bubble reports as a deadlock. The bound of 10 s is only
 * how long a refusal that never comes (the hang) is waited for.
 */
@ExtendWith(NoNewGoroutines.class)
class SelfJoinRulesTest {
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

    /** The outcomes of a goroutine's self-joins, each in the order the goroutine made them. */
    private record SelfJoins(Throwable untimed, Throwable timed, Throwable zero, Throwable flagged, boolean flagKept) {
        void allRefused() {
            for (Throwable t : new Throwable[] {untimed, timed, zero, flagged}) {
                assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("joins itself");
            }
            assertThat(flagKept).as("the interrupt flag is left as it was").isTrue();
        }
    }

    /** Every join form on {@code join}'s target from the calling thread, the last one with the interrupt flag set. */
    private static SelfJoins selfJoins(Call untimed, Call timed, Call zero) {
        Throwable u = outcome(untimed);
        Throwable t = outcome(timed);
        Throwable z = outcome(zero);
        Thread.currentThread().interrupt();
        Throwable f = outcome(untimed);
        boolean kept = Thread.interrupted();
        return new SelfJoins(u, t, z, f, kept);
    }

    @Test
    void G9_aGoroutineJoiningItselfIsRefused() throws Exception {
        CompletableFuture<Goroutine> self = new CompletableFuture<>();
        CompletableFuture<SelfJoins> seen = new CompletableFuture<>();
        CountDownLatch release = new CountDownLatch(1);
        Goroutine g = Go.go("self-joiner", () -> {
            Goroutine me = self.get();
            seen.complete(selfJoins(me::join, () -> me.join(Duration.ofHours(1)), () -> me.join(Duration.ZERO)));
            release.await();
        });
        self.complete(g);
        within(seen, "Goroutine.join in its own goroutine").allRefused();
        assertThat(g.isAlive()).as("refused, not ended").isTrue();
        release.countDown();
        assertThat(g.join(Duration.ofSeconds(BOUND_SECONDS))).isTrue();
        assertThat(handled).isEmpty();
    }

    @Test
    void G9_theFailureHandlerJoiningTheGoroutineItReportsIsRefused() throws Exception {
        // The handler runs on the failed goroutine's thread, before that goroutine leaves the registry (G1): a join of
        // the goroutine it is handed is a self-join. Before, it never returned, and the goroutine stayed listed.
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        Goroutines.setUncaughtExceptionHandler((g, t) -> seen.complete(outcome(g::join)));
        Goroutine g = Go.go(() -> {
            throw new IllegalArgumentException("boom");
        });
        assertThat(within(seen, "Goroutine.join in the failure handler"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("joins itself");
        assertThat(g.join(Duration.ofSeconds(BOUND_SECONDS))).isTrue();
    }

    @Test
    void GF8_aFutureJoiningItselfIsRefused() throws Exception {
        CompletableFuture<GoFuture<String>> self = new CompletableFuture<>();
        CompletableFuture<SelfJoins> seen = new CompletableFuture<>();
        CompletableFuture<SelfJoins> viaGoroutine = new CompletableFuture<>();
        GoFuture<String> f = Go.future("self-joining-future", () -> {
            GoFuture<String> me = self.get();
            seen.complete(selfJoins(me::join, () -> me.join(Duration.ofHours(1)), () -> me.join(Duration.ZERO)));
            Goroutine g = me.goroutine();
            viaGoroutine.complete(selfJoins(g::join, () -> g.join(Duration.ofHours(1)), () -> g.join(Duration.ZERO)));
            return "value";
        });
        self.complete(f);
        within(seen, "GoFuture.join in its own callable").allRefused();
        within(viaGoroutine, "the future's Goroutine.join in its own callable").allRefused();
        assertThat(f.join(Duration.ofSeconds(BOUND_SECONDS))).as("refused, caught: no failure").isEqualTo("value");

        // Not caught: the refusal is the future's failure, thrown by join as itself (GF1), not the handler's (GF2).
        CompletableFuture<GoFuture<String>> other = new CompletableFuture<>();
        GoFuture<String> g = Go.future(() -> other.get().join());
        other.complete(g);
        Throwable refusal = outcome(() -> g.join(Duration.ofSeconds(BOUND_SECONDS)));
        assertThat(refusal).isInstanceOf(IllegalStateException.class).hasMessageContaining("joins itself");
        assertThatThrownBy(g::join).isSameAs(refusal);
        assertThat(handled).isEmpty();
    }

    @Test
    void G9_GF8_aSelfJoinInABubbleIsRefusedAndTheClockStays() throws Exception {
        // Before, the untimed forms were a deadlock of the bubble (BB5) and the timed ones moved its clock and gave
        // up: false, TimeoutException.
        CompletableFuture<SelfJoins> goroutineSaw = new CompletableFuture<>();
        CompletableFuture<SelfJoins> futureSaw = new CompletableFuture<>();
        Bubble.run(() -> {
            Instant start = Timers.now();
            Chan<Goroutine> selfG = Chan.make(1);
            Goroutine g = Go.go(() -> {
                Goroutine me = selfG.receive();
                goroutineSaw.complete(selfJoins(me::join, () -> me.join(Duration.ofHours(1)),
                        () -> me.join(Duration.ZERO)));
            });
            selfG.send(g);
            g.join();

            Chan<GoFuture<Integer>> selfF = Chan.make(1);
            GoFuture<Integer> f = Go.future(() -> {
                GoFuture<Integer> me = selfF.receive();
                futureSaw.complete(selfJoins(me::join, () -> me.join(Duration.ofHours(1)),
                        () -> me.join(Duration.ZERO)));
                return 7;
            });
            selfF.send(f);
            assertThat(f.join()).isEqualTo(7);
            assertThat(Timers.now()).as("no virtual time passed").isEqualTo(start);
        });
        goroutineSaw.getNow(null).allRefused();
        futureSaw.getNow(null).allRefused();
    }

    @Test
    void GF9_aFuturesDoneChannelReceivedInItsOwnGoroutineIsAnOrdinaryWait() throws Exception {
        // Not refused: done() is a channel, and a channel operation knows no goroutine. A timed receive gives up
        // (on the bubble's clock: no real time), a select with another case takes that case, and a receive without
        // either is the bubble's deadlock (BB5), as <-done in its own goroutine is in Go.
        Bubble.run(() -> {
            Instant start = Timers.now();
            Chan<GoFuture<Boolean>> selfF = Chan.make(1);
            GoFuture<Boolean> f = Go.future(() -> selfF.receive().done().receive(Duration.ofHours(1)).notReady());
            selfF.send(f);
            assertThat(f.join()).as("the timed receive ran out").isTrue();
            assertThat(Duration.between(start, Timers.now())).isEqualTo(Duration.ofHours(1));
        });

        CompletableFuture<GoFuture<Object>> self = new CompletableFuture<>();
        assertThatThrownBy(() -> Bubble.run(() -> {
            Chan<GoFuture<Object>> selfF = Chan.make(1);
            GoFuture<Object> f = Go.future(() -> selfF.receive().done().receive());
            self.complete(f);
            selfF.send(f);
            f.join();
        })).isInstanceOf(BubbleDeadlockException.class);
        assertThat(self.get().isDone()).isTrue();
    }

    @Test
    void GF9_aJoinCycleOfTwoGoroutinesIsNotRefusedAndIsTheBubblesDeadlock() throws Exception {
        // Not detected: it takes a wait-for graph. Inside a bubble, nothing else can run, so BB5 reports it.
        assertThatThrownBy(() -> Bubble.run(() -> {
            Chan<GoFuture<Object>> toA = Chan.make(1);
            Chan<GoFuture<Object>> toB = Chan.make(1);
            GoFuture<Object> a = Go.future("a", () -> toA.receive().join());
            GoFuture<Object> b = Go.future("b", () -> toB.receive().join());
            toA.send(b);
            toB.send(a);
            a.join();
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("\"a\"").hasMessageContaining("\"b\"");

        // Outside a bubble, a timed join in the cycle runs out as any timed join does (nothing to refuse).
        CompletableFuture<Goroutine> toA = new CompletableFuture<>();
        CompletableFuture<Goroutine> toB = new CompletableFuture<>();
        GoFuture<Boolean> a = Go.future(() -> toA.get().join(Duration.ofMillis(50)));
        Goroutine b = Go.go(() -> toB.get().join());
        toA.complete(b);
        toB.complete(a.goroutine());
        assertThat(a.join(Duration.ofSeconds(BOUND_SECONDS))).as("a's join of b ran out").isFalse();
        assertThat(b.join(Duration.ofSeconds(BOUND_SECONDS))).as("a ended, so b did").isTrue();
    }
}
