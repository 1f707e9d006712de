package io.gochan;

import static io.gochan.HostileExceptions.typeOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rules EG15, EG16 and GF11 (docs/spec/context-timers.md): what an error group does with failures that are hostile to
 * it, once nobody holds it, or that keep nothing attached: its description never runs a failure's own code, its first
 * failure cancels its context also after the group was abandoned, and failures a first made with suppression disabled
 * cannot keep go to the handler.
 */
@ExtendWith(NoNewGoroutines.class)
class ErrGroupFailureReportRulesTest {

    /** A lightweight exception: made with suppression disabled, it keeps nothing attached (Throwable's contract). */
    static final class Lightweight extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Lightweight(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * EG15: a group's description names its first failure by its class. Before, it called the failure's toString()
     * under the group's lock, and threw what that threw (here the IllegalStateException of the failure's getMessage).
     */
    @Test
    void EG15_aGroupsDescriptionNamesItsFailureByItsClassWithoutRunningItsCode() throws Exception {
        RuntimeException hostile = HostileExceptions.runtimeWhoseMessageThrows();
        ErrGroup g = ErrGroup.create();
        g.go(() -> {
            throw hostile;
        });
        g.context().done().receiveOk(); // the failure is recorded: it cancelled the context (EG3)
        String described = g.toString();
        assertThat(described).startsWith("ErrGroup[").contains("failed: " + typeOf(hostile)).endsWith("]");
        assertThat(catchThrowable(g::await)).isSameAs(hostile);
        assertThat(g.toString()).isEqualTo("ErrGroup[0 running, failed: " + typeOf(hostile) + ", awaited]");
    }

    /**
     * EG15 in a bubble: the deadlock report names what each member waits on, the root here waiting for a group whose
     * first failure cannot describe itself. Before, writing the report ran that failure's toString() on the bubble's
     * driver, whose thread died of it: nobody reported the deadlock or moved the clock, and Bubble.run hung (until this
     * test's timeout interrupted it, when it threw InterruptedException, not the deadlock).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void EG15_aBubbleReportsTheDeadlockOfAGroupWhoseFailureCannotDescribeItself() throws Exception {
        RuntimeException hostile = HostileExceptions.runtimeWhoseMessageThrows();
        AtomicReference<ErrGroup> group = new AtomicReference<>();
        Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
            ErrGroup g = ErrGroup.create();
            group.set(g);
            g.go("eg15-failing", () -> {
                throw hostile;
            });
            g.go("eg15-stuck", () -> Chan.<Integer>make().receive()); // a channel of the bubble nobody sends on
            g.await();
        }));
        // The deadlock stops the members: the stuck one ends interrupted, and the group's await can then answer
        // the root with the group's first failure before the root sees its own interrupt. The body's failure then
        // stands with the deadlock attached (BB5: a body's failure not caused by the interrupt wins), so the
        // report is looked for in both places. Checked by class name: a failed check must not print the hostile
        // failure (its toString throws).
        BubbleDeadlockException deadlock = thrown instanceof BubbleDeadlockException d ? d : null;
        if (deadlock == null && thrown == hostile) {
            for (Throwable s : thrown.getSuppressed()) {
                if (s instanceof BubbleDeadlockException d) {
                    deadlock = d;
                }
            }
        }
        assertThat(deadlock != null).as("Bubble.run reported the deadlock (threw %s)", typeOf(thrown)).isTrue();
        assertThat(deadlock.getMessage()).contains("\"eg15-stuck\"").contains("failed: " + typeOf(hostile));
        // Observed here, so that its failure never reaches a later test's handler (GF2).
        assertThat(catchThrowable(group.get()::await)).isSameAs(hostile);
    }

    /**
     * EG15: no failure's code runs under the group's lock. A failure that is neither an Exception nor an Error is
     * thrown wrapped (GF5), and the wrapper's message is the failure's toString(), the task's code, which here blocks
     * until the test releases it: it is made on the failing goroutine, before the group's lock, as a future makes it on
     * its own goroutine, so while it blocks the group's description is written at once (as for Goroutines.dump() and a
     * bubble's report). Before, await() made it under the group's lock: the description, every other await() and
     * close() waited for that toString() (for ever, if it never returned).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void EG15_aFailureWhoseTextBlocksNeverHoldsUpTheGroupsDescription() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockingText odd = new BlockingText(entered, release);
        ErrGroup g = ErrGroup.create();
        g.go("eg15-blocking-text", () -> {
            throw sneaky(odd);
        });
        GoFuture<Throwable> awaited = Go.future(() -> catchThrowable(g::await));
        try {
            assertThat(entered.await(10, TimeUnit.SECONDS)).as("the failure's toString() was asked").isTrue();
            GoFuture<String> described = Go.future(g::toString);
            String text = null;
            try {
                text = described.join(Duration.ofSeconds(10));
            } catch (java.util.concurrent.TimeoutException e) {
                // Left as it is: released below, it then ends.
            }
            assertThat(text).as("the group's description while its failure's toString() blocks")
                    .isNotNull().startsWith("ErrGroup[").contains(typeOf(odd));
        } finally {
            release.countDown();
        }
        Throwable thrown = awaited.join(Duration.ofSeconds(10));
        assertThat(thrown).isInstanceOf(java.util.concurrent.ExecutionException.class);
        assertThat(thrown.getCause()).isSameAs(odd);
        assertThat(catchThrowable(g::await)).as("the same wrapper on every call (GF5)").isSameAs(thrown);
    }

    /** Neither an Exception nor an Error (sneaky code throws one), whose toString() blocks until released, once. */
    private static final class BlockingText extends Throwable {
        private static final long serialVersionUID = 1L;
        private final transient CountDownLatch entered;
        private final transient CountDownLatch release;

        BlockingText(CountDownLatch entered, CountDownLatch release) {
            super("eg15-blocking-text");
            this.entered = entered;
            this.release = release;
        }

        @Override
        public String toString() {
            entered.countDown();
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released toString() (test)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "BlockingText (test)";
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * EG16: a group nobody holds any more (its goroutines hold its context, not the group) still cancels its context
     * with its first failure, so that the others stop, as Go's group does whether or not anyone waits; the failure
     * goes to the handler (GF2). Before, once the cleaner had found the handle collected, a failure went only to the
     * handler: the context stayed open and the sibling waiting for it never ended (the receive below ran out).
     */
    @Test
    void EG16_theFirstFailureCancelsTheContextAlsoOnceTheGroupWasAbandoned() throws Exception {
        IllegalArgumentException failure = new IllegalArgumentException("eg16");
        Chan<Integer> gate = Chan.make();
        CountDownLatch reported = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {
            if (t == failure && g != null && g.name().equals("eg16-failing")) {
                reported.countDown();
            } else if (g != null && g.name().startsWith("eg16-")) {
                wrong.add(g.name() + " reported " + t.getClass().getName());
            }
        });
        ErrGroup.State state = null;
        boolean gateClosed = false;
        try {
            state = startAndAbandon(gate, failure);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!state.isAbandoned()) {
                assertThat(System.nanoTime()).as("the cleaner found the group's handle collected").isLessThan(deadline);
                System.gc();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // pacing only: the cleaner's turn
            }
            gate.close(); // the goroutine fails now, its group abandoned
            gateClosed = true;
            assertThat(state.ctx.done().receive(Duration.ofSeconds(30)).closed())
                    .as("the first failure cancelled the context, although the group was abandoned").isTrue();
            assertThat(state.ctx.cause()).isSameAs(failure);
            assertThat(reported.await(30, TimeUnit.SECONDS)).as("the failure reached the handler (GF2)").isTrue();
            assertThat(wrong).isEmpty();
        } finally {
            if (!gateClosed) {
                gate.close();
            }
            if (state != null) {
                state.ctx.cancel(); // a no-op once the failure cancelled it; before, the sibling waited for this
            }
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /** Starts a group whose goroutines hold its context, not the group, and drops the group: only its state is kept. */
    private static ErrGroup.State startAndAbandon(Chan<Integer> gate, IllegalArgumentException failure)
            throws InterruptedException {
        ErrGroup g = ErrGroup.create();
        Context ctx = g.context();
        g.go("eg16-failing", () -> {
            gate.receiveOk();
            throw failure;
        });
        g.go("eg16-sibling", () -> ctx.done().receiveOk()); // stops once the context is done, as Go code would
        return g.state();
    }

    /**
     * GF11: a first failure made with suppression disabled keeps none of the others that await() attaches to it, so
     * each goes to the handler with its goroutine, before await() returns. Before, they were attached to nothing and
     * lost: the handler saw none of them (the list below was empty).
     */
    @Test
    void GF11_failuresThatAFirstWithoutSuppressionCannotKeepGoToTheHandler() throws Exception {
        Lightweight first = new Lightweight("gf11-first");
        IOException a = new IOException("gf11-a");
        IllegalStateException b = new IllegalStateException("gf11-b");
        ConcurrentLinkedQueue<String> reported = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler(recorder(reported));
        try {
            ErrGroup g = ErrGroup.create();
            Context ctx = g.context();
            g.go("gf11-first", () -> {
                throw first;
            });
            g.go("gf11-a", () -> {
                ctx.done().receiveOk(); // strictly after the first: only it cancels the context before await()
                throw a;
            });
            g.go("gf11-b", () -> {
                ctx.done().receiveOk();
                throw b;
            });
            assertThat(catchThrowable(g::await)).isSameAs(first);
            assertThat(first.getSuppressed()).as("suppression disabled: nothing was kept").isEmpty();
            assertThat(reported).as("each failure the first could not keep, with its goroutine")
                    .containsExactlyInAnyOrder("gf11-a: gf11-a", "gf11-b: gf11-b");
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /**
     * GF11 for close(): the real failures the first cannot keep go to the handler; the goroutines' answers to the
     * stop (here an InterruptedException) stay dropped, as they are when attached to nothing (EG5). Before, the real
     * failure was lost too.
     */
    @Test
    void GF11_closeHandsOnTheRealFailuresAndStillDropsTheAnswersToItsStop() throws Exception {
        Lightweight first = new Lightweight("gf11-first");
        IOException real = new IOException("gf11-real");
        ConcurrentLinkedQueue<String> reported = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler(recorder(reported));
        try {
            ErrGroup g = ErrGroup.create();
            Context ctx = g.context();
            g.go("gf11-first", () -> {
                throw first;
            });
            g.go("gf11-real", () -> {
                ctx.done().receiveOk();
                throw real;
            });
            g.go("gf11-stopped", () -> Chan.<Integer>make().receive()); // until close() interrupts it
            ctx.done().receiveOk(); // the first failure is recorded (it cancelled the context) before close() stops
            assertThat(catchThrowable(g::close)).isSameAs(first);
            assertThat(reported).as("the real failure only, with its goroutine").containsExactly("gf11-real: gf11-real");
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /** A handler that records "goroutine: message" for this class's GF11 goroutines, and ignores any other. */
    private static BiConsumer<Goroutine, Throwable> recorder(ConcurrentLinkedQueue<String> reported) {
        return (g, t) -> {
            if (g != null && g.name().startsWith("gf11-")) {
                reported.add(g.name() + ": " + t.getMessage());
            }
        };
    }
}
