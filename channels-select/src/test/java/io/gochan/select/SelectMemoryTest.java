package io.gochan.select;

import io.gochan.leakcheck.NoGoroutineLeaks;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.spi.ChannelCores;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** L6 / I3: selects that time out on a channel nobody uses leave nothing behind on it. */
@NoGoroutineLeaks
class SelectMemoryTest {
    @Test
    void L6_manyTimedOutSelectsLeaveNoWaiterAndAFlatHeap() throws Exception {
        Chan<Integer> idle = Chan.make();
        Chan<Integer> idle2 = Chan.make(4);
        Select<Integer> s = Select.<Integer>cases().receive(idle, v -> 1).send(idle2, 1, () -> 2)
                .timeout(Duration.ZERO, () -> 0);
        // Timeout zero still registers nothing; a 1 ns timeout registers and then cancels.
        Select<Integer> registering = Select.<Integer>cases().receive(idle, v -> 1)
                .timeout(Duration.ofNanos(1), () -> 0);
        for (int i = 0; i < 4; i++) {
            idle2.send(i); // make the send case not ready
        }
        long before = usedHeapAfterGc();
        for (int i = 0; i < 1_000_000; i++) {
            assertThat(s.select()).isZero();
        }
        for (int i = 0; i < 200_000; i++) {
            assertThat(registering.select()).isZero();
        }
        assertThat(ChannelCores.of(idle).waitingReceivers()).isZero();
        assertThat(ChannelCores.of(idle2).waitingSenders()).isZero();
        long after = usedHeapAfterGc();
        assertThat(after - before).as("heap growth in bytes").isLessThan(16L * 1024 * 1024);
    }

    @Test
    void I4_aSelectKeepsNoValueOrChannelReachableFromAThreadThatLivesOn() throws Exception {
        // The select takes its thread's reusable waiter (ADR 0015); after it returns, neither the value
        // it received nor its channels may stay reachable through that waiter while the thread lives.
        WeakReference<Object>[] refs = selectOnce();
        for (int i = 0; i < 100 && (refs[0].get() != null || refs[1].get() != null); i++) {
            System.gc();
        }
        assertThat(refs[0].get()).as("the value received by the select").isNull();
        assertThat(refs[1].get()).as("the select's channel").isNull();
    }

    /**
     * I4 for a select the program keeps to run again (a {@code SelectStatement}, or a built {@code Select}): once
     * a run returned and its handler let go of the value, the select no longer holds it. Before, the value stayed
     * in the select's result until its next run.
     */
    @Test
    void I4_aSelectKeptForItsNextRunKeepsNoValueItHandedOver() throws Exception {
        Chan<Object> ch = Chan.make(1);
        SelectStatement statement = Select.statement();
        statement.receive(ch, v -> { });
        Select<Object> select = Select.cases().receive(ch, v -> "handled");
        WeakReference<Object> viaStatement = receivedThrough(ch, () -> statement.run());
        WeakReference<Object> viaSelect = receivedThrough(ch, () -> select.select());
        for (int i = 0; i < 100 && (viaStatement.get() != null || viaSelect.get() != null); i++) {
            System.gc();
        }
        assertThat(viaStatement.get()).as("the value a kept SelectStatement received").isNull();
        assertThat(viaSelect.get()).as("the value a kept Select received").isNull();
        java.lang.ref.Reference.reachabilityFence(statement);
        java.lang.ref.Reference.reachabilityFence(select);
    }

    /** Buffers a fresh value in {@code ch}, runs {@code receive} once, and returns a weak reference to the value. */
    private static WeakReference<Object> receivedThrough(Chan<Object> ch, java.util.concurrent.Callable<?> receive) throws Exception {
        Object value = new byte[4096];
        ch.send(value);
        WeakReference<Object> ref = new WeakReference<>(value);
        value = null;
        receive.call();
        return ref;
    }

    /** This thread blocks in a select until another thread sends; returns weak references to the value and channel. */
    @SuppressWarnings("unchecked")
    private static WeakReference<Object>[] selectOnce() throws Exception {
        Chan<Object> ch = Chan.make();
        Chan<Object> other = Chan.make();
        AtomicReference<Object> toSend = new AtomicReference<>(new byte[4096]);
        WeakReference<Object>[] refs = new WeakReference[] {new WeakReference<>(toSend.get()), new WeakReference<>(ch)};
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                while (ChannelCores.of(ch).waitingReceivers() == 0) {
                    Thread.onSpinWait();
                }
                ch.send(toSend.getAndSet(null));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(Select.cases().receive(ch, v -> v).receive(other, v -> v).select()).isNotNull();
        assertThat(sender.join(Duration.ofSeconds(60))).isTrue();
        return refs;
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
