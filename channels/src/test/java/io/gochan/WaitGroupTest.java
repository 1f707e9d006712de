package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Rule G4: the wait group. */
class WaitGroupTest {
    @Test
    void G4_awaitReturnsAfterEveryDoneAndSeesTheirWrites() throws Exception {
        WaitGroup wg = new WaitGroup();
        int[] slots = new int[100];
        for (int i = 0; i < 100; i++) {
            int n = i;
            wg.add(1);
            Go.go(() -> {
                slots[n] = n + 1;
                wg.done();
            });
        }
        wg.await();
        for (int i = 0; i < 100; i++) {
            assertThat(slots[i]).isEqualTo(i + 1);
        }
        assertThat(wg.count()).isZero();
    }

    @Test
    void G4_negativeCounterIsRejected() {
        WaitGroup wg = new WaitGroup();
        assertThatThrownBy(wg::done).isInstanceOf(IllegalStateException.class).hasMessageContaining("negative");
        assertThat(wg.count()).isZero();
    }

    @Test
    void G4_awaitIsInterruptibleAndTimed() throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        assertThat(wg.await(Duration.ofMillis(5))).isFalse();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicInteger started = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            started.incrementAndGet();
            try {
                wg.await();
            } catch (InterruptedException e) {
                thrown.set(e);
            }
        });
        Threads.awaitTrue(() -> t.getState() == Thread.State.WAITING, "waiting");
        t.interrupt();
        assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        wg.done();
        assertThat(wg.await(Duration.ofSeconds(1))).isTrue();
    }
}
