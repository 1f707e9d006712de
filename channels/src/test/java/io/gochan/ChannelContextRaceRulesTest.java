package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rule CH4 with I2's accounting (docs/spec/context-timers.md, channels.md) on buffered channels: sends and receives
 * with a context racing its cancel and the channel's close, from both thread kinds. Every buffer kind: the locked
 * array (capacity 1, 8), the lock-free ring (64) and the growing buffer (5,000). {@code ChannelContextRulesTest}
 * has the unbuffered race.
 */
class ChannelContextRaceRulesTest {

    /** A value whose send returned was received once or is still in the channel; one whose send threw, neither. */
    @ParameterizedTest
    @ValueSource(ints = {1, 64, 5000})
    void CH4_I2_bufferedSendsAndReceivesRacingCancelDeliverOrLeaveEachValueOnce(int capacity) throws Exception {
        for (Kind kind : Kind.values()) {
            Chan<Long> ch = Chan.make(capacity);
            AtomicLong ids = new AtomicLong();
            Set<Long> sent = ConcurrentHashMap.newKeySet();
            Set<Long> received = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            for (int round = 0; round < 150; round++) {
                CancellableContext ctx = Context.withCancel(Context.background());
                try (Threads threads = new Threads(kind)) {
                    for (int p = 0; p < 2; p++) {
                        threads.start(() -> {
                            for (int n = 0; n < 100; n++) {
                                long v = ids.incrementAndGet();
                                try {
                                    ch.send(v, ctx);
                                } catch (CancellationException e) {
                                    return;
                                }
                                sent.add(v);
                            }
                        });
                        threads.start(() -> {
                            while (true) {
                                long v;
                                try {
                                    v = ch.receive(ctx);
                                } catch (CancellationException e) {
                                    return;
                                }
                                if (!received.add(v)) {
                                    duplicates.incrementAndGet();
                                }
                            }
                        });
                    }
                    threads.start(ctx::cancel);
                }
            }
            Set<Long> left = new HashSet<>();
            for (Long v; (v = ch.tryReceive().orElse(null)) != null; ) {
                assertThat(left.add(v)).isTrue();
            }
            assertThat(duplicates.get()).as("%s, capacity %d: received twice", kind, capacity).isZero();
            long both = left.stream().filter(received::contains).count();
            long notSent = received.stream().filter(v -> !sent.contains(v)).count()
                    + left.stream().filter(v -> !sent.contains(v)).count();
            long lost = sent.stream().filter(v -> !received.contains(v) && !left.contains(v)).count();
            assertThat(both).as("%s, capacity %d: received and still in the channel", kind, capacity).isZero();
            assertThat(notSent).as("%s, capacity %d: taken, though the send threw the context's error", kind, capacity)
                    .isZero();
            assertThat(lost).as("%s, capacity %d: sent, then neither received nor in the channel", kind, capacity).isZero();
            assertThat(Threads.waiters(ch)).isZero();
        }
    }

    /** receiveOk(ctx) racing close and cancel: each buffered value is taken once; "closed" only once drained. */
    @ParameterizedTest
    @ValueSource(ints = {8, 64})
    void CH4_receiveOkRacingCloseAndCancelTakesEachValueOnce(int capacity) throws Exception {
        for (Kind kind : Kind.values()) {
            for (int round = 0; round < 300; round++) {
                Chan<Integer> ch = Chan.make(capacity);
                for (int i = 0; i < 8; i++) {
                    ch.send(i);
                }
                CancellableContext ctx = Context.withCancel(Context.background());
                Set<Integer> got = ConcurrentHashMap.newKeySet();
                AtomicInteger duplicates = new AtomicInteger();
                AtomicInteger closedEarly = new AtomicInteger();
                try (Threads threads = new Threads(kind)) {
                    for (int r = 0; r < 2; r++) {
                        threads.start(() -> {
                            while (true) {
                                Received<Integer> v;
                                try {
                                    v = ch.receiveOk(ctx);
                                } catch (CancellationException e) {
                                    return;
                                }
                                if (v.closed()) {
                                    if (ch.len() > 0) {
                                        closedEarly.incrementAndGet();
                                    }
                                    return;
                                }
                                if (!got.add(v.value())) {
                                    duplicates.incrementAndGet();
                                }
                            }
                        });
                    }
                    threads.start(ch::close);
                    threads.start(ctx::cancel);
                }
                for (Received<Integer> v; !(v = ch.receiveOk()).closed(); ) {
                    assertThat(got.add(v.value())).as("round %d: left and received", round).isTrue();
                }
                assertThat(duplicates.get()).as("round %d: received twice", round).isZero();
                assertThat(closedEarly.get()).as("round %d: closed reported with values left", round).isZero();
                assertThat(got).as("round %d", round).hasSize(8);
            }
        }
    }
}
