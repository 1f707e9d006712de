package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a bubble leaves registered with contexts made outside it (BB30, CX21). A context made in a bubble under an
 * outside one (a {@code @BeforeEach} fixture's, a long-lived server's) is registered with it. Outside bubbles a
 * forgotten {@code withTimeout} child is released when its deadline passes; in a bubble its deadline is on the
 * bubble's clock, which never moves after the end (BB27), so before this the outside parent kept it, and through it
 * the ended bubble's timer heap and channels, for the parent's whole life; a later cancel of the parent then cancelled
 * a context of a bubble long gone. Now the bubble's end takes such contexts out of the outside one.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class BubbleOutsideContextRulesTest {
    private static final ContextKey<String> KEY = ContextKey.of("k");

    private static int childCount(Context c) {
        return ((Contexts.CancelContext) c).childCount();
    }

    /**
     * BB30: a context with a pending deadline, one without (through a value context: the same anchor) and a
     * grandchild under it, all made in a bubble under an outside context and never cancelled, leave it when the
     * bubble ends; one cancelled in the bubble left at once. Before, the outside context still held two children
     * ({@code childCount} 2) after {@code Bubble.run} returned, and its cancel reached them.
     */
    @Test
    void BB30_pendingContextsOfAnEndedBubbleLeaveTheOutsideContextTheyWereMadeUnder() throws Exception {
        CancellableContext outside = Context.withCancel(Context.background()); // of no bubble: a fixture's
        AtomicReference<CancellableContext> timed = new AtomicReference<>();
        AtomicReference<CancellableContext> plain = new AtomicReference<>();
        AtomicReference<CancellableContext> grandchild = new AtomicReference<>();
        AtomicInteger registeredInside = new AtomicInteger();
        try {
            Bubble.run(() -> {
                timed.set(Context.withTimeout(outside, Duration.ofHours(1))); // its cancel forgotten
                plain.set(Context.withCancel(Context.withValue(outside, KEY, "v"))); // so is this one's
                grandchild.set(Context.withTimeout(plain.get(), Duration.ofMinutes(5))); // registered with plain
                Context.withTimeout(outside, Duration.ofMinutes(1)).cancel(); // left at once, as ever
                registeredInside.set(childCount(outside));
            });
            assertThat(registeredInside).as("registered while the bubble ran: timed and plain").hasValue(2);
            assertThat(childCount(outside)).as("nothing of the ended bubble stays registered outside").isZero();
            outside.cancel();
            assertThat(timed.get().isDone()).as("the outside cancel no longer reaches it").isFalse();
            assertThat(plain.get().isDone()).isFalse();
            assertThat(grandchild.get().isDone()).isFalse();
        } finally {
            outside.cancel();
        }
    }

    /**
     * BB30: the outside context may be one made in another bubble that has ended (a context kept from an earlier
     * test): it is outside this one, and what this bubble left pending under it leaves it too. Before, it kept the
     * child ({@code childCount} 1).
     */
    @Test
    void BB30_aContextOfAnEarlierBubbleIsOutsideTooAndKeepsNothingOfTheNext() throws Exception {
        AtomicReference<CancellableContext> earlier = new AtomicReference<>();
        Bubble.run(() -> earlier.set(Context.withCancel(Context.background())));
        Bubble.run(() -> Context.withTimeout(earlier.get(), Duration.ofDays(1)));
        assertThat(childCount(earlier.get())).as("the second bubble's context left the first one's").isZero();
        earlier.get().cancel();
    }

    /**
     * BB30 (a guard of the new bookkeeping; the old code had none): a bubble keeps track of the contexts it made under
     * outside ones, and drops those already done as the list grows, so a bubble that makes and cancels many keeps
     * only the pending ones. 10,000 made and cancelled, one kept pending: the list stays below 200 entries.
     */
    @Test
    void BB30_aBubbleTracksOnlyItsPendingContextsUnderOutsideOnes() throws Exception {
        CancellableContext outside = Context.withCancel(Context.background());
        AtomicInteger tracked = new AtomicInteger(-1);
        try {
            Bubble.run(() -> {
                CancellableContext kept = Context.withTimeout(outside, Duration.ofHours(1));
                for (int i = 0; i < 10_000; i++) {
                    Context.withTimeout(outside, Duration.ofSeconds(1)).cancel();
                }
                tracked.set(Bubbles.current().bubble.outsideContexts());
                assertThat(kept.isDone()).isFalse();
            });
            assertThat(tracked.get()).as("done ones dropped as the list grew").isBetween(1, 199);
            assertThat(childCount(outside)).isZero();
        } finally {
            outside.cancel();
        }
    }

    /**
     * CX21: a context its ended bubble took out of an outside one stays as the end left it. It is not done, its
     * deadline never comes (BB27) and reads as given, and the outside cancel does not reach it or what was registered
     * with it; its own cancel, by a thread of no bubble, still cancels it and its subtree and starts its afterFuncs,
     * outside the bubble (CX20). Before, the outside cancel cancelled it ({@code err()} non-null at the first check).
     */
    @Test
    void CX21_aContextLeftByItsEndedBubbleStaysAsItWasAndItsOwnCancelStillWorks() throws Exception {
        CancellableContext outside = Context.withCancel(Context.background());
        AtomicReference<CancellableContext> timed = new AtomicReference<>();
        AtomicReference<CancellableContext> under = new AtomicReference<>();
        AtomicReference<AfterFunc> onTimed = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        AtomicBoolean ranInABubble = new AtomicBoolean(true);
        Bubble.run(() -> {
            timed.set(Context.withTimeout(outside, Duration.ofHours(1)));
            under.set(Context.withCancel(timed.get()));
            onTimed.set(Context.afterFunc(timed.get(), () -> {
                ranInABubble.set(Bubble.inBubble());
                ran.countDown();
            }));
        });
        outside.cancel();
        CancellableContext t = timed.get();
        assertThat(t.err()).as("not reached by the outside cancel, its deadline never coming").isNull();
        assertThat(t.cause()).isNull();
        assertThat(t.done().tryReceive().notReady()).as("done() stays open").isTrue();
        assertThat(t.deadline()).as("its deadline reads as given").contains(BubbleState.EPOCH.plus(Duration.ofHours(1)));
        assertThat(under.get().err()).as("nor its subtree").isNull();
        assertThat(ran.getCount()).as("its afterFunc was not started").isEqualTo(1);

        t.cancel(); // its own cancel, by a thread of no bubble
        assertThat(t.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(under.get().err()).as("its own cancel reaches its subtree (CX4)").isInstanceOf(ContextCanceledException.class);
        assertThat(ran.await(30, TimeUnit.SECONDS)).as("its afterFunc runs").isTrue();
        assertThat(ranInABubble).as("outside the bubble, started by the canceller (CX20)").isFalse();
        assertThat(onTimed.get().stop()).as("started by that cancel").isFalse();
    }

    /**
     * CX21 (a guard: the old code passes it; it pins the choice): an afterFunc registered in a bubble directly on a
     * context made outside it is the caller's registration, which only its {@code stop()} removes, as in Go. It stays
     * registered after the bubble's end and runs when that context is done, outside the bubble (CX20).
     */
    @Test
    void CX21_anAfterFuncRegisteredInABubbleOnAnOutsideContextStaysAndRunsWhenThatContextIsDone() throws Exception {
        CancellableContext outside = Context.withCancel(Context.background());
        CountDownLatch ran = new CountDownLatch(1);
        AtomicBoolean ranInABubble = new AtomicBoolean(true);
        Bubble.run(() -> Context.afterFunc(outside, () -> {
            ranInABubble.set(Bubble.inBubble());
            ran.countDown();
        }));
        assertThat(childCount(outside)).as("still registered: only its stop() removes it").isEqualTo(1);
        outside.cancel();
        assertThat(ran.await(30, TimeUnit.SECONDS)).as("it runs when the outside context is done").isTrue();
        assertThat(ranInABubble).as("outside the ended bubble").isFalse();
    }
}
