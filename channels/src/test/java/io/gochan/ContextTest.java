package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Rule G3: cancellation contexts. */
class ContextTest {
    static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void G3_backgroundNeverFires() throws Exception {
        Context bg = Context.background();
        assertThat(bg.err()).isNull();
        assertThat(bg.deadline()).isEmpty();
        assertThat(bg.done().receive(Duration.ofMillis(5)).notReady()).isTrue();
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
