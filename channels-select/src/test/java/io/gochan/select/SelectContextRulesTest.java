package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Context;
import io.gochan.ContextCanceledException;
import io.gochan.DeadlineExceededException;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.ChannelCores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules L9–L11 (docs/spec/select.md): context cases, the closed-receive choice, checked handlers; both thread kinds. */
@NoGoroutineLeaks
class SelectContextRulesTest {
    static final Duration LONG = Duration.ofSeconds(20);

    enum Kind { VIRTUAL, PLATFORM }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} on a thread of {@code kind}, waits for it, rethrows its failure. */
    static void on(Kind kind, Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable r = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        };
        Thread t = kind == Kind.VIRTUAL ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
        assertThat(t.join(LONG)).as("test thread ended").isTrue();
        if (failure.get() != null) {
            throw new AssertionError("test thread failed: " + failure.get(), failure.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L9_aDoneCaseFiresWhenTheContextIsDone(Kind kind) throws Exception {
        on(kind, () -> {
            Chan<Integer> results = Chan.make();
            CancellableContext ctx = Context.withCancel(Context.background());
            Goroutine canceller = Go.go(() -> {
                awaitReceivers(ctx, 1);
                ctx.cancel(new IOException("user left"));
            });
            String r = Select.<String>cases()
                    .receive(results, v -> "value")
                    .done(ctx, () -> "cancelled: " + ctx.cause().getMessage())
                    .select();
            assertThat(r).isEqualTo("cancelled: user left");
            assertThat(canceller.join(LONG)).isTrue();
            assertThat(ChannelCores.of(results).waitingReceivers()).isZero();
            // Without a handler: the select throws ctx.err(), with the cause as its cause.
            assertThatThrownBy(() -> Select.<String>cases().receive(results, v -> "value").done(ctx).select())
                    .isSameAs(ctx.err()).hasCauseInstanceOf(IOException.class);
            int[] ran = {0};
            assertThatThrownBy(() -> Select.statement().done(ctx).run()).isInstanceOf(ContextCanceledException.class);
            assertThat(Select.statement().done(ctx, () -> ran[0]++).run()).isZero();
            assertThat(ran[0]).isEqualTo(1);
            // A deadline, in the statement form and the checked form.
            CancellableContext soon = Context.withTimeout(Context.background(), Duration.ofMillis(10));
            assertThatThrownBy(() -> Select.onReceive(results, v -> v).done(soon).select())
                    .isInstanceOf(DeadlineExceededException.class);
            // The background is never done: a disabled case.
            assertThat(Select.<String>cases().done(Context.background(), () -> "never").orElse(() -> "default").select())
                    .isEqualTo("default");
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L9_aReadyDoneCaseIsChosenUniformlyAndExactlyOnceAgainstAValue(Kind kind) throws Exception {
        on(kind, () -> {
            CancellableContext ctx = Context.withCancel(Context.background());
            ctx.cancel();
            Chan<Integer> ready = Chan.make(10_000);
            for (int i = 0; i < 10_000; i++) {
                ready.send(i);
            }
            int done = 0;
            Select<Boolean> s = Select.<Boolean>cases().receive(ready, v -> false).done(ctx, () -> true).random(new SplittableRandom(7));
            for (int i = 0; i < 10_000; i++) {
                if (s.select()) {
                    done++;
                }
            }
            // Both ready every time: about half each (p < 1e-9 outside these bounds), and every value taken once.
            assertThat(done).isBetween(4_600, 5_400);
            assertThat(ready.len()).isEqualTo(done);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L10_aPlainReceiveCaseOnADoneChannelIsRefusedWhenBuilt(Kind kind) throws Exception {
        on(kind, () -> {
            CancellableContext ctx = Context.withCancel(Context.background());
            assertThatThrownBy(() -> Select.<String>cases().receive(ctx.done(), x -> "cancelled"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("done(ctx, handler)");
            assertThatThrownBy(() -> Select.statement().receive(ctx.done(), x -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Select.onReceive(ctx.done(), x -> "cancelled"))
                    .isInstanceOf(IllegalArgumentException.class);
            // receiveOk on it stays allowed (it reports closed), and plain receive on an ordinary closed
            // channel still throws when chosen (L4).
            ctx.cancel();
            assertThat(Select.<Boolean>cases().receiveOk(ctx.done(), r -> r.closed()).select()).isTrue();
            Chan<Integer> closed = Chan.make();
            closed.close();
            assertThatThrownBy(() -> Select.<String>cases().receive(closed, v -> "v").select())
                    .isInstanceOf(ChannelClosedException.class);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L11_handlersThrowCheckedExceptionsAsThemselves(Kind kind) throws Exception {
        on(kind, () -> {
            Chan<String> lines = Chan.make(1);
            lines.send("x");
            IOException disk = new IOException("disk full");
            // X = IOException, R = Boolean, both inferred from the first handler.
            Selection<Boolean, IOException> s = Select.onReceive(lines, line -> {
                if (line.equals("x")) {
                    throw disk;
                }
                return true;
            });
            try {
                s.select();
                throw new AssertionError("the handler's exception was not thrown");
            } catch (IOException e) {
                assertThat(e).isSameAs(disk);
            }
            // Handlers that throw nothing: X is RuntimeException, select() throws only InterruptedException.
            lines.send("y");
            String r = Select.onReceive(lines, v -> "got " + v).timeout(LONG, () -> "timed out").select();
            assertThat(r).isEqualTo("got y");
            // A later handler with another checked exception: give both types.
            Chan<Integer> none = Chan.make();
            Selection<String, Exception> widened = Select.onSend(none, 1, () -> "sent");
            widened.orElse(() -> {
                throw new java.util.concurrent.TimeoutException("nobody");
            });
            assertThatThrownBy(widened::select).isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThatThrownBy(Select.<Integer, String, Exception>onSend(none, 1, () -> "sent").orElse(() -> {
                throw new java.util.concurrent.TimeoutException("nobody");
            })::select).isInstanceOf(java.util.concurrent.TimeoutException.class);
            // Unchecked exceptions pass through the old API too.
            assertThatThrownBy(() -> Select.<String>cases().orElse(() -> {
                throw new UncheckedIOException(disk);
            }).select()).isInstanceOf(UncheckedIOException.class);
            // The old API compiles unchanged: lambdas throwing nothing or InterruptedException.
            Chan<Integer> c = Chan.make(1);
            c.send(1);
            Integer v = Select.<Integer>cases().receive(c, x -> x).select();
            assertThat(v).isEqualTo(1);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L9_L6_cancelRacingAValueFiresExactlyOneCase(Kind kind) throws Exception {
        on(kind, () -> {
            Chan<Integer> ch = Chan.make();
            int values = 0;
            int cancels = 0;
            for (int round = 0; round < 2_000; round++) {
                CancellableContext ctx = Context.withCancel(Context.background());
                int v = round;
                Goroutine sender = Go.go(() -> {
                    try {
                        ch.send(v, ctx);
                    } catch (CancellationException e) {
                        // the select took the done case: the value stays here
                    }
                });
                Goroutine canceller = Go.go(ctx::cancel);
                boolean gotValue = Select.<Boolean>cases().receive(ch, x -> true).done(ctx, () -> false).select();
                if (gotValue) {
                    values++;
                } else {
                    cancels++;
                }
                assertThat(sender.join(LONG)).isTrue();
                assertThat(canceller.join(LONG)).isTrue();
            }
            assertThat(values + cancels).isEqualTo(2_000);
            assertThat(ChannelCores.of(ch).waitingSenders() + ChannelCores.of(ch).waitingReceivers()).isZero();
        });
    }

    private static void awaitReceivers(Context ctx, int n) {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (ChannelCores.of(ctx.done()).waitingReceivers() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + n + " receivers on " + ctx);
            }
            Thread.onSpinWait();
        }
    }
}
