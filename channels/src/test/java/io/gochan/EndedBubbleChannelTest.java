package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule BB47 (docs/spec/bubbles.md): a goroutine of a bubble that waits on a channel made in another bubble that has ended
 * is refused, as one waiting on a running bubble's channel is (BB24), rather than left in a wait no member could be sure
 * to end, which hung its bubble where a deadlock would have been reported (Go fails any use of a bubble's channel outside
 * it). A thread of no bubble still uses an ended bubble's channels as ordinary ones (BB6), and a close from another
 * bubble wakes no one behind a clock (BB43). Found by session 44's bubble audit: a static channel shared by two
 * {@code @Synctest} tests.
 */
@ExtendWith(NoNewGoroutines.class)
class EndedBubbleChannelTest {
    interface Use {
        Object on(Chan<Integer> c) throws Exception;
    }

    /** A channel made in a bubble that has ended, unbuffered or of capacity 1. */
    private static Chan<Integer> madeInAnEndedBubble(int capacity) throws Exception {
        AtomicReference<Chan<Integer>> made = new AtomicReference<>();
        Bubble.run(() -> made.set(Chan.make(capacity)));
        return made.get();
    }

    /** What {@code use} on {@code c} threw in a goroutine of a new bubble, or an AssertionError if it waited. */
    private static Throwable inAnotherBubble(Chan<Integer> c, Use use) throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Bubble.run(() -> {
            CountDownLatch finished = new CountDownLatch(1);
            Goroutine g = Go.go(() -> {
                try {
                    outcome.set(new AssertionError("no refusal, got " + use.on(c)));
                } catch (Throwable t) {
                    outcome.set(t);
                } finally {
                    finished.countDown();
                }
            });
            // Not durable: the clock stands still while the root waits here.
            if (!finished.await(20, TimeUnit.SECONDS)) {
                g.thread.interrupt();
                outcome.set(new AssertionError("it waited on the ended bubble's channel"));
            }
            g.join();
        });
        return outcome.get();
    }

    @Test
    void BB47_aGoroutineOfAnotherBubbleIsRefusedAWaitOnAnEndedBubblesChannel() throws Exception {
        List<Use> waits = List.of(Chan::receive, c -> c.receive(Duration.ofMinutes(1)), Chan::receiveOk, c -> {
            c.send(7);
            return null;
        });
        for (Use use : waits) {
            Chan<Integer> c = madeInAnEndedBubble(0);
            assertThat(inAnotherBubble(c, use)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another bubble, which has ended").hasMessageContaining("BB47");
            assertThat(c.tryReceive().ok()).as("nothing was sent").isFalse();
        }
    }

    @Test
    void BB47_whatCompletesWithoutWaitingAndACloseAreStillAllowed() throws Exception {
        Chan<Integer> c = madeInAnEndedBubble(1);
        assertThat(inAnotherBubble(c, ch -> {
            ch.send(1); // room in the buffer: no wait
            Integer v = ch.receive(); // a value ready: no wait
            ch.close(); // BB43 refuses only a running bubble's channel
            return v;
        })).isInstanceOf(AssertionError.class).hasMessage("no refusal, got 1");
        assertThat(c.isClosed()).isTrue();
    }

    @Test
    void BB6_aThreadOfNoBubbleStillUsesAnEndedBubblesChannel() throws Exception {
        Chan<Integer> c = madeInAnEndedBubble(0);
        Goroutine sender = Go.go(() -> c.send(5));
        assertThat(c.receive(Duration.ofSeconds(20)).value()).isEqualTo(5);
        assertThat(sender.join(Duration.ofSeconds(20))).isTrue();
    }
}
