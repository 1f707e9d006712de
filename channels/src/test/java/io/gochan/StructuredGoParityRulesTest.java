package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A fresh-eyes parity check of the structured habits against Go (golang.org/x/sync/errgroup, sync.WaitGroup)
 * and against what a Java user expects of a future: rules EG12, EG13, GF10, G11 (docs/spec/context-timers.md).
 * Each test pins a promise no earlier rule pinned; none found a defect in the code.
 */
@ExtendWith(NoNewGoroutines.class)
class StructuredGoParityRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);

    /**
     * EG12: go and tryGo do not look at the group's context, as Go's Group.Go does not: after the parent was
     * cancelled and after the first failure they still start their task, and a go waiting for a slot keeps
     * waiting when the context is cancelled (only a slot, setLimit(-1) or close() releases it). Fails if a start
     * were refused, or a waiting go released, by the context alone.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG12_startingDoesNotLookAtTheContext(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext parent = Context.withCancel(Context.background());
                IOException boom = new IOException("boom");
                AtomicInteger ran = new AtomicInteger();
                ErrGroup g = ErrGroup.withContext(parent);
                g.go(() -> {
                    throw boom;
                });
                g.context().done().receiveOk(); // the first failure cancelled the derived context
                g.go(ran::incrementAndGet);
                assertThat(g.tryGo(ran::incrementAndGet)).isTrue();
                parent.cancel();
                g.go(ran::incrementAndGet);
                assertThat(g.tryGo(ran::incrementAndGet)).isTrue();
                assertThatThrownBy(g::await).isSameAs(boom);
                assertThat(ran).as("every task started after the cancel ran").hasValue(4);

                // A go waiting for a slot is not released by a cancelled context.
                CancellableContext parent2 = Context.withCancel(Context.background());
                ErrGroup limited = ErrGroup.withContext(parent2);
                limited.setLimit(1);
                Chan<Integer> hold = Chan.make();
                limited.go(hold::receive);
                AtomicBoolean secondRan = new AtomicBoolean();
                Chan<Throwable> producerEnded = Chan.make(1);
                Goroutine producer = Go.go(() -> {
                    Throwable t = null;
                    try {
                        limited.go(() -> secondRan.set(true));
                    } catch (Throwable e) {
                        t = e;
                    }
                    producerEnded.send(t == null ? new Throwable("none") : t);
                });
                Threads.awaitTrue(() -> producer.thread().getState() == Thread.State.WAITING, "go to wait for a slot");
                parent2.cancel();
                assertThat(limited.context().isDone()).isTrue();
                assertThat(producerEnded.tryReceive().notReady()).as("still waiting for a slot after the cancel").isTrue();
                assertThat(producer.thread().isAlive()).isTrue();
                hold.send(1); // the slot frees: the waiting go starts its task
                assertThat(producerEnded.receive()).hasMessage("none");
                producer.join();
                limited.await();
                assertThat(secondRan).isTrue();
            });
        }
    }

    /**
     * EG12 under pressure: a group with limit 2 and 10,000 tasks from a producer that calls go without
     * looking at the context (Go's loop), the parent cancelled from outside once task 3,000 runs, tasks that
     * answer a done context with ctx.err() (Go's "return ctx.Err()") and five that fail on their own after
     * the cancel. Every task starts (go ignores the context), never more than 2 run at once, await throws the
     * first failure (the context's error, the five then handed to the handler: EG17), no task runs once await returned, and no
     * goroutine is left (the extension). Fails if a limit were exceeded, a failure lost, or a task ran late.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG12_pressureLimitTwoTenThousandTasksCancelledFromOutside(Kind kind) throws Exception {
        int n = 10_000;
        try (Threads threads = new Threads(kind)) {
            CancellableContext parent = Context.withCancel(Context.background());
            Chan<Integer> atMidway = Chan.make(1);
            threads.start(() -> {
                atMidway.receive();
                parent.cancel(); // from outside the group, mid-way
            });
            threads.start(() -> {
                AtomicInteger running = new AtomicInteger();
                AtomicInteger maxRunning = new AtomicInteger();
                AtomicInteger started = new AtomicInteger();
                AtomicInteger answeredDone = new AtomicInteger();
                AtomicBoolean awaited = new AtomicBoolean();
                AtomicBoolean lateRun = new AtomicBoolean();
                List<IOException> own = new ArrayList<>();
                ErrGroup g = ErrGroup.withContext(parent);
                g.setLimit(2);
                Context ctx = g.context();
                for (int i = 0; i < n; i++) {
                    int k = i;
                    IOException mine = k > 5_000 && k % 1_000 == 500 ? new IOException("task " + k) : null;
                    if (mine != null) {
                        own.add(mine);
                    }
                    g.go(() -> {
                        started.incrementAndGet();
                        int now = running.incrementAndGet();
                        maxRunning.accumulateAndGet(now, Math::max);
                        try {
                            if (awaited.get()) {
                                lateRun.set(true);
                            }
                            if (k == 3_000) {
                                atMidway.send(k);
                                ctx.done().receiveOk(); // holds its slot until the outside cancel landed
                            }
                            if (mine != null) {
                                ctx.done().receiveOk(); // fails on its own, after the cancel
                                throw mine;
                            }
                            if (ctx.isDone()) {
                                answeredDone.incrementAndGet();
                                throw ctx.err();
                            }
                        } finally {
                            running.decrementAndGet();
                            if (awaited.get()) {
                                lateRun.set(true);
                            }
                        }
                    });
                }
                Throwable thrown = null;
                List<Throwable> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
                java.util.function.BiConsumer<Goroutine, Throwable> old =
                        Goroutines.setUncaughtExceptionHandler((gr, t) -> reported.add(t));
                try {
                    g.await();
                } catch (Throwable t) {
                    thrown = t;
                } finally {
                    Goroutines.setUncaughtExceptionHandler(old);
                }
                awaited.set(true);
                assertThat(started).as("go does not look at the context: every task started").hasValue(n);
                assertThat(maxRunning.get()).isBetween(1, 2);
                assertThat(running).hasValue(0);
                assertThat(answeredDone.get()).as("tasks after the cancel answered it").isGreaterThan(n / 3);
                // The first failure is one of them (which one is a race after the cancel); none is lost: attached to
                // it, or, when it is the context's shared err(), which nothing is attached to, handed to the handler
                // before await() returned (EG17).
                List<Throwable> all = new ArrayList<>(List.of(thrown.getSuppressed()));
                all.add(thrown);
                all.addAll(reported);
                assertThat(all).containsAll(own).contains(ctx.err());
                if (thrown == ctx.err()) {
                    assertThat(thrown.getSuppressed()).as("the context's shared error is never changed (EG17)").isEmpty();
                    assertThat(reported).containsAll(own);
                } else {
                    assertThat(reported).isEmpty();
                }
                assertThat(thrown).isInstanceOfAny(CancellationException.class, IOException.class);
                assertThat(lateRun).as("no task ran once await returned").isFalse();
            });
        }
    }

    /**
     * EG12 under pressure, closed from outside: limit 2, a producer starting 10,000 tasks, another thread calling
     * close() once task 3,000 runs. The producer's go then throws "ErrGroup is closed" (EG9), the tasks' answers to
     * the stop (ctx.err(), interrupts) are dropped, so close() returns normally (EG5), nothing starts or runs once
     * close() returned, and no goroutine is left. Fails if a task ran after close() returned, the limit were
     * exceeded, or an answer to the stop were taken for a failure.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG12_pressureLimitTwoClosedFromOutsideMidway(Kind kind) throws Exception {
        int n = 10_000;
        ErrGroup g = ErrGroup.create();
        g.setLimit(2);
        Context ctx = g.context();
        Chan<Integer> atMidway = Chan.make(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        AtomicBoolean closedReturned = new AtomicBoolean();
        AtomicBoolean lateRun = new AtomicBoolean();
        AtomicReference<Throwable> producerEnd = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        int k = i;
                        g.go(() -> {
                            if (closedReturned.get()) {
                                lateRun.set(true);
                            }
                            started.incrementAndGet();
                            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                            try {
                                if (k == 3_000) {
                                    atMidway.send(k);
                                    ctx.done().receiveOk(); // until close() cancels the context
                                }
                                if (ctx.isDone()) {
                                    throw ctx.err();
                                }
                            } finally {
                                running.decrementAndGet();
                                if (closedReturned.get()) {
                                    lateRun.set(true);
                                }
                            }
                        });
                    }
                } catch (Throwable t) {
                    producerEnd.set(t);
                }
            });
            threads.start(() -> {
                atMidway.receive();
                g.close(); // answers to the stop only: returns normally
                closedReturned.set(true);
            });
        }
        assertThat(producerEnd.get()).isInstanceOf(IllegalStateException.class).hasMessage("ErrGroup is closed");
        assertThat(started.get()).isBetween(3_001, n - 1);
        assertThat(maxRunning.get()).isBetween(1, 2);
        assertThat(running).hasValue(0);
        assertThat(lateRun).as("nothing ran once close() returned").isFalse();
    }

    /**
     * EG13: several threads may await one group at once (Go's Wait may be called from several goroutines): every
     * one returns only once every goroutine ended, and every one throws the same instance, the first failure.
     * Fails if an awaiter returned early, or two got different outcomes.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG13_severalAwaitersGetTheSameOutcome(Kind kind) throws Exception {
        IOException boom = new IOException("boom");
        ErrGroup g = ErrGroup.create();
        Chan<Integer> hold = Chan.make();
        AtomicBoolean lastEnded = new AtomicBoolean();
        g.go(() -> {
            throw boom;
        });
        g.go(() -> {
            hold.receive();
            lastEnded.set(true);
        });
        List<AtomicReference<Throwable>> seen = new ArrayList<>();
        List<Thread> awaiters = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 4; i++) {
                AtomicReference<Throwable> r = new AtomicReference<>();
                seen.add(r);
                awaiters.add(threads.start(() -> {
                    try {
                        g.await();
                    } catch (Throwable t) {
                        assertThat(lastEnded).as("await returned only after the last goroutine").isTrue();
                        r.set(t);
                    }
                }));
            }
            for (Thread t : awaiters) {
                Threads.awaitTrue(() -> t.getState() == Thread.State.WAITING, "an awaiter to wait");
            }
            hold.send(1);
        }
        for (AtomicReference<Throwable> r : seen) {
            assertThat(r.get()).isSameAs(boom);
        }
        g.close();
    }

    /**
     * EG13: an unchecked exception or an Error of a task is a failure of the group like a checked one: the
     * first cancels the context with itself as the cause and is thrown by await, the others suppressed. Go's
     * panic in a goroutine of a group ends the program (errgroup propagated panics to Wait for a while in 2025,
     * then reverted that); Java code throws unchecked exceptions where Go returns errors, so they are failures.
     * Fails if one of them went to the uncaught-exception handler or were wrapped.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG13_anUncheckedFailureIsTheGroupsFailureNotAPanic(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                AssertionError error = new AssertionError("an Error");
                IllegalArgumentException unchecked = new IllegalArgumentException("unchecked");
                ErrGroup g = ErrGroup.create();
                g.go(() -> {
                    throw error;
                });
                g.context().done().receiveOk();
                g.go(() -> {
                    throw unchecked;
                });
                assertThatThrownBy(g::await).isSameAs(error);
                assertThat(error.getSuppressed()).containsExactly(unchecked);
                assertThat(g.context().cause()).isSameAs(error);
            });
        }
    }

    /**
     * GF10: interrupt() is not a cancel. The future is done only when its callable ends; a callable that answers
     * the interrupt by throwing InterruptedException makes join throw that very instance (GF1), which is not the
     * caller's interrupt (the caller's flag stays clear); one that swallows it returns its value. A join(timeout)
     * that ran out leaves the future running, and a later join returns its value (as Future.get(timeout)).
     * Fails if interrupt() made the future done by itself, or join mixed the two interrupts.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF10_interruptIsNotCancelAndATimedOutJoinLeavesItRunning(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Chan<Integer> started = Chan.make(1);
                AtomicReference<InterruptedException> answer = new AtomicReference<>();
                GoFuture<String> f = Go.future(() -> {
                    started.send(1);
                    try {
                        Chan.<Integer>make().receive(); // waits until interrupted
                        return "never";
                    } catch (InterruptedException e) {
                        answer.set(e);
                        throw e;
                    }
                });
                started.receive();
                assertThatThrownBy(() -> f.join(Duration.ZERO)).isInstanceOf(TimeoutException.class);
                assertThat(f.isDone()).isFalse();
                f.interrupt();
                assertThatThrownBy(f::join).isInstanceOf(InterruptedException.class).isSameAs(answer.get());
                assertThat(Thread.currentThread().isInterrupted()).as("the callable's interrupt, not the caller's").isFalse();
                assertThat(f.isDone()).isTrue();

                Chan<Integer> started2 = Chan.make(1);
                CountDownLatch release = new CountDownLatch(1);
                GoFuture<String> swallowing = Go.future(() -> {
                    started2.send(1);
                    try {
                        Chan.<Integer>make().receive();
                    } catch (InterruptedException e) {
                        release.await(); // interrupted no more: the flag was cleared by the throw
                        return "answered";
                    }
                    return "never";
                });
                started2.receive();
                assertThatThrownBy(() -> swallowing.join(Duration.ofMillis(1))).isInstanceOf(TimeoutException.class);
                swallowing.interrupt();
                assertThatThrownBy(() -> swallowing.join(Duration.ZERO)).isInstanceOf(TimeoutException.class);
                release.countDown();
                assertThat(swallowing.join(LONG)).isEqualTo("answered");
            });
        }
    }

    /**
     * G11: the counter is 64 bits. Go's int32 counter wraps past 2^31 - 1 and then panics "negative WaitGroup
     * counter"; here such adds are counted and their dones release the waiter. Fails if the counter overflowed.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G11_theCounterDoesNotOverflowWhereGosDoes(Kind kind) throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(Integer.MAX_VALUE);
        wg.add(Integer.MAX_VALUE);
        wg.add(2);
        assertThat(wg.count()).isEqualTo(2L * Integer.MAX_VALUE + 2);
        try (Threads threads = new Threads(kind)) {
            Thread waiter = threads.start(wg::await);
            Threads.awaitTrue(() -> waiter.getState() == Thread.State.WAITING, "the waiter to wait");
            wg.add(-Integer.MAX_VALUE);
            wg.add(-Integer.MAX_VALUE);
            assertThat(waiter.isAlive()).isTrue();
            wg.done();
            wg.done();
        }
        assertThat(wg.count()).isZero();
    }

    /**
     * G11: Go's misuse checks, mapped. A positive add at zero after waiters were released starts a new round
     * that those waiters do not wait for (Go: "WaitGroup is reused before previous Wait has returned" panics in
     * them; G4); add(0) changes nothing and releases nobody, also at zero; a wait at zero returns at once, and
     * several waiters of one round are all released by its last done(). Fails if add(0) released a waiter, or
     * a waiter of the old round stayed for the new one.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G11_goMisuseChecksMapped(Kind kind) throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(0);
        wg.await();
        assertThat(wg.await(Duration.ZERO)).isTrue();
        wg.add(1);
        try (Threads threads = new Threads(kind)) {
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiters.add(threads.start(wg::await));
            }
            for (Thread t : waiters) {
                Threads.awaitTrue(() -> t.getState() == Thread.State.WAITING, "a waiter to wait");
            }
            wg.add(0);
            for (Thread t : waiters) {
                assertThat(t.isAlive()).as("add(0) released nobody").isTrue();
            }
            wg.done();
            wg.add(1); // a new round at once: the waiters present at zero leave anyway
        }
        assertThat(wg.await(Duration.ZERO)).isFalse();
        wg.done();
        assertThat(wg.count()).isZero();
    }
}
