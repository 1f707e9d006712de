package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rule GF3 (docs/spec/context-timers.md): a future's done channel, observed from both thread kinds. */
@ExtendWith(NoNewGoroutines.class)
class GoFutureDoneRulesTest {
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF3_doneIsClosedWhenTheCallableReturnsAndPublishesItsWrites(Kind kind) throws Exception {
        Chan<String> release = Chan.make();
        int[] box = new int[1];
        GoFuture<String> f = Go.future("gf3", () -> {
            String s = release.receive();
            box[0] = 42;
            return s;
        });
        ReceiveChan<Object> done = f.done();
        assertThat(f.done()).as("the same channel every call").isSameAs(done);
        assertThat(done.tryReceive().ok()).as("not closed while the callable runs").isFalse();
        assertThat(done.tryReceive().closed()).isFalse();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(done.receiveOk().closed()).isTrue(); // waits for the close
                assertThat(box[0]).as("the callable's writes happen-before the close is observed").isEqualTo(42);
                assertThat(f.join()).isEqualTo("v");
            });
            release.send("v");
        }
        assertThat(done.cap()).isZero();
        assertThat(done.len()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF3_doneIsClosedWhenTheCallableThrows(Kind kind) throws Exception {
        IOException failure = new IOException("expected by the test");
        GoFuture<Integer> f = Go.future(() -> {
            throw failure;
        });
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(f.done().receiveOk().closed()).isTrue();
                assertThatThrownBy(f::join).isSameAs(failure);
            });
        }
        assertThatThrownBy(() -> f.done().receive()).as("closed, never sent on").isInstanceOf(ChannelClosedException.class);
        assertThat(f.done()).isNotInstanceOf(SendChan.class);
    }

    /**
     * GF6, GF3, GF4: {@code isDone()} agrees with {@code done()}: a thread that has seen the done channel closed
     * finds {@code isDone()} true (the reverse holds too: done closes before the goroutine's thread ends). The
     * observer polls the channel so that it looks at once, while the goroutine's thread may still be taking its
     * last steps. Before, {@code isDone()} asked whether that thread was alive, which it may still be after
     * the channel closed: a {@code select} woken by {@code done()} could find the future not done.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF6_isDoneAgreesWithTheDoneChannel(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    GoFuture<Integer> f = Go.future(() -> 1);
                    long give = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
                    while (!f.done().tryReceive().closed()) {
                        assertThat(System.nanoTime() - give).as("the future to end").isNegative();
                        if (f.isDone()) {
                            assertThat(f.done().tryReceive().closed()).as("round %d: done() after isDone()", i).isTrue();
                        }
                        Thread.onSpinWait();
                    }
                    assertThat(f.isDone()).as("round %d: isDone() after done() was seen closed", i).isTrue();
                }
            });
        }
    }
    /**
     * GF7: once {@code done()} is closed the outcome is decided: {@code join()} and {@code join(Duration.ZERO)}
     * return it with the interrupt flag set, and keep the flag. The caller looks right after seeing the channel
     * closed, while the goroutine's thread may still be taking its last steps. Before, the wait for those steps was
     * {@code Thread.join}, which threw InterruptedException for the set flag (seen once in 20,000 futures), and a
     * zero timeout could call the finished future still running. A race, so many rounds; after the fix no round
     * can fail.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF7_aFinishedFutureIsJoinedWithTheInterruptFlagSet(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    boolean timed = (i & 1) == 1;
                    GoFuture<Integer> f = Go.future(() -> 7);
                    long give = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
                    while (!f.done().tryReceive().closed()) {
                        assertThat(System.nanoTime() - give).as("the future to end").isNegative();
                        Thread.onSpinWait();
                    }
                    Thread.currentThread().interrupt();
                    int v;
                    try {
                        v = timed ? f.join(java.time.Duration.ZERO) : f.join();
                    } finally {
                        boolean kept = Thread.interrupted(); // clears it for the next round and the thread's end
                        assertThat(kept).as("round %d: the interrupt flag is kept", i).isTrue();
                    }
                    assertThat(v).as("round %d", i).isEqualTo(7);
                }
            });
        }
    }
}
