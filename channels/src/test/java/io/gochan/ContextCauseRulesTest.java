package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules CX5–CX10 and CX12 (docs/spec/context-timers.md): the rest of Go's context package, from both thread kinds. */
@ExtendWith(NoNewGoroutines.class)
class ContextCauseRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);
    static final ContextKey<String> USER = ContextKey.of("user");
    static final ContextKey<List<String>> ROLES = ContextKey.of("roles");



    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX5_causeIsSetWithErrAndReachesChildren(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext parent = Context.withCancelCause(Context.background());
                CancellableContext child = Context.withCancel(Context.withValue(parent, USER, "ann"));
                assertThat(parent.cause()).isNull();
                IOException why = new IOException("disk full");
                parent.cancel(why);
                parent.cancel(new IOException("second")); // the first cancellation wins
                parent.cancel();
                assertThat(parent.err()).isInstanceOf(ContextCanceledException.class);
                assertThat(parent.cause()).isSameAs(why);
                assertThat(child.done().receive(LONG).closed()).isTrue();
                assertThat(child.err()).isSameAs(parent.err());
                assertThat(child.cause()).isSameAs(why);
                // A child made after the cancel is born with the same error and cause.
                assertThat(Context.withCancel(parent).cause()).isSameAs(why);
                // No cause given: the cause is the error itself.
                CancellableContext plain = Context.withCancel(Context.background());
                plain.cancel(null);
                assertThat(plain.cause()).isSameAs(plain.err());
                assertThat(Context.background().cause()).isNull();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX5_causeIsNonNullExactlyWhenDoneIsClosed(Kind kind) throws Exception {
        Chan<CancellableContext> toCancel = Chan.make();
        IOException why = new IOException("why");
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> toCancel.range(c -> c.cancel(why)));
            for (int round = 0; round < 5_000; round++) {
                CancellableContext ctx = Context.withCancel(Context.background());
                toCancel.send(ctx);
                while (ctx.cause() == null) {
                    Thread.onSpinWait();
                }
                assertThat(ctx.isDone()).isTrue();
                assertThat(ctx.err()).isNotNull();
                assertThat(ctx.cause()).isSameAs(why);
            }
            toCancel.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX6_aDeadlineCarriesItsCause(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(() -> { // virtual time (ADR 0013): the deadline at an exact instant
                TimeoutException slow = new TimeoutException("backend too slow");
                CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(5), slow);
                assertThat(ctx.done().receive(LONG).closed()).isTrue();
                assertThat(Timers.now()).isEqualTo(Instant.parse("2000-01-01T00:00:00.005Z"));
                assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
                assertThat(ctx.cause()).isSameAs(slow);
                CancellableContext past = Context.withDeadline(Context.background(), Instant.MIN, slow);
                assertThat(past.cause()).isSameAs(slow);
                // Cancelled before the deadline: the cancel's cause.
                CancellableContext early = Context.withTimeout(Context.background(), Duration.ofHours(1), slow);
                early.cancel();
                assertThat(early.cause()).isInstanceOf(ContextCanceledException.class);
                // No cause given: the error.
                CancellableContext none = Context.withDeadline(Context.background(), Instant.MIN);
                assertThat(none.cause()).isSameAs(none.err());
            }));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX7_withoutCancelKeepsValuesAndIgnoresTheParentsCancel(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext parent = Context.withTimeout(Context.withValue(Context.background(), USER, "bob"),
                        Duration.ofHours(1));
                Context detached = Context.withoutCancel(parent);
                CancellableContext under = Context.withCancel(detached);
                parent.cancel();
                assertThat(detached.err()).isNull();
                assertThat(detached.cause()).isNull();
                assertThat(detached.isDone()).isFalse();
                assertThat(detached.deadline()).isEmpty();
                assertThat(detached.done().tryReceive().notReady()).isTrue();
                assertThat(detached.value(USER)).contains("bob");
                assertThat(under.err()).as("a child of a detached context is cancelled only by itself").isNull();
                under.cancel();
                assertThat(under.err()).isNotNull();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX8_afterFuncRunsOnceUnlessStoppedFirst(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext ctx = Context.withCancel(Context.background());
                Chan<String> ran = Chan.make(10);
                AfterFunc a = Context.afterFunc(ctx, () -> ran.trySend("a"));
                AfterFunc b = Context.afterFunc(ctx, () -> ran.trySend("b"));
                List<AfterFunc> dropped = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    dropped.add(Context.afterFunc(ctx, () -> ran.trySend("never")));
                }
                for (AfterFunc d : dropped) {
                    assertThat(d.stop()).isTrue();
                    assertThat(d.stop()).as("a second stop").isFalse();
                }
                assertThat(((Contexts.CancelContext) ctx).childCount()).as("stopped ones leave the context").isEqualTo(2);
                assertThat(b.stop()).isTrue();
                ctx.cancel();
                assertThat(ran.receive()).isEqualTo("a");
                assertThat(a.stop()).as("already started").isFalse();
                // Registered on a done context: runs at once, in its own goroutine.
                AfterFunc late = Context.afterFunc(ctx, () -> ran.trySend("late"));
                assertThat(ran.receive()).isEqualTo("late");
                assertThat(late.stop()).isFalse();
                // The background is never done: nothing is registered, stop succeeds once.
                AfterFunc never = Context.afterFunc(Context.background(), () -> ran.trySend("never"));
                assertThat(never.stop()).isTrue();
                assertThat(never.stop()).isFalse();
                // Through a value context, a parent's cancel reaches it.
                CancellableContext p = Context.withCancel(Context.background());
                Context.afterFunc(Context.withValue(p, USER, "x"), () -> ran.trySend("via value"));
                p.cancel(new IOException("x"));
                assertThat(ran.receive()).isEqualTo("via value");
                assertThat(ran.tryReceive().notReady()).as("b and the stopped ones never ran").isTrue();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX8_stopRacingCancelRunsTheFunctionExactlyWhenStopReturnsFalse(Kind kind) throws Exception {
        // In a virtual-time bubble (ADR 0013): the race is between real threads as before, but the
        // "nothing ran" check waits for virtual time, which passes only once every goroutine of the
        // bubble (the canceller, a function that would run) is blocked: no real millisecond per round.
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(() -> {
                for (int round = 0; round < 2_000; round++) {
                    CancellableContext ctx = Context.withCancel(Context.background());
                    AtomicInteger runs = new AtomicInteger();
                    Chan<Integer> ran = Chan.make(1);
                    AfterFunc a = Context.afterFunc(ctx, () -> {
                        runs.incrementAndGet();
                        ran.trySend(1);
                    });
                    Goroutine canceller = Go.go(ctx::cancel);
                    boolean stopped = a.stop();
                    canceller.join();
                    if (stopped) {
                        assertThat(ran.receive(Duration.ofMillis(1)).notReady()).isTrue();
                    } else {
                        assertThat(ran.receive(LONG).ok()).isTrue();
                    }
                    assertThat(runs.get()).isEqualTo(stopped ? 0 : 1);
                }
            }));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX9_valuesAreTypedNearestFirstAndImmutable(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Context root = Context.withValue(Context.background(), USER, "ann");
                CancellableContext mid = Context.withCancel(Context.withValue(root, ROLES, List.of("admin")));
                Context leaf = Context.withValue(mid, USER, "bob");
                assertThat(leaf.value(USER)).contains("bob");
                assertThat(root.value(USER)).as("the parent is unchanged").contains("ann");
                List<String> roles = leaf.value(ROLES).orElseThrow(); // typed: no cast
                assertThat(roles).containsExactly("admin");
                assertThat(Context.background().value(USER)).isEmpty();
                assertThat(leaf.value(ContextKey.<String>of("user"))).as("keys compare by identity").isEmpty();
                assertThatThrownBy(() -> Context.withValue(root, USER, null)).isInstanceOf(NullPointerException.class);
                mid.cancel();
                assertThat(leaf.isDone()).isTrue();
                assertThat(leaf.err()).isSameAs(mid.err());
                assertThat(leaf.done()).isSameAs(mid.done());
                // Deep chains: lookup is a loop.
                Context deep = root;
                for (int i = 0; i < 100_000; i++) {
                    deep = Context.withValue(deep, ROLES, List.of());
                }
                assertThat(deep.value(USER)).contains("ann");
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX10_isDoneFollowsDone(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext ctx = Context.withCancel(Context.background());
                Context view = Context.withValue(ctx, USER, "x");
                assertThat(ctx.isDone()).isFalse();
                assertThat(view.isDone()).isFalse();
                assertThat(Context.background().isDone()).isFalse();
                // Exactly when err() is non-null, for each shape (CX10's words, not only "follows done").
                for (Context c : List.of(ctx, view, Context.background())) {
                    assertThat(c.isDone()).isEqualTo(c.err() != null);
                }
                ctx.cancel();
                assertThat(ctx.isDone()).isTrue();
                assertThat(view.isDone()).isTrue();
                for (Context c : List.of(ctx, view, Context.background())) {
                    assertThat(c.isDone()).isEqualTo(c.err() != null);
                }
            });
        }
    }
    /**
     * Go's {@code WithDeadline} gives a child a timer of its own unless the parent's deadline is strictly
     * earlier; a deadline equal to the parent's is the child's own, so a child made after that instant has
     * passed is done at once with its own cause, even while the parent's timer has not yet cancelled the
     * parent (the timer thread wakes a little after the instant, and hands the cancel off). Before, an
     * equal deadline was left to the parent's timer: the child was made not done, with a deadline already
     * past, and took the parent's cause. The moment that matters (past the deadline, the parent's timer not yet
     * run) is met only when the timer thread is slower than this one: a loaded machine can deschedule this
     * thread after its spin in round after round, so the rounds go on (at most 2,000, was 200) until 20 met it;
     * a moment never met still fails.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX12_aDeadlineEqualToTheParentsIsTheChildsOwn(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
            int caught = 0;
            for (int round = 0; round < 2_000 && caught < 20; round++) {
                Instant d = Instant.now().plusMillis(2);
                try (CancellableContext parent = Context.withDeadline(Context.background(), d)) {
                    while (!Instant.now().isAfter(d)) {
                        Thread.onSpinWait(); // a bound reached, not an order: the parent's timer may fire any time now
                    }
                    IOException own = new IOException("the child's own deadline");
                    try (CancellableContext child = Context.withDeadline(parent, d, own)) {
                        boolean parentDoneBefore = parent.isDone();
                        assertThat(child.deadline()).contains(d);
                        if (!parentDoneBefore) {
                            caught++; // the moment that matters: past the deadline, the parent not yet cancelled
                            assertThat(child.err()).as("round %d: a child whose deadline has passed is done at once", round)
                                    .isInstanceOf(DeadlineExceededException.class);
                            assertThat(child.cause()).isSameAs(own);
                        }
                    }
                }
            }
            assertThat(caught).as("rounds that made the child before the parent's timer cancelled the parent (the race was run)")
                    .isPositive();
            });
        }
    }
}
