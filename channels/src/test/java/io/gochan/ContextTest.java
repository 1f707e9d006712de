package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Rule G3: cancellation contexts. The tests that wait for time run in a virtual-time bubble (ADR
 * 0013), so deadlines fire at exact instants; {@link #G3_deadlineCancelsOnTheSystemClock} keeps the
 * system scheduler's deadlines tested.
 */
class ContextTest {
    static final Duration LONG = Duration.ofSeconds(30);
    static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @Test
    void G3_backgroundNeverFires() throws Exception {
        Bubble.run(() -> {
            Context bg = Context.background();
            assertThat(bg.err()).isNull();
            assertThat(bg.deadline()).isEmpty();
            assertThat(bg.done().receive(Duration.ofDays(365)).notReady()).isTrue();
            assertThat(Timers.now()).as("waited the whole year").isEqualTo(EPOCH.plus(Duration.ofDays(365)));
            assertThat(bg.err()).isNull();
        });
    }

    @Test
    void G3_cancelClosesDoneSetsErrAndIsIdempotent() throws Exception {
        CancellableContext ctx = Context.withCancel(Context.background());
        assertThat(ctx.err()).isNull();
        assertThat(ctx.done().tryReceive().notReady()).isTrue();
        ctx.cancel();
        ctx.cancel();
        assertThat(ctx.done().receiveOk().closed()).isTrue();
        assertThat(ctx.err()).isInstanceOf(ContextCanceledException.class).hasMessage("context canceled");
    }

    @Test
    void G3_childrenAreCancelledWithTheirParentAndLeaveItWhenCancelled() throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        CancellableContext child = Context.withCancel(parent);
        CancellableContext grandchild = Context.withTimeout(child, Duration.ofHours(1));
        for (int i = 0; i < 1000; i++) {
            Context.withCancel(parent).cancel();
        }
        assertThat(((Contexts.CancelContext) parent).childCount()).isEqualTo(1);
        parent.cancel();
        assertThat(grandchild.done().receiveOk().closed()).isTrue();
        assertThat(child.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(grandchild.err()).isInstanceOf(ContextCanceledException.class);
        CancellableContext late = Context.withCancel(parent);
        assertThat(late.err()).isNotNull();
    }

    @Test
    void G3_deadlineCancelsWithDeadlineExceeded() throws Exception {
        Bubble.run(() -> {
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(5));
            assertThat(ctx.deadline()).contains(EPOCH.plusMillis(5));
            Timers.sleep(Duration.ofMillis(5).minusNanos(1));
            Bubble.await();
            assertThat(ctx.err()).as("a nanosecond before the deadline").isNull();
            assertThat(ctx.done().receive(LONG).closed()).isTrue();
            assertThat(Timers.now()).as("done exactly at the deadline").isEqualTo(EPOCH.plusMillis(5));
            assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
            CancellableContext past = Context.withDeadline(Context.background(), Timers.now().minusSeconds(1));
            assertThat(past.err()).isInstanceOf(DeadlineExceededException.class);
        });
    }

    @Test
    void G3_deadlineCancelsOnTheSystemClock() throws Exception {
        CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(5));
        assertThat(ctx.done().receive(LONG).closed()).isTrue();
        assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
        CancellableContext past = Context.withDeadline(Context.background(), Instant.now().minusSeconds(1));
        assertThat(past.err()).isInstanceOf(DeadlineExceededException.class);
    }

    @Test
    void G3_childDeadlineNeverExceedsParentsAndEarlyCancelRemovesTheTask() throws Exception {
        int before = Timers.pendingTasks();
        Instant soon = Instant.now().plusSeconds(3600);
        CancellableContext parent = Context.withDeadline(Context.background(), soon);
        CancellableContext child = Context.withTimeout(parent, Duration.ofDays(1));
        assertThat(child.deadline()).contains(soon);
        parent.cancel();
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
        try (CancellableContext scoped = Context.withTimeout(Context.background(), Duration.ofHours(1))) {
            assertThat(scoped.err()).isNull();
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }
}
