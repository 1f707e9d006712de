package io.gochan.benchmarks;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.select.Select;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * B10: a context-aware send/receive (rule CH4) against the two-case select it replaces, on a live
 * cancellable context. {@code ready*}: one thread, a value already buffered (capacity 1), so only the
 * non-blocking path runs; score ns per receive. {@code pingPong*}: two virtual threads hand a token back
 * and forth over two unbuffered channels, the measured side using the context form or the select on
 * both its send and its receive, the echo side plain operations; score ns per one-way handoff.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ContextOpBenchmark {
    static final int ROUND_TRIPS = 2_000;
    static final Integer ONE = 1;
    static final Integer STOP = -1;

    private CancellableContext ctx;
    private Chan<Integer> buffered;
    private Chan<Integer> ping;
    private Chan<Integer> pong;
    private Thread echo;

    @Setup(Level.Trial)
    public void start() {
        ctx = Context.withCancel(Context.background());
        buffered = Chan.make(1);
        ping = Chan.make();
        pong = Chan.make();
        echo = Thread.ofVirtual().name("echo").start(() -> {
            try {
                for (Integer v; !(v = ping.receive()).equals(STOP); ) {
                    pong.send(v);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        ping.send(STOP);
        echo.join();
        ctx.cancel();
    }

    @Benchmark
    public Integer readyReceiveCtx() throws InterruptedException {
        buffered.trySend(ONE);
        return buffered.receive(ctx);
    }

    @Benchmark
    public Integer readyReceiveSelect() throws InterruptedException {
        buffered.trySend(ONE);
        return Select.<Integer>cases()
                .receive(buffered, v -> v)
                .receiveOk(ctx.done(), closed -> { throw ctx.err(); })
                .select();
    }

    @Benchmark
    @OperationsPerInvocation(2 * ROUND_TRIPS)
    public void pingPongCtx() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            try {
                Integer token = ONE;
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    ping.send(token, ctx);
                    token = pong.receive(ctx);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }).join();
    }

    @Benchmark
    @OperationsPerInvocation(2 * ROUND_TRIPS)
    public void pingPongSelect() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            try {
                Integer token = ONE;
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    Select.<Boolean>cases()
                            .send(ping, token, () -> true)
                            .receiveOk(ctx.done(), closed -> { throw ctx.err(); })
                            .select();
                    token = Select.<Integer>cases()
                            .receive(pong, v -> v)
                            .receiveOk(ctx.done(), closed -> { throw ctx.err(); })
                            .select();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }).join();
    }
}
