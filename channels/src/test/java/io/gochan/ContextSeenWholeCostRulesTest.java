package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule CX24 of docs/spec/context-timers.md: what it costs to see a cancellation whole (CX4, CX23) once it is settled.
 * A parent's cancel is held just after it marked the parent (a test thread holds the parent's {@code done()} lock, as a
 * select's registration waiting for a carrier does, TM21) while 1,000 of its children are cancelled by their own
 * {@code cancel()}: they cannot leave the parent under way (CX22), so its walk meets every one of them done by another
 * and records it. That is what a server's shutdown meets when requests end as it cancels their parent. Nothing sleeps:
 * the order comes from the held lock and the canceller's thread state.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextSeenWholeCostRulesTest {
    private static final int MET = 1_000;

    /**
     * CX24: a settled cancellation that met 1,000 children cancelled by others keeps none of them reachable while the
     * cancelled parent, and a child its walk cancelled, are still referenced; both say the same error. A cancelled Go
     * context drops its children. Before, the outcome the parent shares with every context its walk cancelled kept the
     * 1,000 reachable, and each {@code err()} or {@code cause()} looked at all of them again (2,000 calls took 131 ms
     * against 5 us for a cancellation that met nothing: a speed, for {@code ContextOpBenchmark}, not asserted here).
     */
    @Test
    void CX24_aSettledCancellationKeepsNothingItMet() throws Exception {
        Contexts.CancelContext parent = (Contexts.CancelContext) Context.withCancel(Context.background());
        CancellableContext marked = Context.withCancel(parent); // cancelled by the parent's walk: shares its outcome
        List<WeakReference<CancellableContext>> metRefs = cancelWhileChildrenCancel(parent);
        assertThat(parent.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(marked.err()).isSameAs(parent.err());
        assertThat(parent.childCount()).isZero();

        for (int i = 0; i < 20 && metRefs.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
        }
        assertThat(metRefs.stream().filter(r -> r.get() != null).count())
                .as("children the cancelled parent met, still reachable while it is").isZero();
        assertThat(parent.err()).isNotNull(); // the parent lived through the collection
        assertThat(marked.err()).isSameAs(parent.err());
    }

    /**
     * Cancels {@code parent} while {@link #MET} new children of it cancel themselves, so that its walk meets each done
     * by another; returns weak references to those children (made here, so that no frame of the test keeps them).
     */
    private static List<WeakReference<CancellableContext>> cancelWhileChildrenCancel(Contexts.CancelContext parent)
            throws Exception {
        List<CancellableContext> met = new ArrayList<>(MET);
        List<WeakReference<CancellableContext>> refs = new ArrayList<>(MET);
        for (int i = 0; i < MET; i++) {
            CancellableContext c = Context.withCancel(parent);
            met.add(c);
            refs.add(new WeakReference<>(c));
        }
        ChannelCore parentDone = ChannelCores.of(parent.done());
        try (Threads threads = new Threads(Kind.PLATFORM)) {
            parentDone.lock();
            try {
                // Marks the parent (its children are then under way: CX22), then waits for the done() lock.
                Thread canceller = threads.start(parent::cancel);
                Threads.awaitTrue(() -> canceller.getState() == Thread.State.WAITING, "the parent's cancel to be under way");
                for (CancellableContext c : met) {
                    c.cancel(); // done at once; does not wait to leave a parent whose cancellation is under way (CX22)
                }
            } finally {
                parentDone.unlock();
            }
        }
        assertThat(met).allSatisfy(c -> assertThat(c.err()).isInstanceOf(ContextCanceledException.class));
        return refs;
    }
}
