package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rules G16 and G17 (docs/spec/context-timers.md): what {@link Goroutines#live()} promises while goroutines start and
 * end, and a dump that never fails on the caller's objects. Found by session 44's audit of the structured habits.
 */
@ExtendWith(NoNewGoroutines.class)
class GoroutinesDumpTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    /** A caller's task whose text throws: a {@code FutureTask} prints it in its own {@code toString()}. */
    private static final class TextlessTask implements Callable<Integer> {
        @Override
        public Integer call() {
            return 1;
        }

        @Override
        public String toString() {
            throw new IllegalStateException("no text");
        }
    }

    /**
     * G17: a goroutine parked on a blocker whose {@code toString()} throws (a {@code FutureTask} of such a task) is
     * described with the blocker's class; the dump does not throw. Before, {@code dump()} and {@code describe} threw the
     * task's exception.
     */
    @Test
    void G17_aBlockerWhoseTextThrowsIsNamedByItsClassAndTheDumpGoesOn() throws Exception {
        FutureTask<Integer> task = new FutureTask<>(new TextlessTask());
        Goroutine waiter = Go.go("waits-on-a-textless-task", () -> task.get());
        try {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (waiter.blockedOn().orElse(null) != task) {
                assertThat(System.nanoTime()).as("the goroutine parks on the task").isLessThan(deadline);
                Thread.onSpinWait();
            }
            String dump = Goroutines.dump();
            assertThat(dump).contains("goroutine " + waiter.id() + " \"waits-on-a-textless-task\"")
                    .contains("blocked on java.util.concurrent.FutureTask (toString() threw java.lang.IllegalStateException)");
            StringBuilder one = new StringBuilder();
            Goroutines.describe(waiter, one);
            assertThat(one.toString()).contains("blocked on java.util.concurrent.FutureTask (toString() threw");
        } finally {
            task.run();
            assertThat(waiter.join(BOUND)).isTrue();
        }
    }

    /**
     * G16: while goroutines start and end around it, every call to {@code live()} lists each goroutine registered for
     * the whole call (what it promises; one that starts or ends during the call may or may not be listed).
     */
    @Test
    void G16_everyGoroutineRegisteredThroughoutACallIsListedWhileOthersComeAndGo() throws Exception {
        Chan<Integer> release = Chan.make();
        List<Goroutine> parked = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            parked.add(Go.go("parked-" + i, () -> release.receiveOk()));
        }
        AtomicBoolean churning = new AtomicBoolean(true);
        Goroutine churn = Go.go("churn", () -> {
            while (churning.get()) {
                Go.go(() -> { }).join();
            }
        });
        try {
            for (int round = 0; round < 300; round++) {
                assertThat(Goroutines.live()).as("round %d", round).containsAll(parked);
            }
        } finally {
            churning.set(false);
            release.close();
            assertThat(churn.join(BOUND)).isTrue();
            for (Goroutine g : parked) {
                assertThat(g.join(BOUND)).isTrue();
            }
        }
    }
}
