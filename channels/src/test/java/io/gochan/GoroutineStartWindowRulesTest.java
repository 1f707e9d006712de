package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule G12 (docs/spec/context-timers.md): a goroutine is listed by {@code Goroutines.live()} just before its
 * thread starts, and whoever finds it there in that window (a leak checker, a dump) sees it alive and can join it.
 * The window is held open with {@code Go.startFault}, the tests' hook between the listing and the thread's start.
 * Before, its handle said {@code isAlive() == false}, so leak checks skipped it, {@code join()} returned at once
 * before the task ran, and {@code join(timeout)} threw {@code IllegalThreadStateException("Thread not started")}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class GoroutineStartWindowRulesTest {
    /** The held start's release: counted down after each test too, so a failed assertion leaves no starter held. */
    private CountDownLatch release = new CountDownLatch(0);

    @AfterEach
    void restore() {
        Go.startFault = null;
        release.countDown();
    }

    /** Holds the start of the goroutine named {@code name} between its listing and its thread's start. */
    private CountDownLatch[] hold(String name, boolean thenFail) {
        CountDownLatch listed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        this.release = release;
        Consumer<String> fault = n -> {
            if (n.equals(name)) {
                listed.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                if (thenFail) {
                    throw new InternalError("simulated: unable to create native thread");
                }
            }
        };
        Go.startFault = fault;
        return new CountDownLatch[] {listed, release};
    }

    private static Goroutine listed(String name) {
        return Goroutines.live().stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void G12_aGoroutineListedBeforeItsThreadStartsIsAliveAndJoinable() throws Exception {
        CountDownLatch[] latches = hold("held", false);
        AtomicBoolean ran = new AtomicBoolean();
        Thread starter = Thread.ofVirtual().start(() -> Go.go("held", () -> ran.set(true)));
        latches[0].await();
        Goroutine g = listed("held");
        assertThat(g.isAlive()).as("listed, its task not run yet").isTrue();
        assertThat(g.join(Duration.ZERO)).isFalse();
        assertThat(g.join(Duration.ofMillis(20))).isFalse();
        assertThat(ran).isFalse();

        // A join waits through the start, then for the task.
        CountDownLatch joined = new CountDownLatch(1);
        AtomicBoolean ranWhenJoined = new AtomicBoolean();
        Thread joiner = Thread.ofVirtual().start(() -> {
            try {
                g.join();
                ranWhenJoined.set(ran.get());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                joined.countDown();
            }
        });
        // Release the start only once the join waits (or, as before, has returned without waiting).
        Threads.awaitTrue(() -> joined.getCount() == 0 || joiner.getState() == Thread.State.WAITING
                || joiner.getState() == Thread.State.TIMED_WAITING, "the join to wait or return");
        latches[1].countDown();
        joined.await();
        assertThat(ranWhenJoined).as("join() returned only after the task ran").isTrue();
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
        assertThat(g.isAlive()).isFalse();
        starter.join();
        joiner.join();
    }

    @Test
    void G12_aGoroutineWhoseStartFailedIsNotAliveAndJoinsAtOnce() throws Exception {
        CountDownLatch[] latches = hold("doomed", true);
        Thread starter = Thread.ofVirtual().start(() -> {
            try {
                Go.go("doomed", () -> { });
            } catch (InternalError expected) {
                // the start's failure, thrown to the starter
            }
        });
        latches[0].await();
        Goroutine g = listed("doomed");
        assertThat(g.isAlive()).isTrue();
        latches[1].countDown();
        starter.join();
        assertThat(g.isAlive()).as("its start failed: it never runs").isFalse();
        assertThat(g.join(Duration.ZERO)).isTrue();
        assertThat(g.join(Duration.ofSeconds(30))).isTrue();
        g.join();
        assertThat(Goroutines.live()).doesNotContain(g);
    }

    @Test
    void G12_aJoinWaitingThroughTheStartIsInterruptible() throws Exception {
        CountDownLatch[] latches = hold("slow-start", false);
        Thread starter = Thread.ofVirtual().start(() -> Go.go("slow-start", () -> { }));
        latches[0].await();
        Goroutine g = listed("slow-start");
        CountDownLatch interrupted = new CountDownLatch(1);
        Thread joiner = Thread.ofVirtual().start(() -> {
            try {
                g.join();
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        });
        joiner.interrupt();
        interrupted.await();
        latches[1].countDown();
        starter.join();
        joiner.join();
        g.join();
    }
}
