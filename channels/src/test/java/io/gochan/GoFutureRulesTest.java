package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules GF1–GF2 (docs/spec/context-timers.md): goroutines with results, joined from both thread kinds. */
@ExtendWith(NoNewGoroutines.class)
class GoFutureRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);



    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF1_joinReturnsTheValueOrRethrowsTheFailureAsItself(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> handled.add(t));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                int[] box = new int[1];
                GoFuture<String> ok = Go.future("answer", () -> {
                    box[0] = 42;
                    return "forty-two";
                });
                assertThat(ok.join()).isEqualTo("forty-two");
                assertThat(box[0]).as("the body's writes happen-before join returns").isEqualTo(42);
                assertThat(ok.goroutine().name()).isEqualTo("answer");
                assertThat(ok.isDone()).isTrue();

                IOException checked = new IOException("checked");
                GoFuture<Integer> failing = Go.future(() -> {
                    throw checked;
                });
                assertThatThrownBy(failing::join).isSameAs(checked);
                assertThatThrownBy(failing::join).as("every join: the same instance").isSameAs(checked);

                StackOverflowError error = new StackOverflowError("deep");
                assertThatThrownBy(Go.future(() -> {
                    throw error;
                })::join).isSameAs(error);

                Chan<Integer> never = Chan.make();
                GoFuture<Integer> slow = Go.future(never::receive);
                assertThatThrownBy(() -> slow.join(Duration.ofMillis(1))).isInstanceOf(TimeoutException.class);
                slow.interrupt();
                assertThatThrownBy(() -> slow.join(LONG)).isInstanceOf(InterruptedException.class);
            });
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
        assertThat(handled).as("observed failures never reach the handler").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF2_aFailureNobodyCanObserveGoesToTheHandler(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> handled.add(t));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Chan<Integer> ended = Chan.make();
                startAndDropFailingFuture(ended);   // the handle is dropped; its goroutine fails
                startAndDropFailingGroup(ended);    // the same for a group never awaited nor closed
                ended.receive();
                ended.receive();
                long deadline = System.nanoTime() + LONG.toNanos();
                while (handled.size() < 2 && System.nanoTime() < deadline) {
                    System.gc();
                    Timers.after(Duration.ofMillis(10)).receive();
                }
                assertThat(handled).extracting(Throwable::getMessage)
                        .containsExactlyInAnyOrder("unobserved future", "unobserved group");
            });
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    private static void startAndDropFailingFuture(Chan<Integer> ended) {
        Go.future(() -> {
            try {
                throw new IOException("unobserved future");
            } finally {
                ended.send(1);
            }
        });
    }

    private static void startAndDropFailingGroup(Chan<Integer> ended) {
        ErrGroup g = ErrGroup.create();
        g.tryGo(() -> {
            try {
                throw new IOException("unobserved group");
            } finally {
                ended.send(1);
            }
        });
    }
}
