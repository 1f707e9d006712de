package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A cancel that loses to a cancellation already done builds nothing: rule CX26 of docs/spec/context-timers.md. What is
 * observed is what the calling thread allocates (HotSpot's count of a thread's allocated bytes), not a time: a losing
 * cancel that built its {@code ContextCanceledException} allocated the exception and its stack trace each time.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextLosingCancelRulesTest {
    private static final int CALLS = 10_000;

    /**
     * CX26, CX24: {@code cancel()} and {@code cancel(cause)} of a context cancelled already (by its own cancel with a
     * cause, by its parent's, by its deadline) allocate (next to) nothing: under 8 bytes a call over 20,000 calls, where
     * one exception with its stack trace takes hundreds. The first outcome stays (CX5): the same {@code err()} and
     * {@code cause()} instances. Before, each losing call made a {@code ContextCanceledException}, its stack walked
     * and recorded, and threw it away once the lock showed the context done.
     */
    @Test
    void CX26_aLosingCancelBuildsNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).as("HotSpot counts a thread's allocations").isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
        IllegalStateException first = new IllegalStateException("CX26: the first cause");
        CancellableContext own = Context.withCancelCause(Context.background());
        own.cancel(first);
        CancellableContext parent = Context.withCancelCause(Context.background());
        CancellableContext child = Context.withCancel(parent);
        parent.cancel(first);
        CancellableContext past = Context.withDeadline(Context.background(), Instant.now().minusSeconds(1));
        RuntimeException later = new RuntimeException("CX26: a later cause");
        for (CancellableContext ctx : new CancellableContext[] {own, parent, child, past}) {
            CancellationException err = ctx.err();
            Throwable cause = ctx.cause();
            assertThat(err).as("%s: done", ctx).isNotNull();
            losingCancels(ctx, later, 1_000); // the calls' code loaded and linked: that allocates, once
            long before = threads.getCurrentThreadAllocatedBytes();
            losingCancels(ctx, later, CALLS);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("%s: bytes allocated by %d losing cancels", ctx, 2 * CALLS)
                    .isLessThan(8L * 2 * CALLS);
            assertThat(ctx.err()).as("%s: the first err() stays", ctx).isSameAs(err);
            assertThat(ctx.cause()).as("%s: the first cause stays", ctx).isSameAs(cause);
        }
        assertThat(own.cause()).isSameAs(first);
        assertThat(child.cause()).isSameAs(first);
        assertThat(past.err()).isInstanceOf(DeadlineExceededException.class);
    }

    private static void losingCancels(CancellableContext ctx, Throwable cause, int calls) {
        for (int i = 0; i < calls; i++) {
            ctx.cancel();
            ctx.cancel(cause);
        }
    }
}
