package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCores;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule G15 of docs/spec/context-timers.md: contexts in the shapes a large server makes, compared with Go's package
 * {@code context}. Probes with real threads (no defect found); time only as generous bounds, nothing ordered by sleeping.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextServerShapesRulesTest {
    private static final ContextKey<Integer> KEY = ContextKey.of("g15");
    private static final int DEEP = 100_000;
    private static final int WIDE = 50_000;

    /**
     * G15, CX4, CX9, CX14: chains 100,000 deep built and cancelled on a virtual thread (whose stack is a carrier's): a
     * value bound above the root is found from the bottom; a chain whose every level has a deadline of its own (each
     * earlier than its parent's) has 100,000 timers scheduled and none once the root is cancelled, every level done; a
     * chain of later deadlines has only the root's timer (Go's {@code WithDeadline} returns {@code WithCancel} then),
     * and that deadline, cancelling on a hand-off thread, reaches the bottom with {@code DeadlineExceededException}.
     */
    @Test
    void G15_chainsAHundredThousandDeepOnAVirtualThread() throws Exception {
        try (Threads threads = new Threads(Kind.VIRTUAL)) {
            threads.start(() -> {
                int before = Timers.pendingTasks();
                CancellableContext root = Context.withCancel(Context.background());
                Context c = Context.withValue(root, KEY, 7);
                List<CancellableContext> all = new ArrayList<>(DEEP);
                for (int i = 0; i < DEEP; i++) {
                    CancellableContext n = Context.withTimeout(c, Duration.ofHours(1000).minusSeconds(i));
                    all.add(n);
                    c = n;
                }
                assertThat(c.value(KEY)).contains(7);
                assertThat(Timers.pendingTasks()).isGreaterThanOrEqualTo(before + DEEP);
                root.cancel();
                assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
                assertThat(all).allSatisfy(n -> assertThat(n.err()).isInstanceOf(ContextCanceledException.class));

                all.clear();
                before = Timers.pendingTasks();
                CancellableContext timed = Context.withTimeout(Context.background(), Duration.ofMillis(500));
                c = timed;
                for (int i = 0; i < DEEP; i++) {
                    CancellableContext n = i % 2 == 0 ? Context.withTimeout(c, Duration.ofHours(1)) : Context.withCancel(c);
                    all.add(n);
                    c = n;
                }
                assertThat(c.deadline()).isEqualTo(timed.deadline());
                assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before + 1);
                assertThat(c.done().receive(Duration.ofSeconds(30)).closed()).as("closed, not timed out").isTrue();
                assertThat(all).allSatisfy(n -> assertThat(n.err()).isInstanceOf(DeadlineExceededException.class));
            });
        }
    }

    /**
     * G15, G3, CX16: 50,000 children with deadlines an hour or more away, cancelled early in random order by 8 threads
     * while the parent lives: none stays registered or scheduled, and every one is collected (the timer heap keeps none
     * of them), as Go's {@code cancel} stops the timer and removes the child.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G15_fiftyThousandFarDeadlinesCancelledEarlyLeaveNothing(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        CancellableContext parent = Context.withCancel(Context.background());
        List<WeakReference<CancellableContext>> refs = cancelChildrenInRandomOrder(parent, kind);
        assertThat(((Contexts.CancelContext) parent).childCount()).isZero();
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
        Threads.awaitTrue(() -> {
            System.gc();
            return refs.stream().allMatch(r -> r.get() == null);
        }, "every cancelled child collected while the parent lives");
        assertThat(parent.err()).isNull();
        parent.cancel();
    }

    private static List<WeakReference<CancellableContext>> cancelChildrenInRandomOrder(CancellableContext parent, Kind kind)
            throws Exception {
        List<CancellableContext> kids = new ArrayList<>(WIDE);
        List<WeakReference<CancellableContext>> refs = new ArrayList<>(WIDE);
        for (int i = 0; i < WIDE; i++) {
            CancellableContext c = Context.withTimeout(parent, Duration.ofHours(1 + i % 5));
            kids.add(c);
            refs.add(new WeakReference<>(c));
        }
        Collections.shuffle(kids);
        try (Threads threads = new Threads(kind)) {
            for (int th = 0; th < 8; th++) {
                int from = th;
                threads.start(() -> {
                    for (int i = from; i < WIDE; i += 8) {
                        kids.get(i).cancel();
                    }
                });
            }
        }
        return refs;
    }

    /**
     * G15, CX2, CX6, CX12: as Go's {@code WithDeadline}: a deadline already passed at creation makes a context done at
     * once with {@code DeadlineExceededException} and its own cause, and schedules nothing; a deadline later than the
     * parent's takes the parent's and schedules nothing of its own; under a parent already cancelled, the parent's
     * error wins over a passed deadline (Go propagates the parent's cancel first).
     */
    @Test
    void G15_passedAndLaterDeadlinesScheduleNothing() {
        CancellableContext parent = Context.withTimeout(Context.background(), Duration.ofHours(1));
        int before = Timers.pendingTasks();
        RuntimeException why = new RuntimeException("why");
        CancellableContext past = Context.withDeadline(parent, Instant.now().minusSeconds(1), why);
        CancellableContext zero = Context.withTimeout(parent, Duration.ZERO);
        CancellableContext later = Context.withTimeout(parent, Duration.ofHours(2));
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
        assertThat(past.err()).isInstanceOf(DeadlineExceededException.class);
        assertThat(past.cause()).isSameAs(why);
        assertThat(zero.err()).isInstanceOf(DeadlineExceededException.class);
        assertThat(later.deadline()).isEqualTo(parent.deadline());
        assertThat(later.err()).isNull();
        parent.cancel();
        assertThat(later.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(Context.withDeadline(parent, Instant.MIN, why).err()).isInstanceOf(ContextCanceledException.class);
        assertThat(((Contexts.CancelContext) parent).childCount()).isZero();
    }

    /**
     * G15, I1, I3, CH4: 200 threads wait on one context (its {@code done()}, untimed and timed; a receive and a send
     * with it); the half interrupted throw {@code InterruptedException} with the flag cleared, the rest are released by
     * the cancel; nothing is left registered on any channel.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G15_threadsWaitingOnAContextAreInterruptedOrReleased(Kind kind) throws Exception {
        CancellableContext ctx = Context.withCancel(Context.background());
        Chan<Integer> in = Chan.make();
        Chan<Integer> out = Chan.make();
        int n = 200;
        AtomicInteger interrupted = new AtomicInteger();
        AtomicInteger released = new AtomicInteger();
        AtomicInteger flagLeft = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < n; i++) {
                int which = i % 4;
                ts.add(threads.start(() -> {
                    try {
                        switch (which) {
                            case 0 -> assertThat(ctx.done().receiveOk().closed()).isTrue();
                            case 1 -> in.receive(ctx);
                            case 2 -> out.send(1, ctx);
                            default -> assertThat(ctx.done().receive(Duration.ofSeconds(60)).closed()).isTrue();
                        }
                        released.incrementAndGet();
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                        if (Thread.currentThread().isInterrupted()) {
                            flagLeft.incrementAndGet();
                        }
                    } catch (ContextCanceledException e) {
                        released.incrementAndGet();
                    }
                }));
            }
            Threads.awaitTrue(() -> ts.stream().allMatch(t -> t.getState() == Thread.State.WAITING
                    || t.getState() == Thread.State.TIMED_WAITING), "every thread waiting");
            for (int i = 0; i < n; i += 2) {
                ts.get(i).interrupt();
            }
            Threads.awaitTrue(() -> interrupted.get() == n / 2, "the interrupted ones");
            ctx.cancel();
        }
        assertThat(released.get()).isEqualTo(n / 2);
        assertThat(flagLeft.get()).isZero();
        assertThat(ChannelCores.of(ctx.done()).waitingReceivers()).isZero();
        assertThat(Threads.waiters(in) + Threads.waiters(out)).isZero();
    }
}
