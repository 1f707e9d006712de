package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule BB19: futures and error groups in a bubble. A member waiting in {@code GoFuture.join()},
 * {@code ErrGroup.await()} or a limited group's {@code go} waits durably for goroutines of its bubble,
 * so the clock moves and a group or future that can never end is a deadlock. Before the rule those
 * waits were a thread join and a lock condition, which the bubble counts as running: the clock stood
 * still and the bubble hung (the {@code @Timeout}s are generous bounds that end such a hang).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BubbleStructuredTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    @Test
    void BB19_joiningAFutureThatSleepsLetsTheClockMove() throws Exception {
        Bubble.run(() -> {
            GoFuture<Instant> f = Go.future("sleeper", () -> {
                Timers.sleep(Duration.ofHours(1));
                return Timers.now();
            });
            assertThat(f.join()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
        });
    }

    @Test
    void BB19_joiningAFutureThatCanNeverEndIsADeadlock() throws Exception {
        AtomicReference<GoFuture<Integer>> stuck = new AtomicReference<>();
        assertThatThrownBy(() -> Bubble.run(() -> {
            stuck.set(Go.future("stuck", () -> Chan.<Integer>make().receive()));
            stuck.get().join();
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("\"stuck\"");
        // Observed here, so that its failure (the bubble's interrupt) never reaches a later test's handler (GF2).
        assertThatThrownBy(stuck.get()::join).isInstanceOf(InterruptedException.class);
    }

    @Test
    void BB19_awaitingAGroupWhoseGoroutinesSleepLetsTheClockMove() throws Exception {
        Bubble.run(() -> {
            ErrGroup g = ErrGroup.create();
            g.go(() -> Timers.sleep(Duration.ofHours(1)));
            g.go(() -> Timers.sleep(Duration.ofHours(2)));
            g.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(2)));
        });
    }

    /** A limited group's go() waits durably for a slot: the second sleeper starts after the first. */
    @Test
    void BB19_waitingForASlotOfALimitedGroupLetsTheClockMove() throws Exception {
        Bubble.run(() -> {
            ErrGroup g = ErrGroup.create();
            g.setLimit(1);
            g.go(() -> Timers.sleep(Duration.ofHours(1)));
            g.go(() -> Timers.sleep(Duration.ofHours(1)));
            assertThat(Timers.now()).as("the second go() waited for the first").isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            g.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(2)));
        });
    }

    @Test
    void BB19_awaitingAGroupThatCanNeverEndIsADeadlock() throws Exception {
        AtomicReference<ErrGroup> group = new AtomicReference<>();
        assertThatThrownBy(() -> Bubble.run(() -> {
            group.set(ErrGroup.create());
            group.get().go("stuck-in-group", () -> Chan.<Integer>make().receive());
            group.get().await();
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("\"stuck-in-group\"");
        assertThatThrownBy(group.get()::await).isInstanceOf(InterruptedException.class); // observed (GF2)
    }

    /**
     * As for wait groups (BB16): a group first started outside the bubble is not the bubble's, since
     * its goroutines are not members; a member waiting for it is not durably blocked (here it is the
     * only member: a durable wait would be a deadlock at once).
     */
    @Test
    void BB19_aGroupFirstStartedOutsideTheBubbleIsNotDurable() throws Exception {
        ErrGroup outside = ErrGroup.create();
        Chan<Integer> release = Chan.make();
        outside.go(release::receive); // an outside goroutine: only an outside send ends it
        AtomicReference<Thread> root = new AtomicReference<>();
        try (Threads threads = new Threads(Threads.Kind.PLATFORM)) {
            threads.start(() -> {
                Threads.awaitTrue(() -> root.get() != null && LockSupport.getBlocker(root.get())
                        instanceof java.util.concurrent.locks.AbstractQueuedSynchronizer.ConditionObject,
                        "the bubble's root waits for the outside group");
                release.send(1);
            });
            Bubble.run(() -> {
                root.set(Thread.currentThread());
                outside.await();
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        }
    }
}
