package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules EG9, EG10 and EG18 (docs/spec/context-timers.md): what a group's goroutines meet when close() stops them
 * while they start more, which cancellations answer that stop, and changing the limit while goroutines run, from
 * both thread kinds.
 */
@ExtendWith(NoNewGoroutines.class)
class ErrGroupStopRulesTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG9_aGoThatCloseRefusesIsAnAnswerToTheStopNotAFailure(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                // close() cancels the context before it interrupts: the goroutine sees the context done, then
                // starts more work as a producer would, and meets the closed group.
                ErrGroup g = ErrGroup.create();
                CountDownLatch started = new CountDownLatch(1);
                g.go(() -> {
                    started.countDown();
                    g.context().done().receiveOk();
                    g.go(() -> { });
                });
                g.go(() -> {
                    g.context().done().receiveOk();
                    g.tryGo(() -> { });
                });
                started.await();
                g.close(); // threw "ErrGroup is closed", the group's own refusal, as if a goroutine had failed

                // With a real failure, the refusal is attached to it, as an interrupt would be (EG5).
                ErrGroup h = ErrGroup.create();
                IOException real = new IOException("real");
                CountDownLatch failed = new CountDownLatch(1);
                h.go(() -> {
                    try {
                        throw real;
                    } finally {
                        failed.countDown();
                    }
                });
                h.go(() -> {
                    h.context().done().receiveOk(); // cancelled by the failure
                    failed.await();
                    Chan.make().receive(); // until close() interrupts it
                });
                h.go(() -> {
                    h.context().done().receiveOk();
                    try {
                        Chan.make().receive(); // until close() interrupts it
                    } finally {
                        h.go(() -> { });
                    }
                });
                failed.await();
                assertThatThrownBy(h::close).isSameAs(real);

                // Another group's refusal is a real failure of this one.
                ErrGroup closedOther = ErrGroup.create();
                closedOther.close();
                ErrGroup k = ErrGroup.create();
                k.go(() -> closedOther.go(() -> { }));
                assertThatThrownBy(k::await).isInstanceOf(IllegalStateException.class).hasMessage("ErrGroup is closed");
                k.close();
            });
        }
    }

    /** A goroutine starting work in a loop until its group stops it: close() reports nothing. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG9_aProducerLoopStoppedByCloseIsNotAFailure(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < 100; round++) {
                    ErrGroup g = ErrGroup.create();
                    g.setLimit(4);
                    CountDownLatch producing = new CountDownLatch(1);
                    g.go(() -> {
                        producing.countDown();
                        while (!g.context().isDone()) {
                            g.go(Thread::yield); // with the limit, also waits for a slot when close() begins
                        }
                        g.go(() -> { }); // after the done check: the window a producer always has
                    });
                    producing.await();
                    try {
                        g.close();
                    } catch (Throwable t) {
                        throw new AssertionError("round " + round + ": close() after nothing but its stop threw " + t, t);
                    }
                }
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG10_theLimitCanBeLiftedWhileGoroutinesRunButNotSet(Kind kind) throws Exception {
        Chan<Integer> gate = Chan.make();
        try (ErrGroup g = ErrGroup.create(); Threads threads = new Threads(kind)) {
            g.setLimit(1);
            g.go(() -> gate.receive());
            Thread waiting = threads.start(() -> g.go(() -> gate.receive())); // waits for a slot
            Threads.awaitTrue(() -> waiting.getState() == Thread.State.WAITING, "a go() waiting for a slot");
            assertThat(g.tryGo(() -> { })).isFalse();
            g.setLimit(-1); // Go: allowed whatever runs; threw IllegalStateException
            assertThat(waiting.join(java.time.Duration.ofSeconds(30))).as("the waiting go() started its goroutine").isTrue();
            assertThatThrownBy(() -> g.setLimit(5)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot change the limit");
            assertThat(g.tryGo(() -> gate.receive())).as("still no limit").isTrue();
            for (int i = 0; i < 3; i++) {
                gate.send(i);
            }
            g.await();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG18_onlyTheGroupContextsOwnErrorAnswersTheStop(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                // A deadline of the goroutine's own, expired: its failure, whatever close() does meanwhile.
                Context own = Context.withDeadline(Context.background(), Instant.EPOCH);
                ErrGroup g = ErrGroup.create();
                CountDownLatch started = new CountDownLatch(3);
                g.go(() -> {
                    started.countDown();
                    g.context().done().receiveOk(); // close() cancels the context first
                    throw own.err();
                });
                g.go(() -> {
                    started.countDown();
                    g.context().done().receiveOk();
                    throw g.context().err(); // Go's return ctx.Err(): the answer to the stop
                });
                g.go(() -> {
                    started.countDown();
                    Context child = Context.withCancel(g.context());
                    child.done().receiveOk();
                    throw child.err(); // the same instance, shared with the descendants the cancel reached (CX18)
                });
                started.await();
                assertThatThrownBy(g::close).as("close() over a goroutine's own expired deadline")
                        .isInstanceOf(DeadlineExceededException.class).hasMessage("context deadline exceeded");

                // A child of the group's context with a deadline of its own that expired is as much the goroutine's.
                ErrGroup h = ErrGroup.create();
                CountDownLatch running = new CountDownLatch(1);
                h.go(() -> {
                    Context child = Context.withDeadline(h.context(), Instant.EPOCH);
                    running.countDown();
                    h.context().done().receiveOk();
                    throw child.err();
                });
                running.await();
                assertThatThrownBy(h::close).isInstanceOf(DeadlineExceededException.class);

                // Only answers: close() throws nothing.
                ErrGroup quiet = ErrGroup.create();
                CountDownLatch answering = new CountDownLatch(2);
                quiet.go(() -> {
                    answering.countDown();
                    quiet.context().done().receiveOk();
                    throw quiet.context().err();
                });
                quiet.go(() -> {
                    answering.countDown();
                    Context.withTimeout(quiet.context(), java.time.Duration.ofHours(1)).done().receiveOk();
                    throw quiet.context().err();
                });
                answering.await();
                quiet.close();
            });
        }
    }
}
