package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.testing.nulls.NullTester;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every public constructor and method of {@code io.gochan} refuses {@code null} in every reference
 * parameter with a {@link NullPointerException} naming the parameter, before anything changes (C5):
 * checked reflectively by {@link NullTester}, so a method added later is checked too.
 */
@ExtendWith(NoNewGoroutines.class)
class NullArgumentRulesTest {

    @Test
    void C5_everyPublicMethodRefusesNullNamingTheParameterBeforeAnythingChanges() throws Exception {
        List<GoroutineOwner> owners = new ArrayList<>();
        List<Timer> timers = new ArrayList<>();
        List<CancellableContext> contexts = new ArrayList<>();
        Goroutine finished = Go.go("finished", () -> { });
        finished.join();
        NullTester t = new NullTester(Chan.class)
                .value(String.class, () -> "x")
                .value(Object.class, () -> "x")
                .value(Duration.class, () -> Duration.ofMillis(1))
                .value(Instant.class, () -> Instant.now().plusSeconds(3600))
                .value(Context.class, Context::background)
                .value(ContextKey.class, () -> ContextKey.of("k"))
                .value(Throwable.class, () -> new IllegalStateException("test"))
                .value(Task.class, () -> () -> { })
                .value(Runnable.class, () -> () -> { })
                .value(Callable.class, () -> () -> "x")
                .value(Consumer.class, () -> v -> { })
                .value(BiConsumer.class, () -> (a, b) -> { })
                .value(ThrowingConsumer.class, () -> v -> { })
                .value(Goroutine.class, () -> finished)
                .value(StringBuilder.class, StringBuilder::new)
                .value(List.class, List::of)
                .nullable("Goroutines.setUncaughtExceptionHandler(h)", "null restores the default handler (documented)")
                .nullable("CancellableContext.cancel(cause)", "null means the ContextCanceledException itself (Go's cancel(nil))")
                .nullable("Context.withDeadline(cause)", "null: the deadline error itself is the cause (documented)")
                .nullable("Context.withTimeout(cause)", "null: the deadline error itself is the cause (documented)")
                .nullable("Received.orElse(other)", "the fallback is the caller's, null included (Optional.orElse)")
                .nullable("ThrowingConsumer.accept(value)", "the caller's own callback, called with channel values (never null)")
                .message("Chan.send(value)", "null is not a channel value")
                .message("Chan.trySend(value)", "null is not a channel value")
                .message("SendChan.send(value)", "null is not a channel value")
                .message("SendChan.trySend(value)", "null is not a channel value")
                .globalState(() -> List.of(Goroutines.startedCount(), Timers.pendingTasks()))
                .instance(Chan.class, NullArgumentRulesTest::holdingOne, NullArgumentRulesTest::shape)
                .instance(SendChan.class, () -> holdingOne().sendOnly(), NullArgumentRulesTest::shape)
                .instance(ReceiveChan.class, () -> holdingOne().receiveOnly(), NullArgumentRulesTest::shape)
                .instance(Context.class, Context::background, Object::toString)
                .instance(CancellableContext.class, () -> track(contexts, Context.withCancel(Context.background())),
                        c -> c.err() == null)
                .instance(ErrGroup.class, ErrGroup::create, Object::toString)
                .instance(WaitGroup.class, WaitGroup::new, WaitGroup::count)
                .instance(Goroutine.class, () -> finished, Goroutine::isAlive)
                .instance(GoFuture.class, () -> Go.future(() -> "x"), f -> "")
                .instance(GoroutineOwner.class, () -> track(owners, Goroutines.owner("owner")), o -> o.live().size())
                .instance(Timer.class, () -> track(timers, Timers.newTimer(Duration.ofDays(1))), Object::toString)
                .instance(Received.class, () -> Received.of("x"), Object::toString);
        List<String> failures;
        try {
            failures = t.run();
        } finally {
            owners.forEach(GoroutineOwner::close);
            timers.forEach(Timer::stop);
            contexts.forEach(CancellableContext::cancel);
        }
        assertThat(failures).isEmpty();
        assertThat(t.calls()).as("the check made calls").isGreaterThan(50);
    }

    /**
     * A duration a timer refuses is named as the caller named it, with its value; a done goroutine's timed join
     * still refuses a null timeout (before, it returned the value: the null was never read) (CX17).
     */
    @Test
    void CX17_aRefusedDurationIsNamedAsTheCallerPassedIt() throws Exception {
        assertThatThrownBy(() -> Timers.newTicker(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("period").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> Timers.newTimer(null)).isInstanceOf(NullPointerException.class).hasMessage("delay");
        Timer ticker = Timers.newTicker(Duration.ofDays(1));
        try {
            assertThatThrownBy(() -> ticker.reset(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("PT-1S");
        } finally {
            ticker.stop();
        }
        GoFuture<String> f = Go.future(() -> "x");
        assertThat(f.join()).isEqualTo("x");
        assertThatThrownBy(() -> f.join(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
        assertThatThrownBy(() -> f.goroutine().join(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
    }

    private static Chan<String> holdingOne() {
        Chan<String> ch = Chan.make(2);
        ch.trySend("kept");
        return ch;
    }

    private static Object shape(Object ch) {
        return ch.toString();
    }

    private static <T> T track(List<? super T> list, T t) {
        list.add(t);
        return t;
    }
}
