package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * "Ended" is published only once the end is complete: when ErrGroup.await/close, a future's join or
 * Bubble.run says the goroutines have ended, the registry ({@link Goroutines#live()}, what leak
 * checks read) and {@link Goroutine#isAlive()} say so too, and a limit's slot is free only once its
 * goroutine is gone (rules EG7, GF4, BB18; EG3 and GF1 probed too, found right). Loops of many rounds, no
 * sleeps: each round looks right after the call, where a goroutine still finishing its last steps would be
 * seen. EG7, GF4 and BB18 failed on the code before (the goroutine was listed, or its thread alive).
 */
@ExtendWith(NoNewGoroutines.class)
class EndPublishedRulesTest {
    private static final int ROUNDS = 2_000;

    private static List<Goroutine> named(String name) {
        return Goroutines.live().stream().filter(g -> g.name().equals(name)).toList();
    }

    @Test
    void EG7_awaitReturnsOnlyOnceTheGroupsGoroutinesLeftTheRegistry() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            ErrGroup g = ErrGroup.create();
            g.go("eg1-probe", () -> { });
            g.go("eg1-probe", () -> { });
            g.await();
            assertThat(named("eg1-probe")).as("round %d: goroutines listed after await()", i).isEmpty();
        }
    }

    @Test
    void EG7_closeReturnsOnlyOnceTheGroupsGoroutinesLeftTheRegistry() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            try (ErrGroup g = ErrGroup.create()) {
                g.go("eg5-probe", () -> Chan.<Integer>make().receive()); // ends by close()'s interrupt
            }
            assertThat(named("eg5-probe")).as("round %d: goroutines listed after close()", i).isEmpty();
        }
    }

    /** EG3 with EG1: when await() throws the first failure, the context is already cancelled with it. */
    @Test
    void EG3_theContextIsCancelledWithTheFailureBeforeAwaitThrowsIt() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            ErrGroup g = ErrGroup.create();
            IllegalStateException boom = new IllegalStateException("round " + i);
            g.go(() -> {
                throw boom;
            });
            g.go(() -> { });
            assertThatThrownBy(g::await).isSameAs(boom);
            assertThat(g.context().err()).as("round %d", i).isNotNull();
            assertThat(g.context().cause()).as("round %d", i).isSameAs(boom);
        }
    }

    /**
     * EG7 (EG4): with a limit of one, a goroutine of the group never sees another one of the group still
     * listed: the slot is given back only once its goroutine has left the registry.
     */
    @Test
    void EG7_aSlotIsFreeOnlyOnceItsGoroutineLeftTheRegistry() throws Exception {
        ConcurrentLinkedQueue<String> overlaps = new ConcurrentLinkedQueue<>();
        ErrGroup g = ErrGroup.create();
        g.setLimit(1);
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            g.go("eg4-probe", () -> {
                int listed = named("eg4-probe").size();
                if (listed != 1) {
                    overlaps.add("round " + round + ": " + listed + " listed");
                }
            });
        }
        g.await();
        assertThat(overlaps).as("goroutines of a group limited to one, listed at once").isEmpty();
    }

    @Test
    void GF1_joinReturnsOnlyOnceTheGoroutineHasEnded() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            GoFuture<Integer> f = Go.future("gf1-probe", () -> 1);
            assertThat(f.join()).isEqualTo(1);
            assertThat(f.isDone()).isTrue();
            assertThat(f.goroutine().isAlive()).isFalse();
            assertThat(named("gf1-probe")).as("round %d", i).isEmpty();
        }
    }

    /** GF4: when done() is seen closed, the future's goroutine is no longer listed. */
    @Test
    void GF4_aFutureIsDoneOnlyOnceItsGoroutineLeftTheRegistry() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            GoFuture<Integer> f = Go.future("gf4-probe", () -> 1);
            assertThat(f.done().receiveOk().ok()).isFalse();
            assertThat(named("gf4-probe")).as("round %d: the goroutine listed after done() closed", i).isEmpty();
            assertThat(f.join()).isEqualTo(1);
        }
    }

    /** GF4 in a bubble: done() closes while the goroutine is still a member, so waiting on it is no deadlock. */
    @Test
    void GF4_waitingForAFuturesDoneInABubbleIsNoDeadlock() throws Exception {
        for (int i = 0; i < ROUNDS / 4; i++) {
            Bubble.run(() -> {
                GoFuture<java.time.Instant> f = Go.future("gf4-bubble-probe", () -> {
                    Timers.sleep(java.time.Duration.ofMinutes(1));
                    return Timers.now();
                });
                assertThat(f.done().receiveOk().ok()).isFalse(); // durable: the clock moves
                assertThat(f.join()).isEqualTo(java.time.Instant.parse("2000-01-01T00:01:00Z"));
            });
        }
    }

    @Test
    void BB18_runReturnsOnlyOnceEveryGoroutineOfTheBubbleHasEnded() throws Exception {
        for (int i = 0; i < ROUNDS / 4; i++) {
            AtomicReference<Goroutine> started = new AtomicReference<>();
            Bubble.run(() -> started.set(Go.go("bb7-probe", () -> { })));
            assertThat(started.get().isAlive()).as("round %d: the goroutine's thread is alive after run()", i).isFalse();
            assertThat(named("bb7-probe")).as("round %d", i).isEmpty();
        }
    }
}
