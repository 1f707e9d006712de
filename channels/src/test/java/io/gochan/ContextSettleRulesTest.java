package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A context's deadline that passes by a cancellation under way (CX22) and what is seen of it afterwards: rule CX23 of
 * docs/spec/context-timers.md. A descendant's cancel is held inside its walk (a goroutine holds one {@code done()}
 * channel's lock, as a select's registration waiting for a carrier does, TM21) while an ancestor's deadline passes; the
 * deadline's cancel runs on this test's thread (the hand-off executor of a hand-driven scheduler), so the order is fixed,
 * not raced. Nothing sleeps: the threads are ordered by the held lock, a closed {@code done()} and thread states.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextSettleRulesTest {
    private static final Duration BOUND = Duration.ofSeconds(10);

    /** Whether {@code t} waits (for a lock: the only wait its body has) or has ended. */
    private static boolean waitingOrEnded(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TERMINATED;
    }

    /** A context with a deadline of its own on {@code s}, a hand-driven scheduler, under {@code anchor} (or the root). */
    private static Contexts.CancelContext withHandDrivenDeadline(Contexts.CancelContext anchor, TimerScheduler s) {
        Context parent = anchor == null ? Context.background() : anchor;
        Contexts.CancelContext p = new Contexts.CancelContext(parent, anchor, Instant.EPOCH.plusSeconds(3600), s, null);
        if (anchor != null) {
            assertThat(anchor.adopt(p)).as("registered with its parent").isNull();
        }
        p.armDeadline(10);
        return p;
    }

    /**
     * CX23 (with CX4): once the deadline's cancel of {@code p} has passed by the cancellation of its child {@code c}
     * (under way, held in its walk), whoever then sees {@code p.err()} non-null sees {@code d}, {@code c}'s child, done
     * too; and a {@code p.cancel()} that loses to the deadline returns only once {@code d} is done. Go's cancel holds
     * the context's mutex while it cancels the children, each under its own mutex, so {@code Err} of {@code p} comes
     * only after {@code c}'s cancel is over. Before, both returned at once, {@code d.err()} still null.
     */
    @Test
    void CX23_anErrSeenAfterADeadlinePassedByACancellationUnderWayFindsItsSubtreeDone() throws Exception {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, Runnable::run); // the hand-off runs in runDue's caller
        Contexts.CancelContext p = withHandDrivenDeadline(null, s);
        CancellableContext c = Context.withCancel(p);
        CancellableContext d = Context.withCancel(c);
        ChannelCore dDone = ChannelCores.of(d.done());
        AtomicReference<CancellationException> seenByObserver = new AtomicReference<>();
        AtomicReference<CancellationException> seenByLoser = new AtomicReference<>();
        try (Threads threads = new Threads(Kind.PLATFORM)) {
            dDone.lock();
            try {
                threads.start(c::cancel); // marks c, then waits in its walk for d's done() lock
                assertThat(c.done().receive(BOUND).closed()).as("c's cancellation is under way").isTrue();
                fake.advance(20);
                assertThat(s.runDue()).isEqualTo(1); // p's deadline: its cancel passes c by (CX22) and returns
                assertThat(p.isDone()).isTrue();
                Thread observer = threads.start(() -> {
                    assertThat(p.err()).isInstanceOf(DeadlineExceededException.class);
                    seenByObserver.set(d.err());
                });
                Thread loser = threads.start(() -> {
                    p.cancel();
                    seenByLoser.set(d.err());
                });
                Threads.awaitTrue(() -> waitingOrEnded(observer) && waitingOrEnded(loser), "the observer and the loser");
            } finally {
                dDone.unlock();
            }
        }
        assertThat(seenByObserver.get()).as("d.err() after p.err() was seen non-null")
                .isInstanceOf(ContextCanceledException.class);
        assertThat(seenByLoser.get()).as("d.err() after a losing p.cancel() returned")
                .isInstanceOf(ContextCanceledException.class);
        assertThat(c.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(((Contexts.CancelContext) c).childCount()).isZero();
        assertThat(p.childCount()).isZero();
    }

    /**
     * CX23: the deadline's context {@code p}, its cancel having passed by its child's cancellation under way, leaves
     * its parent {@code root} at once (the hand-off thread waits for nothing); a {@code root.cancel()} after that
     * returns, and {@code root.err()} is seen, only once {@code p}'s whole subtree is done, {@code d} included. In Go
     * {@code p} leaves its parent only after its cancel has cancelled its children. Before, {@code root} had no
     * child left: its cancel returned at once with {@code d.err()} still null.
     */
    @Test
    void CX23_anAncestorCancelledAfterTheDeadlinesContextLeftItStillWaitsForThatSubtree() throws Exception {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, Runnable::run);
        Contexts.CancelContext root = (Contexts.CancelContext) Context.withCancel(Context.background());
        Contexts.CancelContext p = withHandDrivenDeadline(root, s);
        CancellableContext c = Context.withCancel(p);
        CancellableContext d = Context.withCancel(c);
        ChannelCore dDone = ChannelCores.of(d.done());
        AtomicReference<CancellationException> afterCancel = new AtomicReference<>();
        AtomicReference<CancellationException> afterErr = new AtomicReference<>();
        try (Threads threads = new Threads(Kind.PLATFORM)) {
            dDone.lock();
            try {
                threads.start(c::cancel);
                assertThat(c.done().receive(BOUND).closed()).as("c's cancellation is under way").isTrue();
                fake.advance(20);
                assertThat(s.runDue()).isEqualTo(1);
                assertThat(p.isDone()).isTrue();
                assertThat(root.childCount()).as("p left root without waiting (CX22)").isZero();
                Thread canceller = threads.start(() -> {
                    root.cancel();
                    afterCancel.set(d.err());
                });
                Thread observer = threads.start(() -> {
                    assertThat(root.done().receive(BOUND).closed()).isTrue();
                    assertThat(root.err()).isInstanceOf(ContextCanceledException.class);
                    afterErr.set(d.err());
                });
                Threads.awaitTrue(() -> waitingOrEnded(canceller) && waitingOrEnded(observer)
                        && (root.isDone() || !canceller.isAlive()), "root's canceller and observer");
            } finally {
                dDone.unlock();
            }
        }
        assertThat(afterCancel.get()).as("d.err() after root.cancel() returned").isInstanceOf(ContextCanceledException.class);
        assertThat(afterErr.get()).as("d.err() after root.err() was seen").isInstanceOf(ContextCanceledException.class);
        assertThat(p.err()).isInstanceOf(DeadlineExceededException.class);
        assertThat(root.childCount()).isZero();
    }

    /**
     * CX23, CX4 on the system clock, nothing held: a chain of contexts, each with the same deadline (each its own,
     * CX12), so that every deadline's cancel runs at once on the hand-off threads and each passes by the cancellations
     * of the deeper ones under way (CX22). Whoever sees the root's {@code err()} non-null finds every context of the
     * chain done, whichever cancels did the work. A probe under real timing: it passes on the code before CX23 too (the
     * walks here are over before a deadline's cancel gives up waiting for them), which the two tests above do not.
     */
    @Test
    void CX23_CX4_aChainWhoseDeadlinesAllPassAtOnceIsSeenWhole() throws Exception {
        int depth = 400;
        for (int round = 0; round < 10; round++) {
            Instant at = Instant.now().plusMillis(30);
            CancellableContext root = Context.withDeadline(Context.background(), at);
            List<CancellableContext> chain = new ArrayList<>(depth);
            Context parent = root;
            for (int i = 0; i < depth; i++) {
                CancellableContext c = Context.withDeadline(parent, at);
                chain.add(c);
                parent = c;
            }
            assertThat(root.done().receive(BOUND).closed()).isTrue();
            assertThat(root.err()).isInstanceOf(DeadlineExceededException.class);
            for (int i = 0; i < depth; i++) {
                assertThat(chain.get(i).isDone()).as("round %d: context %d of the chain, once the root's err() was seen",
                        round, i).isTrue();
            }
        }
    }
}
