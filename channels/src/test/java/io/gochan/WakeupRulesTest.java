package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.WaitNode;
import io.gochan.spi.Waiter;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
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

    /**
     * The spin policy (ADR 0015): a virtual thread that woke a virtual thread does not spin before its
     * next rendezvous wait (the woken thread waits in this carrier's run queue), and spins again once it
     * has waited. Seen through {@link ChannelCore#spinBudget(Waiter)}, on a channel that earned spinning.
     */
    @Test
    void aVirtualThreadThatWokeAVirtualThreadDoesNotSpinUntilItHasWaited() throws Exception {
        AtomicInteger spinsAtAll = new AtomicInteger();
        try (Threads threads = new Threads(Threads.Kind.VIRTUAL)) {
            threads.start(() -> {
                ChannelCore spinning = ChannelCore.create(0);
                spinning.recordSpin(true); // a spin on it met its partner: it spins now
                spinsAtAll.set(spinning.spinBudget(new Waiter()));
                if (spinsAtAll.get() == 0) {
                    return; // one carrier or one CPU: virtual threads never spin (skipped below)
                }
                // This thread blocks once (a receive that times out), so it has a reusable waiter to mark.
                assertThat(ChannelCore.create(0).receive(System.nanoTime() + 1_000_000)).isSameAs(ChannelCore.NOT_READY);
                Chan<Integer> ping = Chan.make();
                Chan<Integer> pong = Chan.make();
                Thread partner = Thread.ofVirtual().start(() -> {
                    try {
                        pong.send(ping.receive()); // parks in receive: the ping below wakes it
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                while (partner.getState() != Thread.State.WAITING) {
                    Thread.onSpinWait(); // until the partner parks, so the send must wake it
                }
                ping.send(1);
                assertThat(spinning.spinBudget(Waiter.acquire())).as("just woke a virtual thread").isZero();
                assertThat(pong.receive()).isEqualTo(1); // this thread waits (a fresh waiter: the one above was not awaited)
                assertThat(spinning.spinBudget(Waiter.acquire())).as("has waited since").isPositive();
                partner.join();
            });
        }
        Assumptions.assumeTrue(spinsAtAll.get() > 0, "virtual threads spin only with two carriers and CPUs");
    }
}
