package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A context's deadline, whose cancel runs on a hand-off thread (CX11), meeting a cancellation already under way that
 * waits for one channel's lock held for long (TM21): rule CX22.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextHandOffRulesTest {

    /**
     * CX22: a parent's cancel waits for its {@code done()} channel's lock, held (as a goroutine in a select's
     * registration holds it while it waits for a carrier); meanwhile the deadlines of more of its children than the
     * hand-off pool has threads pass. Every child is done, with its deadline's error, and a context of no relation to
     * them passes its deadline too, while the lock is still held; once it is released the parent's cancel ends.
     * Before, each child's cancel, done, then waited on a hand-off thread to leave the parent, whose lock the stuck
     * cancel held: the pool's threads all waited, every later hand-off of the JVM was refused (logged at ERROR and
     * tried again every 100 ms, refused again), so the other children and every other deadline and busy timer
     * delivery of the JVM waited for that one lock.
     */
    @Test
    void CX22_deadlinesMeetingACancelStuckOnOneHeldLockTakeNoHandOffThreads() throws Exception {
        Duration bound = Duration.ofSeconds(10);
        CancellableContext parent = Context.withCancel(Context.background());
        int n = TimerScheduler.HandOff.MOST_THREADS + 16;
        List<CancellableContext> children = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            children.add(Context.withTimeout(parent, Duration.ofMillis(200)));
        }
        ChannelCore parentsDone = ChannelCores.of(parent.done());
        parentsDone.lock();
        Thread canceller;
        try {
            canceller = Thread.ofPlatform().name("cx22-canceller").start(parent::cancel);
            for (CancellableContext child : children) {
                assertThat(child.done().receive(bound).closed()).as("a child's deadline passed").isTrue();
                assertThat(child.err()).isInstanceOf(DeadlineExceededException.class);
            }
            CancellableContext other = Context.withTimeout(Context.background(), Duration.ofMillis(20));
            assertThat(other.done().receive(bound).closed()).as("an unrelated deadline passed").isTrue();
            assertThat(other.err()).isInstanceOf(DeadlineExceededException.class);
            assertThat(canceller.isAlive()).as("the parent's cancel still waits for the held lock").isTrue();
        } finally {
            parentsDone.unlock();
        }
        canceller.join(bound.toMillis());
        assertThat(canceller.isAlive()).isFalse();
        assertThat(parent.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(((Contexts.CancelContext) parent).childCount()).isZero();
    }
}
