package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Go's structured habits (errgroup, sync.WaitGroup, futures, context-aware channel operations, context causes) held
 * to the javadoc, docs/spec/context-timers.md (CX, EG, GF, G families, CH4) and the README.
 */
@Timeout(60)
class StructuredHabitsTest {

    private static final long WAIT = 10;

    // ---------------------------------------------------------------- ErrGroup

    /** EG2/EG3 under a race: whichever failure wins, await throws it, it is the context's cause, the rest suppressed once. */
    @Test
    void eg_firstFailureWinsUnderRace_isThrownIsCause_othersSuppressedOnce() throws Exception {
        for (int round = 0; round < 100; round++) {
            int n = 6;
            CyclicBarrier barrier = new CyclicBarrier(n);
            List<Exception> made = new CopyOnWriteArrayList<>();
            ErrGroup g = ErrGroup.create();
            for (int i = 0; i < n; i++) {
                int id = i;
                g.go(() -> {
                    Exception e = new IOException("task " + id);
                    made.add(e);
                    barrier.await(WAIT, TimeUnit.SECONDS);
                    throw e;
                });
            }
            Throwable thrown = catchThrowable(g::await);
            assertThat(made).hasSize(n);
            assertThat(made).anySatisfy(e -> assertThat(e).isSameAs(thrown));
            assertThat(g.context().cause()).isSameAs(thrown);
            assertThat(g.context().err()).isInstanceOf(ContextCanceledException.class);
            assertThat(g.context().err().getCause()).isSameAs(thrown);
            assertThat(thrown.getSuppressed()).hasSize(n - 1).doesNotContain(thrown);
            assertThat(Arrays.asList(thrown.getSuppressed())).doesNotHaveDuplicates();
            assertThat(catchThrowable(g::await)).isSameAs(thrown); // EG13/EG2: the same outcome again
        }
    }

    /** Go: the derived context is cancelled on the first error or when Wait returns, never earlier; Cause is Canceled then. */
    @Test
    void eg_contextCancelledExactlyWhenGoCancelsIt() throws Exception {
        ErrGroup g = ErrGroup.create();
        CountDownLatch release = new CountDownLatch(1);
        g.go(() -> {});                               // a success cancels nothing
        assertThat(g.tryGo(() -> release.await())).isTrue();
        g.setLimit(-1);                               // lifting the limit cancels nothing (EG10)
        assertThatThrownBy(() -> g.setLimit(3)).isInstanceOf(IllegalStateException.class); // EG4 refused: nothing cancelled
        assertThat(g.context().isDone()).isFalse();
        assertThat(g.context().err()).isNull();
        release.countDown();
        g.await();
        assertThat(g.context().isDone()).isTrue();
        assertThat(g.context().err()).isInstanceOf(ContextCanceledException.class);
        // Go's Wait calls cancel(g.err) with g.err == nil: context.Cause(ctx) is context.Canceled, the err itself (CX5).
        assertThat(g.context().cause()).isSameAs(g.context().err());
        g.close();
    }

    /** EG2: an Error (StackOverflowError) of a task is thrown as itself and is the context's cause. */
    @Test
    void eg_stackOverflowErrorInTaskIsTheFailureAsItself() throws Exception {
        ErrGroup g = ErrGroup.create();
        g.go(StructuredHabitsTest::recurse);
        Throwable t = catchThrowable(g::await);
        assertThat(t).isInstanceOf(StackOverflowError.class);
        assertThat(g.context().cause()).isSameAs(t);
        assertThat(Goroutines.live()).noneMatch(x -> x.thread().getName().contains("nope"));
    }

    private static int depth;

    private static void recurse() {
        depth++;
        recurse();
    }

    /**
     * A task's own InterruptedException (not close()'s stop) is a failure of the group: thrown by await as itself,
     * the caller's interrupt flag untouched, the context's cause.
     */
    @Test
    void eg_taskInterruptedExceptionIsARealFailure_callerFlagUntouched() throws Exception {
        InterruptedException mine = new InterruptedException("task's own");
        ErrGroup g = ErrGroup.create();
        g.go(() -> {
            throw mine;
        });
        Throwable t = catchThrowable(g::await);
        assertThat(t).isSameAs(mine);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(g.context().cause()).isSameAs(mine);
    }

    /**
     * EG5: a close() without await, after a task failed with its own InterruptedException before close began, throws
     * that failure as itself, as await() would. The README said it never throws InterruptedException (now corrected:
     * the caller's interrupt never makes it throw).
     */
    @Test
    void EG5_closeThrowsATasksOwnInterruptedExceptionAsItself() throws Exception {
        InterruptedException mine = new InterruptedException("task's own");
        ErrGroup g = ErrGroup.create();
        CountDownLatch failed = new CountDownLatch(1);
        g.go(() -> {
            try {
                throw mine;
            } finally {
                failed.countDown();
            }
        });
        assertThat(failed.await(WAIT, TimeUnit.SECONDS)).isTrue();
        // wait until the failure is recorded: the context is cancelled with it (EG3)
        assertThat(Go.future(() -> {
            g.context().done().receiveOk();
            return true;
        }).join(Duration.ofSeconds(WAIT))).isTrue();
        Throwable t = catchThrowable(g::close);
        // The README said close() never throws InterruptedException: it does, as await() would, when a goroutine's
        // own InterruptedException is the first failure; the caller's interrupt never makes it throw (EG5).
        assertThat(t).isSameAs(mine);
    }

    /** EG8/I1: a thread interrupted while blocked in await gets InterruptedException; nothing is cancelled; a later await works. */
    @Test
    void eg_interruptOfThreadBlockedInAwait() throws Exception {
        ErrGroup g = ErrGroup.create();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        g.go(() -> {
            running.countDown();
            release.await();
        });
        assertThat(running.await(WAIT, TimeUnit.SECONDS)).isTrue();
        AtomicReference<Throwable> out = new AtomicReference<>();
        AtomicBoolean flagAfter = new AtomicBoolean(true);
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                g.await();
            } catch (Throwable t) {
                out.set(t);
            }
            flagAfter.set(Thread.currentThread().isInterrupted());
        });
        awaitBlocked(waiter);
        waiter.interrupt();
        waiter.join(WAIT * 1000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(out.get()).isInstanceOf(InterruptedException.class);
        assertThat(flagAfter.get()).isFalse();
        assertThat(g.context().isDone()).as("an interrupted await cancels nothing").isFalse();
        assertThat(g.tryGo(() -> {})).as("the group is not awaited yet").isTrue();
        release.countDown();
        g.await();
        assertThat(g.context().isDone()).isTrue();
        assertThat(Goroutines.live()).noneMatch(x -> x.thread().isAlive() && false);
    }

    /** EG4: limit 0 lets none start; a go() blocked there and interrupted starts nothing and frees nothing. */
    @Test
    void eg_limitZero_tryGoFalse_goBlocksInterruptibly_startsNothing() throws Exception {
        ErrGroup g = ErrGroup.create();
        g.setLimit(0);
        AtomicInteger ran = new AtomicInteger();
        assertThat(g.tryGo(ran::incrementAndGet)).isFalse();
        AtomicReference<Throwable> out = new AtomicReference<>();
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                g.go(ran::incrementAndGet);
            } catch (Throwable t) {
                out.set(t);
            }
        });
        awaitBlocked(producer);
        producer.interrupt();
        producer.join(WAIT * 1000);
        assertThat(out.get()).isInstanceOf(InterruptedException.class);
        assertThat(ran.get()).isZero();
        assertThat(g.toString()).contains("0 running");
        g.setLimit(1);                          // nothing runs: allowed
        g.go(ran::incrementAndGet);
        g.await();
        assertThat(ran.get()).isEqualTo(1);
    }

    /** EG4/EG10: negative limits mean none; setting a limit while one runs throws and keeps the old one. */
    @Test
    void eg_negativeLimitsAndRefusedSetLimitKeepsOldLimit() throws Exception {
        ErrGroup g = ErrGroup.create();
        g.setLimit(-7);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 5; i++) {
            assertThat(g.tryGo(() -> release.await())).isTrue();
        }
        assertThatThrownBy(() -> g.setLimit(1)).isInstanceOf(IllegalStateException.class);
        assertThat(g.tryGo(() -> release.await())).as("limit left unchanged (none)").isTrue();
        release.countDown();
        g.await();
    }

    /** EG4 (documented divergence from Go, which allows reuse after Wait): go/tryGo after await throw ISE. */
    @Test
    void eg_reuseAfterAwaitIsRefusedAsDocumented() throws Exception {
        ErrGroup g = ErrGroup.create();
        g.go(() -> {});
        g.await();
        assertThatThrownBy(() -> g.go(() -> {})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> g.tryGo(() -> {})).isInstanceOf(IllegalStateException.class);
        g.await(); // again: the same (empty) outcome
    }

    /** EG7: after await throws, none of the group's named goroutines is live. */
    @Test
    void eg_noGoroutineLeftAfterAwaitThrows() throws Exception {
        for (int round = 0; round < 20; round++) {
            ErrGroup g = ErrGroup.create();
            String prefix = "audit46-eg-" + round + "-";
            for (int i = 0; i < 8; i++) {
                int id = i;
                g.go(prefix + i, () -> {
                    if (id % 2 == 0) {
                        throw new IOException("x" + id);
                    }
                    g.context().done().receiveOk();
                });
            }
            assertThatThrownBy(g::await).isInstanceOf(IOException.class);
            assertThat(Goroutines.live()).noneMatch(x -> x.name().startsWith(prefix));
        }
    }

    /** Go: a failure after the parent's cancel does not change the cause (first cancellation wins); await throws it. */
    @Test
    void eg_failureAfterParentCancelKeepsParentsCause_valuesInherited() throws Exception {
        ContextKey<String> key = ContextKey.of("user");
        CancellableContext parent = Context.withCancel(Context.withValue(Context.background(), key, "ann"));
        ErrGroup g = ErrGroup.withContext(parent);
        assertThat(g.context().value(key)).contains("ann");
        IllegalArgumentException p = new IllegalArgumentException("parent cause");
        parent.cancel(p);
        IOException e = new IOException("late");
        g.go(() -> {
            throw e;
        });
        assertThat(catchThrowable(g::await)).isSameAs(e);
        assertThat(g.context().cause()).isSameAs(p);
    }

    /** GF5/EG2: a Throwable neither Exception nor Error: one ExecutionException, the same on every await; cause is raw. */
    @Test
    void eg_sneakyThrowableWrappedOnce() throws Exception {
        Throwable raw = new Throwable("raw");
        ErrGroup g = ErrGroup.create();
        g.go(() -> {
            throw StructuredHabitsTest.<RuntimeException>sneaky(raw);
        });
        Throwable a = catchThrowable(g::await);
        Throwable b = catchThrowable(g::await);
        assertThat(a).isInstanceOf(ExecutionException.class).hasCause(raw).isSameAs(b);
        assertThat(g.context().cause()).isSameAs(raw);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /** EG13: several awaiters all get the same instance. */
    @Test
    void eg_severalAwaitersSameFailure() throws Exception {
        ErrGroup g = ErrGroup.create();
        CountDownLatch go = new CountDownLatch(1);
        IOException e = new IOException("one");
        g.go(() -> {
            go.await();
            throw e;
        });
        List<GoFuture<Throwable>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiters.add(Go.future(() -> catchThrowable(g::await)));
        }
        go.countDown();
        for (GoFuture<Throwable> w : waiters) {
            assertThat(w.join(Duration.ofSeconds(WAIT))).isSameAs(e);
        }
    }

    /** CH4 + EG3: a sibling's receive(ctx) throws ctx.err(), a ContextCanceledException whose cause is the first failure. */
    @Test
    void eg_siblingReceiveWithGroupContextThrowsErrCausedByFirstFailure() throws Exception {
        ErrGroup g = ErrGroup.create();
        Chan<Integer> never = Chan.make();
        AtomicReference<Throwable> sibling = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        g.go(() -> {
            waiting.countDown();
            try {
                never.receive(g.context());
            } catch (Throwable t) {
                sibling.set(t);
                throw t;
            }
        });
        IOException e = new IOException("first");
        assertThat(waiting.await(WAIT, TimeUnit.SECONDS)).isTrue();
        g.go(() -> {
            throw e;
        });
        Throwable t = catchThrowable(g::await);
        assertThat(t).isSameAs(e);
        assertThat(sibling.get()).isInstanceOf(ContextCanceledException.class).hasCause(e);
        assertThat(sibling.get()).isSameAs(g.context().err());
        assertThat(e.getSuppressed()).containsExactly(sibling.get());
    }

    /** CX8 on a group's context: an afterFunc runs once the first failure cancels it, and sees the cause. */
    @Test
    void eg_afterFuncOnGroupContextRunsOnFirstFailure_withoutCancelNot() throws Exception {
        ErrGroup g = ErrGroup.create();
        Context detached = Context.withoutCancel(g.context());
        CompletableCause seen = new CompletableCause();
        Context.afterFunc(g.context(), () -> seen.set(g.context().cause()));
        IOException e = new IOException("boom");
        g.go(() -> {
            throw e;
        });
        assertThat(seen.await()).isSameAs(e);
        assertThat(catchThrowable(g::await)).isSameAs(e);
        assertThat(detached.isDone()).isFalse();
        assertThat(detached.err()).isNull();
        assertThat(detached.cause()).isNull();
    }

    private static final class CompletableCause {
        private final CountDownLatch latch = new CountDownLatch(1);
        private volatile Throwable value;

        void set(Throwable t) {
            value = t;
            latch.countDown();
        }

        Throwable await() throws InterruptedException {
            assertThat(latch.await(WAIT, TimeUnit.SECONDS)).isTrue();
            return value;
        }
    }

    /** EG11: await() from inside the group's own goroutine is refused with ISE, and the group still works. */
    @Test
    void eg_selfAwaitRefused() throws Exception {
        ErrGroup g = ErrGroup.create();
        AtomicReference<Throwable> inner = new AtomicReference<>();
        g.go(() -> inner.set(catchThrowable(g::await)));
        g.await();
        assertThat(inner.get()).isInstanceOf(IllegalStateException.class);
    }

    // ---------------------------------------------------------------- WaitGroup

    /** Go: a negative counter panics; here ISE and the counter is unchanged. */
    @Test
    void wg_negativeCounterRefusedAndLeftUnchanged() {
        WaitGroup wg = new WaitGroup();
        wg.add(2);
        assertThatThrownBy(() -> wg.add(-3)).isInstanceOf(IllegalStateException.class);
        assertThat(wg.count()).isEqualTo(2);
        wg.add(Integer.MAX_VALUE);
        wg.add(Integer.MAX_VALUE);
        assertThat(wg.count()).isEqualTo(2L + 2L * Integer.MAX_VALUE); // G11: long counter
    }

    /** I1: interrupt of a thread blocked in WaitGroup.await: InterruptedException, counter unchanged, flag cleared. */
    @Test
    void wg_interruptOfThreadBlockedInAwait() throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        AtomicReference<Throwable> out = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean(true);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                wg.await();
            } catch (Throwable e) {
                out.set(e);
            }
            flag.set(Thread.currentThread().isInterrupted());
        });
        awaitBlocked(t);
        t.interrupt();
        t.join(WAIT * 1000);
        assertThat(out.get()).isInstanceOf(InterruptedException.class);
        assertThat(flag.get()).isFalse();
        assertThat(wg.count()).isEqualTo(1);
        wg.done();
        wg.await();
    }

    /** G5: WaitGroup.go's task failing with a checked exception still calls done(); the failure goes to the handler. */
    @Test
    void wg_goFailingTaskStillDone_failureToHandler() throws Exception {
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        IOException e = new IOException("wg task");
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((gr, t) -> seen.add(t));
        try {
            WaitGroup wg = new WaitGroup();
            wg.go(() -> {
                throw e;
            });
            assertThat(wg.await(Duration.ofSeconds(WAIT))).isTrue();
            assertThat(seen).contains(e);
            assertThat(wg.count()).isZero();
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /** G7: WaitGroup.go's goroutine awaiting its own group is refused; the refusal goes to the handler, done() still runs. */
    @Test
    void wg_selfAwaitFromGoRefused() throws Exception {
        WaitGroup wg = new WaitGroup();
        AtomicReference<Throwable> inner = new AtomicReference<>();
        wg.go(() -> inner.set(catchThrowable(wg::await)));
        assertThat(wg.await(Duration.ofSeconds(WAIT))).isTrue();
        assertThat(inner.get()).isInstanceOf(IllegalStateException.class);
    }

    // ---------------------------------------------------------------- GoFuture / Goroutine

    /** GF1/GF10: join interrupted while waiting throws InterruptedException; the callable runs on; a later join gets the value. */
    @Test
    void gf_joinInterruptedThenLaterJoinReturnsValue() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        GoFuture<String> f = Go.future(() -> {
            release.await();
            return "v";
        });
        AtomicReference<Throwable> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                f.join();
            } catch (Throwable e) {
                out.set(e);
            }
        });
        awaitBlocked(t);
        t.interrupt();
        t.join(WAIT * 1000);
        assertThat(out.get()).isInstanceOf(InterruptedException.class);
        assertThat(f.isDone()).isFalse();
        release.countDown();
        assertThat(f.join()).isEqualTo("v");
        assertThat(f.join(Duration.ZERO)).isEqualTo("v");
    }

    /** Goroutine.join interrupted while waiting: InterruptedException; the goroutine runs on. */
    @Test
    void goroutine_joinInterrupted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Goroutine gr = Go.go(() -> release.await());
        AtomicReference<Throwable> out = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                gr.join();
            } catch (Throwable e) {
                out.set(e);
            }
        });
        awaitBlocked(t);
        t.interrupt();
        t.join(WAIT * 1000);
        assertThat(out.get()).isInstanceOf(InterruptedException.class);
        assertThat(gr.isAlive()).isTrue();
        release.countDown();
        gr.join();
        assertThat(gr.isAlive()).isFalse();
    }

    // ---------------------------------------------------------------- contexts and channel operations

    /** CH4/CX5/CX6: the exception type and its cause for each way a context ends. */
    @Test
    void ch4_exceptionTypeAndCauseForEachEnd() throws Exception {
        Chan<Integer> ch = Chan.make();
        IllegalStateException why = new IllegalStateException("why");
        CancellableContext a = Context.withCancelCause(Context.background());
        a.cancel(why);
        assertThatThrownBy(() -> ch.receive(a)).isInstanceOf(ContextCanceledException.class).hasCause(why);
        assertThatThrownBy(() -> ch.send(1, a)).isInstanceOf(ContextCanceledException.class).hasCause(why);
        // a child made after the parent's cancel: the parent's error and cause (CX5)
        CancellableContext child = Context.withCancel(a);
        assertThat(child.cause()).isSameAs(why);
        assertThatThrownBy(() -> ch.receiveOk(child)).isInstanceOf(ContextCanceledException.class).hasCause(why);
        // plain cancel: no cause attached (CX18)
        CancellableContext b = Context.withCancel(Context.background());
        b.cancel();
        assertThatThrownBy(() -> ch.receive(b)).isInstanceOf(ContextCanceledException.class).hasNoCause();
        assertThat(b.cause()).isSameAs(b.err());
        // deadline with a cause, already past (CX6)
        IOException slow = new IOException("slow");
        CancellableContext d = Context.withTimeout(Context.background(), Duration.ZERO, slow);
        assertThatThrownBy(() -> ch.receive(d)).isInstanceOf(DeadlineExceededException.class).hasCause(slow);
        assertThat(d.cause()).isSameAs(slow);
        // deadline without a cause
        CancellableContext d2 = Context.withTimeout(Context.background(), Duration.ofMillis(-5));
        assertThatThrownBy(() -> ch.receive(d2)).isInstanceOf(DeadlineExceededException.class).hasNoCause();
        // a deadline reached while waiting, with a cause
        CancellableContext d3 = Context.withTimeout(Context.background(), Duration.ofMillis(50), slow);
        assertThatThrownBy(() -> ch.receive(d3)).isInstanceOf(DeadlineExceededException.class).hasCause(slow);
        // cancelled with a cause while a receive waits
        CancellableContext w = Context.withCancel(Context.background());
        GoFuture<Throwable> f = Go.future(() -> catchThrowable(() -> ch.receive(w)));
        awaitBlocked(f.goroutine().thread());
        w.cancel(why);
        assertThat(f.join(Duration.ofSeconds(WAIT))).isInstanceOf(ContextCanceledException.class).hasCause(why)
                .isSameAs(w.err());
    }

    /** CX6: a deadline context cancelled earlier with a cause reports that cause, not the deadline's. */
    @Test
    void cx6_deadlineCauseOnlyWhenTheDeadlinePasses() {
        IOException deadlineCause = new IOException("deadline");
        IllegalStateException early = new IllegalStateException("early");
        CancellableContext d = Context.withTimeout(Context.background(), Duration.ofHours(1), deadlineCause);
        d.cancel(early);
        assertThat(d.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(d.cause()).isSameAs(early);
        CancellableContext d2 = Context.withTimeout(Context.background(), Duration.ofHours(1), deadlineCause);
        d2.cancel();
        assertThat(d2.cause()).isSameAs(d2.err());
    }

    /** CX7: withoutCancel of a cancelled context keeps values, is never done; its children are cancelled only by their own. */
    @Test
    void cx7_withoutCancelOfCancelledParent() {
        ContextKey<Integer> k = ContextKey.of("k");
        CancellableContext p = Context.withCancel(Context.withValue(Context.background(), k, 7));
        p.cancel(new IOException("x"));
        Context w = Context.withoutCancel(p);
        assertThat(w.value(k)).contains(7);
        assertThat(w.isDone()).isFalse();
        assertThat(w.deadline()).isEmpty();
        CancellableContext c = Context.withCancel(w);
        assertThat(c.isDone()).isFalse();
        c.cancel();
        assertThat(c.err()).isInstanceOf(ContextCanceledException.class);
    }


    /** EG2: one instance thrown by several goroutines is the failure once: it never suppresses itself. */
    @Test
    void eg_sharedInstanceThrownByManyIsNotSelfSuppressed() throws Exception {
        IOException shared = new IOException("shared");
        ErrGroup g = ErrGroup.create();
        CyclicBarrier b = new CyclicBarrier(4);
        for (int i = 0; i < 4; i++) {
            g.go(() -> {
                b.await(WAIT, TimeUnit.SECONDS);
                throw shared;
            });
        }
        assertThat(catchThrowable(g::await)).isSameAs(shared);
        assertThat(shared.getSuppressed()).isEmpty();
    }

    /** EG3 racing close(): a failure that was recorded before close() is the context's cause and close() throws it. */
    @Test
    void eg_closeRightAfterFailureKeepsItAsCause() throws Exception {
        for (int round = 0; round < 200; round++) {
            IOException e = new IOException("r" + round);
            ErrGroup g = ErrGroup.create();
            CountDownLatch thrown = new CountDownLatch(1);
            g.go(() -> {
                try {
                    throw e;
                } finally {
                    thrown.countDown();
                }
            });
            g.go(() -> g.context().done().receiveOk());
            assertThat(thrown.await(WAIT, TimeUnit.SECONDS)).isTrue();
            Throwable t = catchThrowable(g::close);
            // close() may begin before failed() took the lock (then the failure follows the stop: still a real one)
            assertThat(t).isSameAs(e);
            if (g.context().cause() != e) {
                assertThat(g.context().cause()).isInstanceOf(ContextCanceledException.class);
            }
        }
    }

    /** GF10: a callable answering interrupt() with InterruptedException: join throws that instance, caller's flag untouched. */
    @Test
    void gf_interruptAnsweredByInterruptedException() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<InterruptedException> mine = new AtomicReference<>();
        GoFuture<String> f = Go.future(() -> {
            started.countDown();
            try {
                new CountDownLatch(1).await();
                return "never";
            } catch (InterruptedException ie) {
                mine.set(ie);
                throw ie;
            }
        });
        assertThat(started.await(WAIT, TimeUnit.SECONDS)).isTrue();
        f.interrupt();
        Throwable t = catchThrowable(f::join);
        assertThat(t).isSameAs(mine.get());
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    /** CX5/CX6: a deadline child of an earlier-deadline parent takes the parent's deadline and cause (Go's WithCancel). */
    @Test
    void cx6_childOfEarlierDeadlineParentTakesParentsCause() throws Exception {
        IOException pc = new IOException("parent cause");
        IOException cc = new IOException("child cause");
        CancellableContext parent = Context.withTimeout(Context.background(), Duration.ofMillis(80), pc);
        CancellableContext child = Context.withTimeout(parent, Duration.ofHours(1), cc);
        assertThat(child.deadline()).isEqualTo(parent.deadline());
        assertThat(child.toString()).endsWith(".WithCancel");
        child.done().receiveOk();
        assertThat(child.err()).isInstanceOf(DeadlineExceededException.class);
        assertThat(child.cause()).isSameAs(pc);
        assertThat(child.err()).isSameAs(parent.err());
    }

    /** CX5: cancel(null) is cancel(): the cause is the error itself (Go: cancel(nil) sets Canceled). */
    @Test
    void cx5_cancelNullCauseIsTheErrorItself() {
        CancellableContext c = Context.withCancelCause(Context.background());
        c.cancel(null);
        assertThat(c.err()).isInstanceOf(ContextCanceledException.class).hasNoCause();
        assertThat(c.cause()).isSameAs(c.err());
        c.cancel(new IOException("late"));
        assertThat(c.cause()).isSameAs(c.err());
    }

    /** CX13: a group's context prints as Go's errgroup.WithContext child: <parent>.WithCancel. */
    @Test
    void cx13_groupContextPrintsAsWithCancel() throws Exception {
        ContextKey<String> k = ContextKey.of("user");
        ErrGroup g = ErrGroup.withContext(Context.withValue(Context.background(), k, "ann"));
        assertThat(g.context().toString()).isEqualTo("context.Background.WithValue(ContextKey[user]).WithCancel");
        g.close();
    }

    /** G4: a waiter present when the counter reaches zero returns even if add() raises it at once. */
    @Test
    void wg_waiterReleasedAtZeroEvenIfReAddedAtOnce() throws Exception {
        for (int round = 0; round < 50; round++) {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            GoFuture<Boolean> waiter = Go.future(() -> {
                wg.await();
                return true;
            });
            awaitBlocked(waiter.goroutine().thread());
            wg.done();
            wg.add(1);
            assertThat(waiter.join(Duration.ofSeconds(WAIT))).isTrue();
            wg.done();
        }
    }


    /**
     * EG2 ("every other failure of the group attached") with Go's {@code return ctx.Err()} idiom (EG12) under a
     * cancelled parent: the first failure is the parent's err() instance, shared by every descendant (CX18). Attaching
     * the group's other failures to it changed the parent context's error: a second group under the same parent then
     * threw the first group's failures too, and the parent's err() carried failures of groups it never ran. EG17: they
     * go to the handler instead, as GF11's do.
     */
    @Test
    void EG17_othersAreNeverAttachedToASharedContextError() throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        parent.cancel();
        IOException g1Other = new IOException("g1's other failure");
        IOException g2Other = new IOException("g2's other failure");
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        java.util.function.BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> reported.add(t));
        try {
            Throwable t1 = runGroupAnsweringCtxErr(parent, g1Other);
            Throwable t2 = runGroupAnsweringCtxErr(parent, g2Other);
            assertThat(t1).isSameAs(parent.err());
            assertThat(t2).isSameAs(parent.err());
            assertThat(t2.getSuppressed()).as("g2's outcome carries no other group's failures").doesNotContain(g1Other);
            assertThat(parent.err().getSuppressed()).as("the parent's err() is not changed by a group").isEmpty();
            // Not lost either: each went to the handler before await() returned (GF11).
            assertThat(reported).containsExactly(g1Other, g2Other);
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    private static Throwable runGroupAnsweringCtxErr(Context parent, IOException other) throws Exception {
        ErrGroup g = ErrGroup.withContext(parent);
        g.go(() -> {
            throw g.context().err(); // Go's `return ctx.Err()`
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!g.toString().contains("failed:")) { // the first failure recorded: a state, polled with a bound
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.onSpinWait();
        }
        g.go(() -> {
            throw other;
        });
        return catchThrowable(g::await);
    }


    /**
     * The same root cause as {@link #EG17_othersAreNeverAttachedToASharedContextError}, as retention: a long-lived
     * cancelled parent (a shut-down server's context) kept every failure of every group run under it since, reachable
     * from its err() (and from every descendant's).
     */
    @Test
    void EG17_aCancelledParentsErrRetainsNoFailureOfTheGroupsUnderIt() throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        parent.cancel();
        java.util.function.BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {});
        try {
            for (int i = 0; i < 50; i++) {
                runGroupAnsweringCtxErr(parent, new IOException("group " + i));
            }
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
        Context unrelated = Context.withValue(parent, ContextKey.of("x"), 1);
        assertThat(unrelated.err().getSuppressed()).as("retained from 50 groups").isEmpty();
    }


    /** CH4: a context done at the call sends/takes nothing, on every channel kind, and never calls a drop callback. */
    @Test
    void ch4_doneAtTheCallSendsAndTakesNothingOnEveryKind() throws Exception {
        CancellableContext done = Context.withCancel(Context.background());
        IOException why = new IOException("why");
        done.cancel(why);
        List<Integer> dropped = new CopyOnWriteArrayList<>();
        List<Chan<Integer>> kinds = List.of(Chan.make(), Chan.make(1), Chan.make(64), Chan.conflated(dropped::add),
                Chan.make(1, OverflowPolicy.DROP_OLDEST, dropped::add), Chan.unlimited());
        for (Chan<Integer> ch : kinds) {
            if (ch.cap() != 0) {
                assertThat(ch.trySend(1)).isTrue();
            }
            int before = ch.len();
            assertThatThrownBy(() -> ch.send(2, done)).as(ch.toString()).isSameAs(done.err()).hasCause(why);
            assertThat(ch.len()).as(ch.toString()).isEqualTo(before);
            assertThatThrownBy(() -> ch.receive(done)).as(ch.toString()).isSameAs(done.err());
            assertThatThrownBy(() -> ch.receiveOk(done)).as(ch.toString()).isSameAs(done.err());
            assertThat(ch.len()).as(ch.toString()).isEqualTo(before);
            ch.close();
            assertThatThrownBy(() -> ch.receiveOk(done)).as("closed: " + ch).isSameAs(done.err());
            assertThatThrownBy(() -> ch.send(3, done)).as("closed: " + ch).isSameAs(done.err());
            assertThatThrownBy(() -> ch.send(3, Context.background())).as("closed: " + ch)
                    .isInstanceOf(ChannelClosedException.class);
        }
        assertThat(dropped).isEmpty();
    }


    /**
     * EG5 + README's try-with-resources scope, Go's {@code return ctx.Err()} idiom in the block and in a task: the
     * parent is cancelled, a task answers with {@code g.context().err()} (recorded before the block is left), and the
     * block's own receive with {@code g.context()} throws the same instance (CX18: one instance per cancellation).
     * close() threw that very instance, and javac's try-with-resources calls {@code x.addSuppressed(x)}: Java threw
     * IllegalArgumentException("Self-suppression not permitted") in place of the context's error. EG17: close()
     * throws a copy of a context's shared error.
     */
    @Test
    void EG17_aBlockAndATaskAnsweringTheSameContextErrorEndWithTheBlocksException() throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        Chan<Integer> results = Chan.make();
        Throwable t = catchThrowable(() -> {
            try (ErrGroup g = ErrGroup.withContext(parent)) {
                g.go(() -> {
                    g.context().done().receiveOk();
                    throw g.context().err(); // Go's `return ctx.Err()`
                });
                parent.cancel();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (!g.toString().contains("failed:")) { // the task's answer recorded: a state, polled with a bound
                    assertThat(System.nanoTime()).isLessThan(end);
                    Thread.onSpinWait();
                }
                results.receive(g.context()); // the block's own `return ctx.Err()`
                g.await();
            }
        });
        assertThat(t).as("the block's exception, not Java's self-suppression refusal").isSameAs(parent.err());
        // close() threw a copy of its own (same class, message, cause), which try-with-resources attached to it
        assertThat(t.getSuppressed()).hasSize(1);
        assertThat(t.getSuppressed()[0]).isInstanceOf(ContextCanceledException.class).isNotSameAs(t)
                .hasMessage(t.getMessage());
    }


    /**
     * EG4 against Go's semaphore: Go's {@code Go} blocked at the limit is a sender queued on {@code g.sem}; when a slot
     * frees, the receive in {@code done()} moves that sender's token into the buffer at once (FIFO hand-off), so a
     * {@code TryGo} right after the free sees the limit reached and returns false until the blocked call's function
     * has run. Here the freed slot is open to whoever takes the lock first: a {@code tryGo} (or a new {@code go})
     * barges past a {@code go} that was already waiting, which can be starved.
     */
    @Test
    void eg_goWaitingForASlotIsNotOvertakenByTryGo() throws Exception {
        int overtaken = 0;
        for (int round = 0; round < 50; round++) {
            ErrGroup g = ErrGroup.create();
            g.setLimit(1);
            CountDownLatch releaseA = new CountDownLatch(1);
            g.go(() -> releaseA.await());
            AtomicBoolean bStarted = new AtomicBoolean();
            Thread producer = Thread.ofPlatform().start(() -> {
                try {
                    g.go(() -> bStarted.set(true));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            awaitBlocked(producer);
            releaseA.countDown();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            boolean cStarted;
            do {
                cStarted = g.tryGo(() -> {});
            } while (!cStarted && System.nanoTime() < end);
            if (cStarted && !bStarted.get()) {
                overtaken++;
            }
            producer.join(WAIT * 1000);
            g.await();
        }
        assertThat(overtaken).as("rounds (of 50) where tryGo took the slot a waiting go() was due").isZero();
    }


    /**
     * The same self-suppression without contexts: Go's error-channel idiom ({@code errc <- err} in the task,
     * {@code return <-errc} in the caller) ported as a task that reports its failure on a channel and throws it; a
     * block that rethrows what it received while close() would throw the same instance meets Java's refusal of
     * {@code x.addSuppressed(x)}, which no close() can avoid: the block awaits first (EG17, close()'s javadoc).
     */
    @Test
    void EG17_aBlockThatAwaitsBeforeLeavingWithTheTasksOwnInstanceGetsIt() throws Exception {
        Chan<IOException> errc = Chan.make(1);
        Throwable t = catchThrowable(() -> {
            try (ErrGroup g = ErrGroup.create()) {
                g.go(() -> {
                    IOException e = new IOException("task failed");
                    errc.send(e);
                    throw e;
                });
                IOException e = errc.receive();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (!g.toString().contains("failed:")) { // the task's failure recorded: a state, polled with a bound
                    assertThat(System.nanoTime()).isLessThan(end);
                    Thread.onSpinWait();
                }
                // Leaving with that very instance while close() would throw it is Java's self-suppression: await() first
                // (ErrGroup.close()'s javadoc), after which close() only releases the context.
                assertThat(catchThrowable(g::await)).isSameAs(e);
                throw e; // the block leaves with the error it was told of
            }
        });
        assertThat(t).as("the block's exception, not Java's self-suppression refusal").isInstanceOf(IOException.class)
                .hasNoSuppressedExceptions();
    }

    /** G5/EG7 for WaitGroup.go: once await() returns, none of its goroutines is listed by Goroutines.live(). */
    @Test
    void wg_goGoroutinesGoneWhenAwaitReturns() throws Exception {
        for (int round = 0; round < 20; round++) {
            WaitGroup wg = new WaitGroup();
            List<Goroutine> started = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                started.add(wg.go(() -> {}));
            }
            wg.await();
            List<Goroutine> live = Goroutines.live();
            assertThat(live).doesNotContainAnyElementsOf(started);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Waits (bounded) until {@code t} is blocked (WAITING / TIMED_WAITING / BLOCKED). */
    private static void awaitBlocked(Thread t) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (true) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("thread never blocked: " + s);
            }
            Thread.onSpinWait();
            Thread.sleep(1); // polling for a state, not ordering threads
        }
    }
}
