package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BB34: a goroutine whose thread first runs after its bubble began stopping obeys the stop as the others do. The stop
 * (BB5, BB15) interrupts every member's thread; a goroutine started just before it has no thread running yet, so the
 * stop could not interrupt it, and it then ran into a wait outside the bubble that nothing ended (CI saw it once in
 * {@code BlockingInventoryProbeTest}, a goroutine left blocked for good and every later bubble test of the JVM failing
 * on it). The window is made wide on purpose: every carrier of the virtual-thread scheduler is kept busy, so the
 * goroutine cannot run until the stop is over.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a regression hangs: fail, do not wait
class BubbleStopBeforeStartTest {

    /**
     * BB34: {@code Bubble.run}, interrupted while it waits for a goroutine that has not run yet (every carrier busy),
     * stops the bubble; once the goroutine runs, its wait on a channel of no bubble is interrupted at once and takes
     * nothing. Before, the stop skipped it (no thread to interrupt) and it waited for ever.
     */
    @Test
    void BB34_aGoroutineThatFirstRunsAfterTheStopIsInterruptedToo() throws Exception {
        Chan<Integer> outside = Chan.make();
        AtomicReference<Throwable> memberSaw = new AtomicReference<>();
        CountDownLatch memberEnded = new CountDownLatch(1);
        CountDownLatch bodyStarted = new CountDownLatch(1);
        CountDownLatch carriersBusy = new CountDownLatch(1);
        CountDownLatch bodyDone = new CountDownLatch(1);
        AtomicReference<Throwable> runThrew = new AtomicReference<>();
        Thread root = Thread.ofPlatform().daemon().name("bb34-root").start(() -> {
            try {
                Bubble.run(() -> {
                    bodyStarted.countDown();
                    carriersBusy.await(); // the goroutine below is started only once no carrier can run it
                    Go.go("blocked-outside", () -> {
                        try {
                            outside.receive(); // a channel of no bubble: the member counts as running
                        } catch (Throwable e) {
                            memberSaw.set(e);
                        } finally {
                            memberEnded.countDown();
                        }
                    });
                    bodyDone.countDown();
                });
            } catch (Throwable t) {
                runThrew.set(t);
            }
        });
        int carriers = Runtime.getRuntime().availableProcessors();
        AtomicBoolean spin = new AtomicBoolean(true);
        CountDownLatch spinning = new CountDownLatch(carriers);
        List<Thread> spinners = new ArrayList<>();
        try {
            assertThat(bodyStarted.await(30, TimeUnit.SECONDS)).as("the body started").isTrue();
            for (int i = 0; i < carriers; i++) {
                spinners.add(Thread.ofVirtual().name("bb34-spinner-" + i).start(() -> {
                    spinning.countDown();
                    while (spin.get()) {
                        Thread.onSpinWait(); // never parks: its carrier runs nothing else
                    }
                }));
            }
            assertThat(spinning.await(30, TimeUnit.SECONDS)).as("every carrier busy").isTrue();
            carriersBusy.countDown();
            assertThat(bodyDone.await(30, TimeUnit.SECONDS)).as("the body returned").isTrue();
            awaitState(root, Thread.State.WAITING); // Bubble.run waits for its goroutine
            root.interrupt();
            // Its interrupt handled, Bubble.run waits out the stopped bubble's grace: the stop has interrupted the
            // members it could (the goroutine has not run: every carrier is still busy).
            awaitState(root, Thread.State.TIMED_WAITING);
            assertThat(memberEnded.getCount()).as("the goroutine has not run yet").isEqualTo(1);
        } finally {
            spin.set(false);
            for (Thread s : spinners) {
                s.join();
            }
        }
        boolean ended = memberEnded.await(30, TimeUnit.SECONDS);
        if (!ended) {
            outside.trySend(0); // free the goroutine the old code left waiting, so that it leaves no thread behind
        }
        assertThat(ended).as("the goroutine's wait ended once it ran").isTrue();
        assertThat(memberSaw.get()).as("its wait, interrupted").isInstanceOf(InterruptedException.class);
        assertThat(root.join(Duration.ofSeconds(30))).as("Bubble.run returned").isTrue();
        assertThat(runThrew.get()).as("Bubble.run gave up on the interrupt").isInstanceOf(InterruptedException.class);
        assertThat(outside.trySend(1)).as("nobody left receiving").isFalse();
    }

    private static void awaitState(Thread t, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != state) {
            assertThat(System.nanoTime() - deadline).as("%s is %s", t, state).isNegative();
            LockSupport.parkNanos(100_000);
        }
    }
}
