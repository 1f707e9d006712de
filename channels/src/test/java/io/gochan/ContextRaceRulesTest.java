package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Contexts raced as a Go oracle would race them (rules G3, CX1, CX4, CX5, CX6, CX8 of
 * docs/spec/context-timers.md): descendants created while their ancestor is being cancelled, many
 * cancellers with different causes, a deadline firing while someone cancels, afterFunc registered
 * while the context is cancelled. No ordering by sleeping: every check holds whoever wins each race.
 */
@ExtendWith(NoNewGoroutines.class)
class ContextRaceRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);

    /**
     * Children and grandchildren (with and without deadlines, through value contexts) created by
     * several threads while the root is cancelled: every one ends up cancelled with the root's error
     * and cause, none stays registered, and no deadline timer is left.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX4_CX5_descendantsCreatedDuringTheCancelAreCancelledToo(Kind kind) throws Exception {
        ContextKey<String> key = ContextKey.of("k");
        for (int round = 0; round < 20; round++) {
            int before = Timers.pendingTasks();
            CancellableContext root = Context.withCancel(Context.background());
            RuntimeException why = new RuntimeException("round " + round);
            ConcurrentLinkedQueue<CancellableContext> made = new ConcurrentLinkedQueue<>();
            CountDownLatch started = new CountDownLatch(3);
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < 3; i++) {
                    threads.start(() -> {
                        started.countDown();
                        for (int j = 0; j < 300; j++) {
                            Context parent = root;
                            for (int depth = 0; depth < 4; depth++) {
                                CancellableContext c = switch ((j + depth) % 3) {
                                    case 0 -> Context.withCancel(parent);
                                    case 1 -> Context.withTimeout(parent, Duration.ofHours(1));
                                    default -> Context.withDeadline(Context.withValue(parent, key, "v"), Instant.MAX);
                                };
                                made.add(c);
                                parent = c;
                            }
                        }
                    });
                }
                started.await();
                root.cancel(why);
            }
            assertThat(root.cause()).isSameAs(why);
            for (CancellableContext c : made) {
                assertThat(c.done().tryReceive().closed()).isTrue();
                assertThat(c.err()).isSameAs(root.err());
                assertThat(c.cause()).isSameAs(why);
                assertThat(((Contexts.CancelContext) c).childCount()).isZero();
            }
            assertThat(((Contexts.CancelContext) root).childCount()).isZero();
            assertThat(Timers.pendingTasks()).as("no deadline timer left").isLessThanOrEqualTo(before);
        }
    }

    /**
     * Go holds a context's mutex while it cancels the children, and {@code cancel} and {@code Err} take
     * that mutex: so a cancel that finds a cancellation under way returns only once every descendant is
     * done, and a thread that sees {@code err()} non-null finds every descendant's non-null too. Two
     * threads cancel a root with many children and grandchildren at once, a third polls {@code err()}:
     * whoever loses, the tree is done by the time its call returns, and its afterFuncs can no longer be
     * stopped (they run).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX4_aLosingCancelAndASeenErrOnlyReturnOnceEveryDescendantIsDone(Kind kind) throws Exception {
        for (int round = 0; round < 30; round++) {
            CancellableContext root = Context.withCancel(Context.background());
            List<CancellableContext> tree = new ArrayList<>();
            List<AfterFunc> funcs = new ArrayList<>();
            CountDownLatch ran = new CountDownLatch(100);
            for (int i = 0; i < 500; i++) {
                CancellableContext child = Context.withCancel(root);
                tree.add(child);
                tree.add(Context.withTimeout(child, Duration.ofHours(1)));
                if (i % 5 == 0) {
                    funcs.add(Context.afterFunc(child, ran::countDown));
                }
            }
            CyclicBarrier barrier = new CyclicBarrier(3);
            ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();
            Runnable check = () -> {
                for (CancellableContext c : tree) {
                    if (c.err() == null || c.cause() != root.cause()) {
                        early.add(c + " not done (or another cause) when the root's call returned");
                        return;
                    }
                }
                for (AfterFunc f : funcs) {
                    if (f.stop()) { // Go: once the context is done, stop reports the function started
                        early.add(f + " stopped after the root's call returned");
                        return;
                    }
                }
            };
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < 2; i++) {
                    RuntimeException mine = new RuntimeException("canceller " + i);
                    threads.start(() -> {
                        barrier.await();
                        root.cancel(mine);
                        check.run();
                    });
                }
                threads.start(() -> {
                    barrier.await();
                    while (root.err() == null) {
                        Thread.onSpinWait();
                    }
                    check.run();
                });
            }
            assertThat(early).isEmpty();
            assertThat(ran.await(LONG.toSeconds(), TimeUnit.SECONDS)).as("every afterFunc ran").isTrue();
        }
    }

    /**
     * Many threads cancel one context at once, each with its own cause, while its deadline may fire:
     * exactly one outcome is recorded, every thread and every child sees that same error and cause,
     * done is closed once (no thread fails), and the deadline timer is gone.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX1_CX5_CX6_racingCancelsAndTheDeadlineRecordOneOutcome(Kind kind) throws Exception {
        int n = 4;
        int before = Timers.pendingTasks();
        for (int round = 0; round < 200; round++) {
            RuntimeException deadlineCause = new RuntimeException("deadline");
            CancellableContext ctx = Context.withTimeout(Context.background(),
                    Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 100_000)), deadlineCause);
            CancellableContext child = Context.withCancel(ctx);
            CyclicBarrier barrier = new CyclicBarrier(n);
            ConcurrentLinkedQueue<Throwable> seen = new ConcurrentLinkedQueue<>();
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < n; i++) {
                    RuntimeException mine = new RuntimeException("canceller " + i);
                    threads.start(() -> {
                        barrier.await();
                        ctx.cancel(mine);
                        seen.add(ctx.cause());
                        assertThat(ctx.err()).isNotNull();
                    });
                }
            }
            Throwable cause = ctx.cause();
            assertThat(seen).allMatch(c -> c == cause);
            assertThat(child.cause()).isSameAs(cause);
            assertThat(child.err()).isSameAs(ctx.err());
            if (cause == deadlineCause) {
                assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
            } else {
                assertThat(ctx.err()).isInstanceOf(ContextCanceledException.class);
                assertThat(cause.getMessage()).startsWith("canceller ");
            }
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * Go: a child asking for a later deadline than its parent's gets the parent's; when that passes,
     * the child is done with DeadlineExceeded and the parent's cause, not its own.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G3_CX6_aLaterChildDeadlineYieldsToTheParents(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                RuntimeException parentCause = new RuntimeException("parent");
                CancellableContext parent = Context.withTimeout(Context.background(), Duration.ofMillis(5), parentCause);
                Instant pd = parent.deadline().orElseThrow();
                CancellableContext child = Context.withTimeout(parent, Duration.ofHours(1), new RuntimeException("child"));
                CancellableContext grandchild = Context.withDeadline(Context.withValue(child, ContextKey.of("x"), 1), Instant.MAX);
                assertThat(child.deadline()).contains(pd);
                assertThat(grandchild.deadline()).contains(pd);
                assertThat(grandchild.done().receive(LONG).closed()).isTrue();
                assertThat(grandchild.err()).isInstanceOf(DeadlineExceededException.class);
                assertThat(child.cause()).isSameAs(parentCause);
                assertThat(grandchild.cause()).isSameAs(parentCause);
                // An earlier child deadline is the child's own, with its own cause.
                RuntimeException own = new RuntimeException("own");
                CancellableContext later = Context.withTimeout(Context.background(), Duration.ofHours(1));
                CancellableContext early = Context.withTimeout(later, Duration.ofMillis(1), own);
                assertThat(early.deadline().orElseThrow()).isBefore(later.deadline().orElseThrow());
                assertThat(early.done().receive(LONG).closed()).isTrue();
                assertThat(early.cause()).isSameAs(own);
                assertThat(later.err()).isNull();
                later.cancel();
            });
        }
    }

    /**
     * AfterFunc registered from several threads while the context is cancelled: each registration's
     * function runs exactly once (whether it was registered before or after the cancel), and a stop
     * that returned true means it never runs.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX8_afterFuncRegisteredDuringTheCancelRunsOnceOrIsStopped(Kind kind) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger expected = new AtomicInteger();
        for (int round = 0; round < 50; round++) {
            CancellableContext ctx = Context.withCancel(Context.background());
            Context view = Context.withValue(Context.withCancel(ctx), ContextKey.of("k"), "v");
            CountDownLatch started = new CountDownLatch(2);
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < 2; i++) {
                    threads.start(() -> {
                        started.countDown();
                        for (int j = 0; j < 200; j++) {
                            AfterFunc a = Context.afterFunc(j % 2 == 0 ? ctx : view, runs::incrementAndGet);
                            if (j % 3 != 0) {
                                expected.incrementAndGet(); // left alone: runs once the cancel comes
                            } else if (!a.stop()) {
                                expected.incrementAndGet(); // too late to stop: it was started
                                assertThat(a.stop()).isFalse();
                            } else {
                                assertThat(a.stop()).as("stopped once only").isFalse();
                            }
                        }
                    });
                }
                started.await();
                ctx.cancel();
            }
        }
        // Every function not stopped runs (in its goroutine); NoNewGoroutines waits for all to end.
        Threads.awaitTrue(() -> runs.get() >= expected.get(), "every registered function ran");
        assertThat(runs.get()).isEqualTo(expected.get());
    }

    /** Go: AfterFunc on a context that is never done registers nothing; its stop succeeds once. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX7_CX8_afterFuncOnANeverDoneContextNeverRuns(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext parent = Context.withCancel(Context.background());
                Chan<Integer> ran = Chan.make(3);
                for (Context c : List.of(Context.background(), Context.withoutCancel(parent))) {
                    AfterFunc a = Context.afterFunc(c, () -> ran.trySend(1));
                    assertThat(a.stop()).isTrue();
                    assertThat(a.stop()).isFalse();
                }
                AfterFunc kept = Context.afterFunc(Context.withoutCancel(parent), () -> ran.trySend(2));
                parent.cancel();
                assertThat(((Contexts.CancelContext) parent).childCount()).isZero();
                assertThat(ran.receive(Duration.ofMillis(100)).ok()).as("never runs").isFalse();
                assertThat(kept.stop()).isTrue();
            });
        }
    }
}
