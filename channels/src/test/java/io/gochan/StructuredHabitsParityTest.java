package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A behaviour-parity audit of Go's structured habits (errgroup, sync.WaitGroup, context, futures)
 * against gochan. CX13, EG8 and GF5 pin defects found by the audit (each failed before its fix), CX25 a missing
 * {@code context.TODO()}; the
 * other tests are probes that found no defect, kept as regression tests of the rules they cite.
 */
@ExtendWith(NoNewGoroutines.class)
class StructuredHabitsParityTest {
    static final Duration LONG = Duration.ofSeconds(30);
    static final ContextKey<String> USER = ContextKey.of("user");

    // ---- Defects --------------------------------------------------------------------------------

    /** CX13: String forms are Go's contextName chain (Go 1.19 printed these for the same trees). */
    @Test
    void CX13_stringFormsNameTheChainAsGoDoes() throws Exception {
        CancellableContext c = Context.withCancel(Context.background());
        assertThat(c).hasToString("context.Background.WithCancel");
        Context v = Context.withValue(c, USER, "ann");
        assertThat(v).hasToString("context.Background.WithCancel.WithValue(ContextKey[user])");
        Instant far = Instant.now().plus(1, ChronoUnit.HOURS);
        try (CancellableContext d = Context.withDeadline(v, far)) {
            assertThat(d.toString())
                    .startsWith("context.Background.WithCancel.WithValue(ContextKey[user]).WithDeadline("
                            + Contexts.goTime(far) + " [")
                    .endsWith("s])"); // the exact text: CX27
            // A later deadline than the parent's is no deadline of the child's own: Go's WithDeadline
            // returns WithCancel(parent) then.
            try (CancellableContext later = Context.withTimeout(d, Duration.ofHours(2))) {
                assertThat(later.toString()).startsWith(d.toString().substring(0, d.toString().indexOf(" ["))).endsWith("]).WithCancel");
            }
        }
        c.cancel();
        assertThat(c).hasToString("context.Background.WithCancel"); // Go's form does not change when done
        assertThat(Context.withoutCancel(c)).hasToString("context.Background.WithCancel.WithoutCancel");
        try (ErrGroup g = ErrGroup.create()) {
            assertThat(g.context()).hasToString("context.Background.WithCancel"); // errgroup: WithCancelCause
            g.await();
        }
    }

    /**
     * CX27: the deadline segment is Go's {@code timerCtx} text, {@code .WithDeadline(<time.Time> [<time.Duration>])}, for
     * {@code withDeadline} and {@code withTimeout} alike: in a bubble (whose clock starts at Go's synctest epoch) the
     * whole string is exact. Go prints {@code context.Background.WithDeadline(2000-01-01 01:00:00 +0000 UTC [1h0m0s])}
     * (plus a monotonic reading no Instant has). Before, it was {@code .WithDeadline(2000-01-01T01:00:00Z [PT1H])}.
     */
    @Test
    void CX27_theDeadlineSegmentIsGoTimeAndDurationText() throws Exception {
        Bubble.run(() -> {
            Instant epoch = Timers.now();
            try (CancellableContext t = Context.withTimeout(Context.background(), Duration.ofHours(1));
                    CancellableContext d = Context.withDeadline(Context.todo(), epoch.plusSeconds(3_600).plusNanos(370_669_074));
                    CancellableContext soon = Context.withDeadline(Context.withValue(t, USER, "ann"), epoch.plusMillis(1_500))) {
                assertThat(t).hasToString("context.Background.WithDeadline(2000-01-01 01:00:00 +0000 UTC [1h0m0s])");
                assertThat(d).hasToString("context.TODO.WithDeadline(2000-01-01 01:00:00.370669074 +0000 UTC [1h0m0.370669074s])");
                assertThat(soon).hasToString("context.Background.WithDeadline(2000-01-01 01:00:00 +0000 UTC [1h0m0s])"
                        + ".WithValue(ContextKey[user]).WithDeadline(2000-01-01 00:00:01.5 +0000 UTC [1.5s])");
                Timers.sleep(Duration.ofMillis(2_000));
                assertThat(soon.isDone()).isTrue();
                // Done or not, the text is the same form (Go's time.Until goes negative past the deadline).
                assertThat(soon).hasToString("context.Background.WithDeadline(2000-01-01 01:00:00 +0000 UTC [59m58s])"
                        + ".WithValue(ContextKey[user]).WithDeadline(2000-01-01 00:00:01.5 +0000 UTC [-500ms])");
                assertThat(Context.withCancel(soon)).hasToString(soon + ".WithCancel");
            }
        });
        assertThat(Contexts.goTime(Instant.parse("2026-12-03T18:29:54.370669074Z"))).isEqualTo("2026-12-03 18:29:54.370669074 +0000 UTC");
        assertThat(Contexts.goTime(Instant.parse("+10000-01-01T00:00:00.100Z"))).isEqualTo("10000-01-01 00:00:00.1 +0000 UTC");
    }

    /**
     * CX25: Go's {@code context.TODO()}: a root that is never cancelled, has no deadline and no values, like the
     * background but another context, printed {@code context.TODO} (Go 1.19 prints {@code context.TODO} and
     * {@code context.TODO.WithCancel}). Before, there was none.
     */
    @Test
    void CX25_todoIsANeverCancelledRootOtherThanTheBackground() throws Exception {
        Context todo = Context.todo();
        assertThat(todo).isNotNull().isSameAs(Context.todo()).isNotSameAs(Context.background())
                .isNotEqualTo(Context.background()).hasToString("context.TODO");
        assertThat(Context.background()).hasToString("context.Background");
        assertThat(todo.err()).isNull();
        assertThat(todo.cause()).isNull();
        assertThat(todo.isDone()).isFalse();
        assertThat(todo.deadline()).isEmpty();
        assertThat(todo.value(USER)).isEmpty();
        assertThat(todo.done().tryReceive().notReady()).isTrue();
        Bubble.run(() -> assertThat(Context.todo().done().receive(Duration.ofDays(365)).notReady()).isTrue());
        AtomicInteger ran = new AtomicInteger();
        AfterFunc never = Context.afterFunc(todo, ran::incrementAndGet);
        assertThat(never.stop()).as("never done: f never runs, stop succeeds").isTrue();
        CancellableContext c = Context.withCancel(todo);
        assertThat(c).hasToString("context.TODO.WithCancel");
        assertThat(Context.withValue(todo, USER, "ann")).hasToString("context.TODO.WithValue(ContextKey[user])");
        assertThat(Context.withoutCancel(c)).hasToString("context.TODO.WithCancel.WithoutCancel");
        c.cancel();
        assertThat(c.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(todo.err()).as("a child's cancel never reaches the root").isNull();
        assertThat(ran).hasValue(0);
    }

    /**
     * CX14: a chain of any depth answers without overflowing the stack, as lookups (CX9) and cancellation
     * (CX4) walk it iteratively. Before, a value context asked its parent for done/err/cause/isDone/deadline
     * and each context printed its parent, by recursion: a StackOverflowError (withCancel on the chain
     * asks its deadline).
     */
    @Test
    void CX14_aDeepChainAnswersAndPrints() throws Exception {
        CancellableContext root = Context.withDeadline(Context.background(), Instant.now().plus(1, ChronoUnit.HOURS));
        Context c = root;
        int depth = 200_000;
        for (int i = 0; i < depth; i++) {
            c = Context.withValue(c, USER, "u" + (i % 10));
        }
        Context deep = c;
        assertThat(deep.isDone()).isFalse();
        assertThat(deep.err()).isNull();
        assertThat(deep.cause()).isNull();
        assertThat(deep.deadline()).isEqualTo(root.deadline());
        assertThat(deep.done()).isSameAs(root.done());
        assertThat(deep.value(USER)).contains("u" + ((depth - 1) % 10));
        IOException why = new IOException("why");
        root.cancel(why);
        assertThat(deep.isDone()).isTrue();
        assertThat(deep.cause()).isSameAs(why);
        assertThat(deep.err()).isSameAs(root.err());

        c = Context.background();
        for (int i = 0; i < depth; i++) {
            c = Context.withValue(c, USER, "u");
        }
        CancellableContext top = Context.withCancel(c);
        String s = top.toString();
        assertThat(s).startsWith("context.Background.WithValue(ContextKey[user]).WithValue(").endsWith(").WithCancel");
        assertThat(s.length()).isEqualTo("context.Background".length() + depth * ".WithValue(ContextKey[user])".length()
                + ".WithCancel".length());
        top.cancel();
    }

    /**
     * EG8: an await with nothing left to wait for returns the outcome even if the caller's interrupt
     * flag is set, and keeps the flag (as Thread.join, GoFuture.join and CH3 do).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG8_errGroupAwaitWithNothingToWaitForIgnoresTheInterruptFlag(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                IOException boom = new IOException("boom");
                try (ErrGroup g = ErrGroup.create()) {
                    g.go(() -> {
                        throw boom;
                    });
                    Threads.awaitTrue(() -> g.toString().startsWith("ErrGroup[0 running, failed: "), "the goroutine to end");
                    Thread.currentThread().interrupt();
                    assertThatThrownBy(g::await).isSameAs(boom);
                    assertThat(Thread.interrupted()).as("the flag is kept").isTrue();
                    assertThat(g.context().cause()).isSameAs(boom);
                }
                try (ErrGroup empty = ErrGroup.create()) {
                    Thread.currentThread().interrupt();
                    empty.await(); // no goroutine: returns, and cancels the context (EG1)
                    assertThat(Thread.interrupted()).isTrue();
                    assertThat(empty.context().isDone()).isTrue();
                }
            });
        }
    }

    /** EG8 for sync.WaitGroup: a wait group at zero does not wait, so an interrupt flag does not stop it. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG8_waitGroupAwaitAtZeroIgnoresTheInterruptFlag(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                WaitGroup wg = new WaitGroup();
                wg.go(() -> {});
                assertThat(wg.await(LONG)).isTrue();
                Thread.currentThread().interrupt();
                wg.await();
                assertThat(wg.await(LONG)).isTrue();
                assertThat(wg.await(Duration.ZERO)).isTrue();
                assertThat(Thread.interrupted()).as("the flag is kept").isTrue();
                // One that must wait still throws at once, having waited for nothing (I1).
                wg.add(1);
                Thread.currentThread().interrupt();
                assertThatThrownBy(wg::await).isInstanceOf(InterruptedException.class);
                Thread.currentThread().interrupt();
                assertThatThrownBy(() -> wg.await(LONG)).isInstanceOf(InterruptedException.class);
                wg.done();
            });
        }
    }

    /** A Throwable that is neither an Exception nor an Error (legal in Java, thrown by sneaky code). */
    static final class Odd extends Throwable {
        Odd() {
            super("odd");
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * GF5: a failure that is neither an Exception nor an Error is wrapped once: every join (every await)
     * throws the same ExecutionException, so the failure is one object however often it is seen (GF1, EG2).
     */
    @Test
    void GF5_aWrappedFailureIsTheSameOnEveryCall() throws Exception {
        Odd odd = new Odd();
        GoFuture<String> f = Go.future(() -> {
            throw sneaky(odd);
        });
        Throwable first = catchAny(f::join);
        assertThat(first).isInstanceOf(ExecutionException.class).hasCause(odd);
        assertThat(catchAny(f::join)).isSameAs(first);
        assertThat(catchAny(() -> f.join(LONG))).isSameAs(first);

        Odd odd2 = new Odd();
        try (ErrGroup g = ErrGroup.create()) {
            g.go(() -> {
                throw sneaky(odd2);
            });
            Throwable awaited = catchAny(() -> { g.await(); return null; });
            assertThat(awaited).isInstanceOf(ExecutionException.class).hasCause(odd2);
            assertThat(catchAny(() -> { g.await(); return null; })).isSameAs(awaited);
        }
    }

    interface Call {
        Object call() throws Exception;
    }

    static Throwable catchAny(Call c) {
        try {
            c.call();
        } catch (Throwable t) {
            return t;
        }
        throw new AssertionError("nothing thrown");
    }

    // ---- Probes that found no defect: regression tests -------------------------------------------

    /**
     * CX5, CX6 (no defect): a child of a done parent is done at once with the parent's error and cause,
     * even when it has a deadline of its own already past with a cause (Go: propagateCancel runs first).
     * Fails if the child's own deadline cause won, or if the child were born not done.
     */
    @Test
    void CX5_aChildOfADoneParentTakesTheParentsCause() {
        CancellableContext parent = Context.withCancelCause(Context.background());
        IOException why = new IOException("why");
        parent.cancel(why);
        CancellableContext child = Context.withDeadline(parent, Instant.now().minusSeconds(1), new IOException("mine"));
        assertThat(child.isDone()).isTrue();
        assertThat(child.err()).isSameAs(parent.err());
        assertThat(child.cause()).isSameAs(why);
    }

    /**
     * CX2, CX6 (no defect): a deadline in the past is done at once with DeadlineExceeded and the given
     * cause (Go 1.21 WithDeadlineCause); fails if the child waited for a timer.
     */
    @Test
    void CX6_aPastDeadlineIsDoneAtOnceWithItsCause() {
        IOException late = new IOException("late");
        CancellableContext c = Context.withDeadline(Context.background(), Instant.now().minusMillis(1), late);
        assertThat(c.isDone()).isTrue();
        assertThat(c.err()).isInstanceOf(DeadlineExceededException.class);
        assertThat(c.cause()).isSameAs(late);
        assertThat(Context.withTimeout(Context.background(), Duration.ofSeconds(-5)).err())
                .isInstanceOf(DeadlineExceededException.class);
    }

    /**
     * CX7, CX9 (no defect): WithoutCancel has no deadline, a nil done channel and null err/cause however
     * the parent ends, its values through it; a WithCancel under it is not reached by the parent's cancel.
     */
    @Test
    void CX7_withoutCancelIsDetachedButKeepsValues() {
        CancellableContext parent = Context.withTimeout(Context.withValue(Context.background(), USER, "ann"), Duration.ofHours(1));
        Context detached = Context.withoutCancel(parent);
        CancellableContext under = Context.withCancel(Context.withValue(detached, ContextKey.<String>of("x"), "y"));
        parent.cancel(new IOException("gone"));
        assertThat(detached.deadline()).isEmpty();
        assertThat(detached.err()).isNull();
        assertThat(detached.cause()).isNull();
        assertThat(detached.done().tryReceive().ok()).isFalse();
        assertThat(detached.value(USER)).contains("ann");
        assertThat(under.value(USER)).contains("ann");
        assertThat(under.isDone()).isFalse();
        under.cancel();
    }

    /**
     * CX8 (no defect): AfterFunc's stop is true only if it prevented the run: false on an already-done
     * context (f runs at once), false after f started, true once on a context that is never done.
     */
    @Test
    void CX8_afterFuncStopIsTrueOnlyIfItPreventedTheRun() throws Exception {
        CancellableContext done = Context.withCancel(Context.background());
        done.cancel();
        CountDownLatch ran = new CountDownLatch(1);
        AfterFunc a = Context.afterFunc(done, ran::countDown);
        assertThat(ran.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(a.stop()).isFalse();

        CancellableContext live = Context.withCancel(Context.background());
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AfterFunc b = Context.afterFunc(live, () -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        live.cancel();
        assertThat(started.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(b.stop()).as("f already started").isFalse();
        release.countDown();

        AtomicInteger never = new AtomicInteger();
        AfterFunc c = Context.afterFunc(Context.background(), never::incrementAndGet);
        assertThat(c.stop()).isTrue();
        assertThat(c.stop()).isFalse();
        assertThat(never).hasValue(0);
    }

    /**
     * G4 (no defect): driving the counter negative throws and leaves it unchanged (Go panics and leaves
     * it negative: gochan's documented choice); the wait group stays usable and can be reused after a
     * wait returned. Fails if the counter were changed by the failed add.
     */
    @Test
    void G4_aNegativeCounterThrowsAndLeavesTheGroupUsable() throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(2);
        assertThatThrownBy(() -> wg.add(-3)).isInstanceOf(IllegalStateException.class).hasMessageContaining("negative");
        assertThat(wg.count()).isEqualTo(2);
        wg.done();
        wg.done();
        wg.await();
        wg.go(() -> {}); // reuse after Wait returned (Go allows it)
        assertThat(wg.await(LONG)).isTrue();
        assertThat(wg.count()).isZero();
    }

    /**
     * EG4 (no defect): setLimit(negative) is no limit, tryGo is refused at the limit, and setting a
     * limit while goroutines run throws (Go panics "errgroup: modify limit while N goroutines in the
     * group are still active"; lifting it with a negative value is allowed there and here: EG10). Fails if
     * tryGo started past the limit or setLimit(n >= 0) were accepted.
     */
    @Test
    void EG4_limitsAsGo() throws Exception {
        try (ErrGroup g = ErrGroup.create()) {
            g.setLimit(1);
            CountDownLatch release = new CountDownLatch(1);
            assertThat(g.tryGo(release::await)).isTrue();
            assertThat(g.tryGo(() -> {})).isFalse();
            assertThatThrownBy(() -> g.setLimit(2)).isInstanceOf(IllegalStateException.class);
            assertThat(g.tryGo(() -> {})).as("the limit left as it was").isFalse();
            release.countDown();
            g.await();
        }
        try (ErrGroup g = ErrGroup.create()) {
            g.setLimit(0);
            g.setLimit(-7); // negative: no limit
            for (int i = 0; i < 3; i++) {
                assertThat(g.tryGo(() -> {})).isTrue();
            }
            g.await();
        }
    }

    /**
     * GF1 (no defect): join on a finished future returns its value even with the interrupt flag set
     * (and keeps it), as Thread.join does; a join that must wait throws InterruptedException and the
     * goroutine runs on. Fails if join threw for the flag alone.
     */
    @Test
    void GF1_joinAndTheInterruptFlag() throws Exception {
        GoFuture<String> f = Go.future(() -> "v");
        assertThat(f.join(LONG)).isEqualTo("v");
        Thread.currentThread().interrupt();
        assertThat(f.join()).isEqualTo("v");
        assertThat(Thread.interrupted()).isTrue();
        CountDownLatch release = new CountDownLatch(1);
        GoFuture<String> slow = Go.future(() -> {
            release.await();
            return "late";
        });
        Thread.currentThread().interrupt();
        assertThatThrownBy(slow::join).isInstanceOf(InterruptedException.class);
        assertThat(slow.isDone()).isFalse();
        release.countDown();
        assertThat(slow.join(LONG)).isEqualTo("late");
    }
}
