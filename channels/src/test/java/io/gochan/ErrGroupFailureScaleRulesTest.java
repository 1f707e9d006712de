package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule EG14 (docs/spec/context-timers.md): a group whose goroutines all fail, as they do once the first failure
 * cancels the context or close() interrupts them, collects those failures in time linear in their number. The
 * bound is generous (a loaded machine takes a few seconds); before, each failure scanned the goroutine registry
 * and the first's suppressed array, and 60,000 failures took about 26 s.
 */
@ExtendWith(NoNewGoroutines.class)
class ErrGroupFailureScaleRulesTest {
    private static final int N = 60_000;
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** A failure of its own per goroutine, cheap to make (no stack trace): the test measures the group, not it. */
    private static final class Answer extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int id;

        Answer(int id) {
            super("answer " + id, null, false, false);
            this.id = id;
        }
    }

    @Test
    void EG14_everyGoroutineFailingAfterTheFirstIsCollectedInLinearTime() throws Exception {
        ErrGroup g = ErrGroup.create();
        for (int i = 0; i < N; i++) {
            int id = i;
            g.go(() -> {
                g.context().done().receiveOk(); // the first failure cancels the context (EG3)
                throw new Answer(id);
            });
        }
        IllegalArgumentException first = new IllegalArgumentException("first");
        long start = System.nanoTime();
        g.go(() -> {
            throw first;
        });
        assertThatThrownBy(g::await).isSameAs(first);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // No failure lost (EG2), none attached twice.
        assertThat(first.getSuppressed()).hasSize(N);
        assertThat(Arrays.stream(first.getSuppressed()).distinct().count()).isEqualTo(N);
        assertThat(took).as("await of %s failing goroutines", N).isLessThan(BOUND);
    }

    @Test
    void EG14_everyGoroutineThatCloseStopsIsCollectedInLinearTime() throws Exception {
        ErrGroup g = ErrGroup.create();
        CountDownLatch waiting = new CountDownLatch(N);
        for (int i = 0; i < N; i++) {
            g.go(() -> {
                waiting.countDown();
                Chan.make().receive(); // until close() interrupts it: an answer to the stop (EG5)
            });
        }
        IllegalArgumentException first = new IllegalArgumentException("first");
        CountDownLatch failed = new CountDownLatch(1);
        g.go(() -> {
            try {
                throw first;
            } finally {
                failed.countDown();
            }
        });
        waiting.await();
        failed.await();
        long start = System.nanoTime();
        assertThatThrownBy(g::close).isSameAs(first);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(first.getSuppressed()).hasSize(N).allMatch(t -> t instanceof InterruptedException);
        assertThat(took).as("close of %s goroutines", N).isLessThan(BOUND);
    }

    /**
     * EG14, GF2: a group abandoned (its handle collected) with N goroutines that then all fail sends each failure to
     * the handler with its own goroutine, in time linear in their number; the first failure, reported by the cleaner,
     * names its goroutine too. The goroutine comes from its start (the group's task is handed it): before, each of
     * these failures scanned the registry of the N live goroutines for its own, N^2/2 entries in all. A guard, not a
     * proof of that fix: the code before it passes too (2.3–2.6 s against the 15 s bound for N = 60,000 on 2 cores;
     * its scan was quadratic in entries but cheap per entry); it pins that each failure keeps its own goroutine now
     * that the goroutine is handed over instead of looked up.
     */
    @Test
    void EG14_failuresAfterTheGroupWasAbandonedReachTheHandlerWithTheirOwnGoroutineInLinearTime() throws Exception {
        Chan<Integer> gate = Chan.make();
        IllegalArgumentException first = new IllegalArgumentException("first");
        CountDownLatch abandoned = new CountDownLatch(1);
        CountDownLatch reported = new CountDownLatch(N);
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {
            if (t == first) {
                if (g == null || !g.name().equals("eg14-first")) {
                    wrong.add("the first failure reported for " + (g == null ? "no goroutine" : g.name()));
                }
                abandoned.countDown();
            } else if (t instanceof Answer a) {
                if (g == null || !g.name().equals("eg14-" + a.id)) {
                    wrong.add(a.getMessage() + " reported for " + (g == null ? "no goroutine" : g.name()));
                }
                reported.countDown();
            } else {
                wrong.add("an unexpected " + t.getClass().getName());
            }
        });
        boolean gateClosed = false;
        try {
            startAndAbandon(gate, first);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!abandoned.await(10, TimeUnit.MILLISECONDS)) {
                assertThat(System.nanoTime()).as("the abandoned group's cleaner reported its first failure").isLessThan(deadline);
                System.gc();
            }
            long start = System.nanoTime();
            gate.close(); // every goroutine fails now, its group abandoned: each failure goes to the handler (GF2)
            gateClosed = true;
            assertThat(reported.await(BOUND.toNanos(), TimeUnit.NANOSECONDS)).as("%s failures reported", N).isTrue();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(wrong).as("failures reported with another goroutine than their own").isEmpty();
            assertThat(took).as("%s failures of an abandoned group reported", N).isLessThan(BOUND);
        } finally {
            if (!gateClosed) {
                gate.close(); // the goroutines end whatever failed above
            }
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /** Starts N goroutines of a group that fail once {@code gate} closes, and one that fails at once; drops the group. */
    private static void startAndAbandon(Chan<Integer> gate, IllegalArgumentException first) throws InterruptedException {
        ErrGroup g = ErrGroup.create();
        for (int i = 0; i < N; i++) {
            int id = i;
            g.go("eg14-" + id, () -> {
                gate.receiveOk();
                throw new Answer(id);
            });
        }
        g.go("eg14-first", () -> {
            throw first;
        });
        // The first failure is recorded before it cancels the context (EG3): the cleaner will find it.
        g.context().done().receiveOk();
    }
}
