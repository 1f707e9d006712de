package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * E60: a single-use body ({@link RequestBody#ofStreamOnce}) hands its stream to exactly one opener, however many
 * open it at once; every other opener is told that the body is single-use.
 */
class SingleUseBodyTest {
    private static final int ROUNDS = 1_000;

    /** What one of the two racers got in a round: the stream, or the failure. */
    private record Got(InputStream stream, IOException failure) {}

    private static Got open(RequestBody body) {
        try {
            return new Got(body.open(), null);
        } catch (IOException e) {
            return new Got(null, e);
        }
    }

    /**
     * Two platform threads (this one and another) meet at a {@link CyclicBarrier} each round, then spin until both
     * are there (a barrier's wake-up alone lets them arrive microseconds apart, far wider than the window of a
     * check-then-set) and open the round's body at once: exactly one gets the stream. Platform threads, and only
     * two, so that the spin never starves a carrier.
     */
    @Test
    void E60_twoOpenersRacingGetTheStreamExactlyOnce() throws Exception {
        AtomicReference<RequestBody> body = new AtomicReference<>();
        AtomicReference<Got> other = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(2);
        CyclicBarrier end = new CyclicBarrier(2);
        AtomicInteger[] arrived = new AtomicInteger[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            arrived[r] = new AtomicInteger();
        }
        Thread racer = Thread.ofPlatform().name("E60-racer").start(() -> {
            try {
                for (int r = 0; r < ROUNDS; r++) {
                    start.await(30, TimeUnit.SECONDS);
                    spinTogether(arrived[r]);
                    other.set(open(body.get()));
                    end.await(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                // the test thread broke the barrier (its assertion failed): end quietly
            }
        });
        try {
            for (int r = 0; r < ROUNDS; r++) {
                body.set(RequestBody.ofStreamOnce(new ByteArrayInputStream(new byte[] {(byte) r}), 1, null));
                start.await(30, TimeUnit.SECONDS);
                spinTogether(arrived[r]);
                Got mine = open(body.get());
                end.await(30, TimeUnit.SECONDS);
                Got theirs = other.get();
                int winners = (mine.stream() != null ? 1 : 0) + (theirs.stream() != null ? 1 : 0);
                assertThat(winners).as("round %d: openers that got the stream", r).isEqualTo(1);
                Got loser = mine.stream() != null ? theirs : mine;
                assertThat(loser.failure()).as("round %d", r).hasMessageContaining("single-use")
                        .hasMessageContaining("cannot be sent again");
                assertThat(open(body.get()).failure()).as("round %d: a later opener", r).isNotNull()
                        .hasMessageContaining("single-use");
            }
        } finally {
            start.reset(); // a failed round releases the racer
            end.reset();
            racer.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(racer.isAlive()).as("the racer ended").isFalse();
        }
    }

    /** Returns once both racers reached this round's rendezvous (bounded: a racer that never comes fails it). */
    private static void spinTogether(AtomicInteger arrived) {
        arrived.incrementAndGet();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (arrived.get() < 2) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the other racer never arrived");
            }
            Thread.onSpinWait();
        }
    }
}
