package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A select with a send case and a receive case on one buffered channel (L7) is always ready (a
 * buffer cannot be full and empty at once), so it never blocks for long; run against fast senders
 * and receivers on the lock-free ring (64, 4096) and on the locked buffer (4097), it meets the ring
 * full, empty and in between, and registers only in the races between its poll and its queueing.
 * Every value sent (by a select or a plain send) is received exactly once (by a select, a plain
 * receive, or the drain at the end): L6 and S2 together.
 */
@NoGoroutineLeaks
class SelectRingReviewStressTest {

    @ParameterizedTest(name = "capacity {0}, virtual {1}")
    @CsvSource({"64, true", "64, false", "4096, true", "4096, false", "4097, true", "4097, false"})
    void L7_sendAndReceiveCasesOnOneRingAgainstFastOperationsMoveEachValueOnce(int capacity, boolean virtual) throws Exception {
        Chan<Long> ch = Chan.make(capacity);
        int selectors = 2;
        int perSelector = 20_000;
        int plainSends = 20_000;
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger producersLeft = new AtomicInteger(selectors + 1);
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < selectors; s++) {
            long base = (s + 1L) << 40;
            threads.add(start(virtual, failures, () -> {
                try {
                    for (int i = 0; i < perSelector; i++) {
                        long v = base + i;
                        int chosen = Select.statement().send(ch, v, null).receive(ch, received::add).run();
                        if (chosen == 0) {
                            sent.add(v);
                        }
                    }
                } finally {
                    producersLeft.decrementAndGet();
                }
            }));
        }
        threads.add(start(virtual, failures, () -> {
            try {
                for (int i = 0; i < plainSends; i++) {
                    long v = (9L << 40) + i;
                    ch.send(v);
                    sent.add(v);
                }
            } finally {
                producersLeft.decrementAndGet();
            }
        }));
        threads.add(start(virtual, failures, () -> {
            while (producersLeft.get() > 0) {
                Received<Long> got = ch.receive(Duration.ofMillis(1));
                if (got.ok()) {
                    received.add(got.value());
                }
            }
        }));
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(60))).as("%s ended", t).isTrue();
        }
        assertThat(failures).isEmpty();
        for (Received<Long> got; (got = ch.tryReceive()).ok(); ) {
            received.add(got.value());
        }
        Set<Long> expected = new HashSet<>(sent);
        Set<Long> seen = new HashSet<>();
        List<Long> duplicated = new ArrayList<>();
        for (Long v : received) {
            if (!seen.add(v)) {
                duplicated.add(v);
            }
        }
        assertThat(duplicated).as("values received twice").isEmpty();
        Set<Long> lost = new HashSet<>(expected);
        lost.removeAll(seen);
        assertThat(lost).as("values sent but never received").isEmpty();
        seen.removeAll(expected);
        assertThat(seen).as("values received but never sent").isEmpty();
        assertThat(SelectRulesTest.waiting(ch)).isZero();
    }

    private static Thread start(boolean virtual, ConcurrentLinkedQueue<Throwable> failures, SelectRingRulesTest.ThrowingRunnable body) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        };
        return virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
    }
}
