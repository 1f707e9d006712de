package io.gochan;

import static io.gochan.HostileExceptions.typeOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * CH7: what a goroutine, a future's task, an error group's goroutine or a drop callback throws is the caller's code,
 * and so is its text. A {@code toString()} or {@code getMessage()} that throws never takes the place of the failure it
 * belongs to, nor leaves a send or a goroutine's report half way. The throwables come from {@link HostileExceptions}.
 * No assertion here formats such a throwable (AssertJ would ask its text to describe a failure): they compare by
 * identity and name classes.
 *
 * <p>Two tests print through the JDK's own logging, as a program that configures none does: {@code java.util.logging}'s
 * console handler catches an {@link Exception} thrown while it formats a record, but lets an {@link Error} out, which
 * is what a {@code toString()} that recurses throws ({@link HostileExceptions#overflowing()} throws it at once). Their
 * failure on the old code rests on that default: this module's tests configure no logging (no {@code logging.properties}, no
 * {@code System.LoggerFinder}; the module cannot read {@code java.logging} to install a handler of its own), so the
 * test JVM has the JDK's root {@code ConsoleHandler} at INFO, and both log at ERROR. Under a configuration whose handler
 * catches every {@code Throwable} they are guards only; they pass on the new code under any configuration.
 */
@ExtendWith(NoNewGoroutines.class)
class ThrowingTextRulesTest {

    /** Something that may throw anything. */
    interface Action {
        void run() throws Exception;
    }

    /** What {@code a} threw, or null if it returned. */
    private static Throwable thrownBy(Action a) {
        try {
            a.run();
        } catch (Throwable t) {
            return t;
        }
        return null;
    }

    /**
     * CH7 (EG15): {@code ErrGroup.toString()} names a first failure whose {@code toString()} throws by its class. Before, the
     * group's description asked that failure's text and threw its {@link IllegalStateException}: "the description"
     * failed.
     */
    @Test
    void CH7_anErrGroupsDescriptionNeverThrows() throws Exception {
        RuntimeException bug = HostileExceptions.runtime();
        try (ErrGroup g = ErrGroup.create()) {
            g.go(() -> {
                throw bug;
            });
            Throwable awaited = thrownBy(g::await);
            assertThat(awaited == bug).as("await threw the goroutine's own failure (got a %s)", typeOf(awaited)).isTrue();
            Throwable described = thrownBy(g::toString);
            assertThat(described == null).as("the description (toString threw a %s)", typeOf(described)).isTrue();
            // EG15: the description names the failure by its class only, never by its text
            assertThat(g.toString()).contains("failed: " + typeOf(bug));
        }
    }

    /**
     * CH7 (GF5, EG2): a task that throws a {@link Throwable} that is neither an Exception nor an Error, whose
     * {@code toString()} throws, still fails its future and its group: join and await throw an
     * {@link ExecutionException} whose cause is that throwable, its message the throwable's class. Before, the
     * wrapper's constructor asked the throwable's {@code toString()}: the future's join returned null as if the task
     * had succeeded ("join threw" failed: nothing was thrown), and the group's await threw the
     * {@link IllegalStateException} of that {@code toString()}.
     */
    @Test
    void CH7_aTaskThrowingAThrowableWhoseTextThrowsStillFailsItsFutureAndGroup() throws Exception {
        Throwable odd = HostileExceptions.throwable();
        GoFuture<String> f = Go.future(() -> {
            throw StructuredHabitsParityTest.sneaky(odd);
        });
        Throwable joined = thrownBy(f::join);
        assertThat(joined instanceof ExecutionException && joined.getCause() == odd)
                .as("join threw an ExecutionException caused by the task's throwable (got a %s)", typeOf(joined)).isTrue();
        assertThat(joined.getMessage())
                .isEqualTo(typeOf(odd) + " (toString() threw java.lang.IllegalStateException)");
        assertThat(thrownBy(f::join)).as("every join: the same instance (GF5)").isSameAs(joined);

        Throwable odd2 = HostileExceptions.throwable();
        try (ErrGroup g = ErrGroup.create()) {
            g.go(() -> {
                throw StructuredHabitsParityTest.sneaky(odd2);
            });
            Throwable awaited = thrownBy(g::await);
            assertThat(awaited instanceof ExecutionException && awaited.getCause() == odd2)
                    .as("await threw an ExecutionException caused by the task's throwable (got a %s)", typeOf(awaited))
                    .isTrue();
        }
    }

    /**
     * CH7 (OV3): a drop callback's exception whose {@code toString()} overflows the stack is logged (by its class,
     * once printing it failed), never thrown from the send whose value was handled. Before, the JDK's console handler
     * let the printing's {@link StackOverflowError} out of the log call, and so out of the send ("the send returned"
     * failed, a StackOverflowError); inside a select it would have skipped the select's other unlocks.
     */
    @Test
    void CH7_aDropCallbacksExceptionWhosePrintingOverflowsNeverLeavesTheSend() throws Exception {
        RuntimeException bug = HostileExceptions.overflowing();
        List<Integer> dropped = new CopyOnWriteArrayList<>();
        Chan<Integer> ch = Chan.make(1, OverflowPolicy.DROP_LATEST, v -> {
            dropped.add(v);
            throw bug;
        });
        ch.send(1);
        Throwable sent = thrownBy(() -> ch.send(2)); // the buffer is full: 2 is dropped, and the callback throws
        assertThat(sent == null).as("the send returned (it threw a %s)", typeOf(sent)).isTrue();
        assertThat(dropped).containsExactly(2);
        assertThat(ch.receive()).isEqualTo(1);
    }

    /**
     * CH7: the default report of a goroutine's failure whose {@code toString()} overflows the stack logs it (by its
     * class) and returns; so does the report of a handler that failed, carrying that failure as suppressed. Before,
     * the JDK's console handler let the printing's {@link StackOverflowError} out of the report: the goroutine's
     * failure was never logged, and its thread ended with the printing's Error ("the report returned" failed).
     */
    @Test
    void CH7_aGoroutineFailureWhosePrintingOverflowsIsStillReported() throws Exception {
        Goroutine g = Go.go("CH7-reported", () -> { });
        g.join();
        Throwable logged = thrownBy(() -> Go.logUncaught(g, HostileExceptions.overflowing()));
        assertThat(logged == null).as("the report returned (it threw a %s)", typeOf(logged)).isTrue();

        BiConsumer<Goroutine, Throwable> previous = Goroutines.setUncaughtExceptionHandler((who, t) -> {
            throw new IllegalStateException("the handler fails (test)");
        });
        try {
            Throwable reported = thrownBy(() -> Goroutines.report(g, HostileExceptions.overflowing()));
            assertThat(reported == null).as("the report of a failed handler returned (it threw a %s)", typeOf(reported))
                    .isTrue();
        } finally {
            Goroutines.setUncaughtExceptionHandler(previous);
        }
    }
}
