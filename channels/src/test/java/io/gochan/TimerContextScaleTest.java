package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Timers and contexts at scale (10,000 at once) on the system scheduler: every timer not stopped
 * fires exactly once, a successful stop means it never fires, and contexts that end leave their
 * long-lived parent holding nothing. Time only as a generous bound, no ordering by sleeping.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerContextScaleTest {
    private static final Duration LONG = Duration.ofSeconds(60);

    private static void spin(int max) {
        for (int i = ThreadLocalRandom.current().nextInt(max); i > 0; i--) {
            Thread.onSpinWait();
        }
    }

    /**
     * 10,000 timers (half channel timers, half afterFunc) armed from 50 threads at once with delays
     * up to 2 ms, about half of them stopped at a random moment: a channel timer's stop, with nobody
     * receiving, always reports it prevented the delivery (Go 1.23: a fired, unreceived value is
     * discarded) and nothing is received after it; an afterFunc's function runs exactly when its stop
     * returned false (or it was not stopped), exactly once; every timer not stopped wakes its blocked
     * receiver with exactly one value (no lost wakeup); nothing is left scheduled.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_tenThousandTimersArmedAndStoppedFromManyThreadsFireOnceUnlessStopped(Kind kind) throws Exception {
        int threadsN = 50;
        int perThread = 200;
        int n = threadsN * perThread;
        int before = Timers.pendingTasks();
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        AtomicIntegerArray stoppedOk = new AtomicIntegerArray(n); // 1: stop returned true, 2: false
        CyclicBarrier barrier = new CyclicBarrier(threadsN);
        try (Threads threads = new Threads(kind)) {
            for (int th = 0; th < threadsN; th++) {
                int base = th * perThread;
                threads.start(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    Timer[] timers = new Timer[perThread];
                    barrier.await();
                    for (int i = 0; i < perThread; i++) {
                        int id = base + i;
                        Duration d = Duration.ofNanos(r.nextLong(-100_000, 2_000_000));
                        timers[i] = id % 2 == 0 ? Timers.newTimer(d) : Timers.afterFunc(d, () -> runs.incrementAndGet(id));
                    }
                    for (int i = 0; i < perThread; i++) {
                        int id = base + i;
                        if (r.nextBoolean()) {
                            spin(2_000);
                            stoppedOk.set(id, timers[i].stop() ? 1 : 2);
                        }
                    }
                    for (int i = 0; i < perThread; i++) {
                        int id = base + i;
                        if (id % 2 != 0) {
                            continue;
                        }
                        ReceiveChan<java.time.Instant> c = timers[i].c();
                        if (stoppedOk.get(id) == 0) {
                            assertThat(c.receive(LONG).ok()).as("timer %d fired", id).isTrue();
                        } else {
                            assertThat(stoppedOk.get(id)).as("timer %d: stop of an unreceived timer prevented it", id).isEqualTo(1);
                        }
                        assertThat(c.tryReceive().notReady()).as("timer %d: nothing more", id).isTrue();
                        assertThat(timers[i].stop()).as("timer %d: nothing left to stop", id).isFalse();
                    }
                });
            }
        }
        int expected = 0;
        for (int id = 1; id < n; id += 2) {
            if (stoppedOk.get(id) != 1) {
                expected++;
            }
        }
        int want = expected;
        Threads.awaitTrue(() -> {
            int sum = 0;
            for (int id = 1; id < n; id += 2) {
                sum += runs.get(id);
            }
            return sum >= want;
        }, "every afterFunc not stopped ran");
        // A sentinel due after every timer of the test: once it has run, a stopped function that were
        // going to run would have.
        Chan<Boolean> sentinel = Chan.make(1);
        Timers.afterFunc(Duration.ofMillis(5), () -> sentinel.trySend(true));
        assertThat(sentinel.receive(LONG).ok()).isTrue();
        for (int id = 1; id < n; id += 2) {
            assertThat(runs.get(id)).as("afterFunc %d (stop: %d)", id, stoppedOk.get(id)).isEqualTo(stoppedOk.get(id) == 1 ? 0 : 1);
        }
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "nothing left scheduled");
    }

    /**
     * A long-lived parent with 10,000 children of each kind that end — cancelled, expired by their own
     * deadline, afterFunc registrations stopped, afterFuncs of children that ran — holds none of
     * them: its child set is empty and every child is collectable while the parent lives.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G3_CX8_tenThousandEndedChildrenAreNotKeptByALongLivedParent(Kind kind) throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        Context through = Context.withValue(parent, ContextKey.of("k"), "v");
        int n = 10_000;
        java.util.Queue<WeakReference<Object>> refs = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (Threads threads = new Threads(kind)) {
            for (int th = 0; th < 4; th++) {
                int which = th;
                threads.start(() -> {
                    for (int i = 0; i < n; i++) {
                        switch (which) {
                            case 0 -> {
                                CancellableContext c = Context.withCancel(through);
                                refs.add(new WeakReference<>(c));
                                c.cancel();
                            }
                            case 1 -> {
                                CancellableContext c = Context.withTimeout(through, Duration.ofNanos(ThreadLocalRandom.current().nextLong(-1_000, 200_000)));
                                refs.add(new WeakReference<>(c));
                                assertThat(c.done().receive(LONG).closed()).isTrue();
                                assertThat(c.err()).isInstanceOf(DeadlineExceededException.class);
                            }
                            case 2 -> {
                                AfterFunc a = Context.afterFunc(through, () -> { });
                                refs.add(new WeakReference<>(a));
                                assertThat(a.stop()).isTrue();
                            }
                            default -> {
                                CancellableContext c = Context.withCancel(through);
                                Chan<Boolean> ran = Chan.make(1);
                                AfterFunc a = Context.afterFunc(c, () -> ran.trySend(true));
                                refs.add(new WeakReference<>(c));
                                refs.add(new WeakReference<>(a));
                                c.cancel();
                                assertThat(ran.receive(LONG).ok()).isTrue();
                            }
                        }
                    }
                });
            }
        }
        // An expired child leaves its parent just after its done() closes (as in Go: removeChild follows
        // the close), so a waiter can see it done a moment before it has left.
        Threads.awaitTrue(() -> ((Contexts.CancelContext) parent).childCount() == 0, "every ended child left the parent");
        Threads.awaitTrue(() -> {
            System.gc();
            return refs.stream().allMatch(r -> r.get() == null);
        }, "every ended child collected");
        assertThat(parent.err()).isNull();
        parent.cancel();
    }

    /**
     * Go code polls {@code ctx.Err()} in CPU-bound loops, and Go preempts such goroutines, so a
     * deadline's cancel always gets to run. Here as many goroutines as the virtual-thread scheduler has
     * carrier threads poll, never blocking: one context's own deadline, and a child's inherited one,
     * must still end them (the bound, 10 s for a 20 ms deadline, is generous; failing that, the test
     * cancels by hand to free the carriers).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void CX11_aDeadlineEndsGoroutinesThatPollTheContextOnEveryCarrier(boolean inherited) throws Exception {
        String p = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        int carriers = p != null ? Integer.parseInt(p) : Runtime.getRuntime().availableProcessors();
        CancellableContext withDeadline = Context.withTimeout(Context.background(), Duration.ofMillis(20));
        CancellableContext polled = inherited ? Context.withCancel(withDeadline) : withDeadline;
        CountDownLatch ended = new CountDownLatch(carriers);
        for (int i = 0; i < carriers; i++) {
            Go.go("spinner-" + i, () -> {
                while (inherited ? polled.err() == null : !polled.isDone()) {
                    Thread.onSpinWait(); // never blocks, never yields: a CPU-bound Go loop
                }
                ended.countDown();
            });
        }
        boolean byDeadline = ended.await(10, TimeUnit.SECONDS);
        CancellationException err = polled.err();
        withDeadline.cancel(); // frees the carriers if the deadline did not
        assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(byDeadline).as("the deadline ended the pollers (err %s)", err).isTrue();
        assertThat(err).isInstanceOf(DeadlineExceededException.class);
    }

    /**
     * A platform thread blocked on a timer's channel while goroutines that never block occupy every
     * carrier of the virtual-thread scheduler: when the timer fires while its channel's lock is busy (a
     * thread descheduled inside the critical section; here the test holds it), the delivery is handed
     * off, and the hand-off must not need a carrier either, or the receiver sleeps until the goroutines
     * stop. (A ticker whose hand-off waits delivers its next tick itself, so a one-shot timer shows it.)
     * Once idle, the hand-off threads end.
     */
    @org.junit.jupiter.api.Test
    void TM9_aTimerWakesAPlatformReceiverWhileEveryCarrierIsBusy() throws Exception {
        String p = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        int carriers = p != null ? Integer.parseInt(p) : Runtime.getRuntime().availableProcessors();
        Timer t = Timers.newTimer(Duration.ofHours(1));
        io.gochan.spi.ChannelCore core = io.gochan.spi.ChannelCores.of(t.c());
        java.util.concurrent.atomic.AtomicReference<Received<java.time.Instant>> got = new java.util.concurrent.atomic.AtomicReference<>();
        Thread receiver = Thread.ofPlatform().daemon().start(() -> {
            try {
                got.set(t.c().receive(LONG));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Threads.awaitTrue(() -> core.waitingReceivers() == 1, "the receiver to wait");
        java.util.concurrent.atomic.AtomicBoolean spin = new java.util.concurrent.atomic.AtomicBoolean(true);
        CountDownLatch spinning = new CountDownLatch(carriers);
        CountDownLatch ended = new CountDownLatch(carriers);
        for (int i = 0; i < carriers; i++) {
            Go.go("spinner-" + i, () -> {
                spinning.countDown();
                while (spin.get()) {
                    Thread.onSpinWait(); // never blocks, never yields
                }
                ended.countDown();
            });
        }
        boolean delivered;
        try {
            assertThat(spinning.await(60, TimeUnit.SECONDS)).isTrue();
            core.lock(); // as a thread descheduled inside the channel's critical section would
            try {
                t.reset(Duration.ofMillis(1));
                // A timer due later fired: the round that fired ours (and found its lock busy) is over.
                assertThat(Timers.after(Duration.ofMillis(20)).receive(LONG).ok()).isTrue();
            } finally {
                core.unlock();
            }
            receiver.join(Duration.ofSeconds(10));
            delivered = got.get() != null && got.get().ok();
        } finally {
            spin.set(false); // frees the carriers whatever happened
        }
        assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.join(LONG)).isTrue();
        t.stop();
        assertThat(delivered).as("the receiver woke while every carrier was busy").isTrue();
        // The hand-off threads end once idle (a second without work): none is left behind.
        Threads.awaitTrue(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(th -> th.getName().startsWith("gochan-timer-handoff-")), "the idle hand-off threads to end");
    }
}
