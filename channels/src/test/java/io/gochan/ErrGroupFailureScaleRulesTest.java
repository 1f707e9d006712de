package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
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

        Answer(int id) {
            super("answer " + id, null, false, false);
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
}
