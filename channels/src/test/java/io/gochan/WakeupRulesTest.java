package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.WaitNode;
import io.gochan.spi.Waiter;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A claimer unparks a waiter only if the waiter announced that it parks (ADR 0001, amendment 5). These
 * tests race the claim against every moment of the waiter's spin-then-park, and prove that no waiter
 * is left parked: a lost wake-up would show as a waiter that reaches its (generous) deadline unclaimed.
 */
class WakeupRulesTest {
    private static final int ROUNDS = 20_000;
    private static final long GENEROUS_NANOS = TimeUnit.SECONDS.toNanos(30);

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void aClaimRacingWithTheWaitersParkAlwaysWakesIt(Threads.Kind kind) throws Exception {
        SynchronousQueue<Waiter> handover = new SynchronousQueue<>();
        ChannelCore channel = ChannelCore.create(0);
        AtomicInteger claimed = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < ROUNDS; i++) {
                    Waiter w = new Waiter();
                    WaitNode node = new WaitNode(w, channel, false, null, 0);
                    handover.put(w);
                    // Half the rounds spin first (the claim may land during the spin), half park at once.
                    if ((i & 1) == 0) {
                        w.spin(100);
                    }
                    WaitNode won = w.await(System.nanoTime() + GENEROUS_NANOS, node);
                    assertThat(won).as("round %d: the claim woke the waiter", i).isNotNull();
                    claimed.incrementAndGet();
                }
            });
            threads.start(() -> {
                for (int i = 0; i < ROUNDS; i++) {
                    Waiter w = handover.take();
                    // A random delay moves the claim across the waiter's spin, its flag write and its park.
                    for (int s = ThreadLocalRandom.current().nextInt(400); s > 0; s--) {
                        Thread.onSpinWait();
                    }
                    WaitNode node = new WaitNode(w, channel, false, i, 0);
                    assertThat(w.tryClaim(node)).isTrue();
                    w.unpark();
                }
            });
        }
        assertThat(claimed).hasValue(ROUNDS);
    }
}
