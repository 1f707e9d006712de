package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Rules G4, G5: the wait group. */
class WaitGroupTest {
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Threads.Kind.class)
    void G5_goCountsTheTaskAndItsDoneEvenWhenItFails(Threads.Kind kind) throws Exception {
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> handled = new java.util.concurrent.ConcurrentLinkedQueue<>();
        var old = Goroutines.setUncaughtExceptionHandler((g, t) -> handled.add(t));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                WaitGroup wg = new WaitGroup();
                Chan<Integer> release = Chan.make();
                int[] slots = new int[50];
                for (int i = 0; i < slots.length; i++) {
                    int n = i;
                    wg.go(() -> {
                        release.receiveOk();
                        slots[n] = n + 1;
                        if (n == 7) {
                            throw new java.io.IOException("seven");
                        }
                    });
                }
                assertThat(wg.count()).as("counted before go returns").isEqualTo(50);
                release.close();
                wg.await();
                for (int i = 0; i < slots.length; i++) {
                    assertThat(slots[i]).isEqualTo(i + 1);
                }
                assertThatThrownBy(() -> wg.go(null)).isInstanceOf(NullPointerException.class);
                assertThat(wg.count()).isZero();
            });
            // Before the handler is restored: the task's done() runs before its failure reaches the
            // handler, so wg.await() may return first (restoring earlier lost the report now and then).
            Threads.awaitTrue(() -> handled.size() == 1, "the failure reported");
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

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
