package io.gochan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in a child JVM by {@link TimerContextAdversarialTest} with one carrier thread for virtual threads:
 * thousands of timers, tickers, afterFunc timers and deadlines on that one carrier, while a goroutine
 * polls a context in a loop until its deadline (CX11) and collections run. Prints "probe ok" and exits 0
 * if every promise held, else prints what failed and exits 1.
 */
public final class OneCarrierTimerProbe {
    private OneCarrierTimerProbe() {}

    public static void main(String[] args) throws Exception {
        List<String> failures = new ArrayList<>();
        // One goroutine holds the only carrier until a 30 ms deadline (passed on a platform thread) ends it.
        CancellableContext spinCtx = Context.withTimeout(Context.background(), Duration.ofMillis(30));
        CountDownLatch spun = new CountDownLatch(1);
        Go.go("spinner", () -> {
            while (!spinCtx.isDone()) {
                Thread.onSpinWait();
            }
            spun.countDown();
        });
        int n = 3_000;
        CountDownLatch all = new CountDownLatch(4 * n);
        AtomicInteger bad = new AtomicInteger();
        AtomicLong received = new AtomicLong();
        AtomicLong prevented = new AtomicLong();
        for (int i = 0; i < n; i++) {
            int k = i;
            Go.go(() -> { // a one-shot received by a goroutine
                try {
                    if (Timers.after(Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 20_000_000))).receive(Duration.ofSeconds(30)).ok()) {
                        all.countDown();
                    } else {
                        bad.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    bad.incrementAndGet();
                }
            });
            Go.go(() -> { // a ticker: three ticks, then stop and nothing more
                Timer t = Timers.newTicker(Duration.ofNanos(100_000 + k));
                try {
                    for (int j = 0; j < 3; j++) {
                        if (!t.c().receive(Duration.ofSeconds(30)).ok()) {
                            bad.incrementAndGet();
                        }
                    }
                } catch (InterruptedException e) {
                    bad.incrementAndGet();
                }
                t.stop();
                if (t.c().tryReceive().ok()) {
                    bad.incrementAndGet();
                }
                all.countDown();
            });
            Go.go(() -> { // a timer stopped racing its expiry: exactly one of stop or receive gets it
                Timer t = Timers.newTimer(Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 200_000)));
                if (t.stop()) {
                    prevented.incrementAndGet();
                } else if (t.c().receive(Duration.ofSeconds(30)).ok()) {
                    received.incrementAndGet();
                }
                if (t.c().tryReceive().ok()) {
                    bad.incrementAndGet();
                }
                all.countDown();
            });
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(1 + k % 20));
            Context.afterFunc(ctx, all::countDown);
            if (k % 500 == 0) {
                System.gc();
            }
        }
        boolean ended = all.await(60, TimeUnit.SECONDS);
        if (!spun.await(30, TimeUnit.SECONDS)) {
            failures.add("the deadline did not end the spinner");
        }
        if (!ended) {
            failures.add("not everything fired: " + all.getCount() + " left");
        }
        if (bad.get() != 0) {
            failures.add(bad.get() + " broken promises (missing or stale values)");
        }
        if (received.get() + prevented.get() != n) {
            failures.add("stop racing expiry: received " + received + " + prevented " + prevented + " != " + n);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Timers.pendingTasks() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        if (Timers.pendingTasks() != 0) {
            failures.add(Timers.pendingTasks() + " timers left scheduled");
        }
        System.out.println(failures.isEmpty() ? "probe ok" : "probe failed: " + failures);
        System.out.flush();
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}
