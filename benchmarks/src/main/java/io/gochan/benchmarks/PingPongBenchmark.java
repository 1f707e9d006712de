package io.gochan.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * B1: two threads hand one token back and forth over two unbuffered channels. Score: ns per
 * one-way handoff (a round trip is two).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PingPongBenchmark {
    static final int ROUND_TRIPS = 2_000;
    static final Long STOP = -1L;

    @Param({"VIRTUAL", "PLATFORM"})
    public ThreadKind threads;

    /** KOTLIN: coroutines on {@code Dispatchers.Default}; its PLATFORM rows do nothing (skipped by render.py). */
    @Param({"GOCHAN", "JOX", "JUC", "LTQ", "KOTLIN"})
    public Pipe.Peer peer;

    private KotlinChannels.PingPong kotlin;

    private Pipe ping;
    private Pipe pong;
    private Thread echo;

    @Setup(Level.Trial)
    public void start() {
        if (peer == Pipe.Peer.KOTLIN) {
            // Coroutines have no thread kind of their own: they run on the dispatcher's workers.
            kotlin = threads == ThreadKind.VIRTUAL ? new KotlinChannels.PingPong(KotlinChannels.dispatcher()) : null;
            return;
        }
        ping = peer.create(0);
        pong = peer.create(0);
        echo = threads.start("echo", () -> {
            try {
                for (Long v; !(v = ping.take()).equals(STOP); ) {
                    pong.put(v);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            if (kotlin != null) {
                kotlin.stop();
            }
            return;
        }
        threads.runAndJoin(() -> {
            try {
                ping.put(STOP);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        echo.join();
    }

    @Benchmark
    @OperationsPerInvocation(2 * ROUND_TRIPS)
    public void pingPong() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            if (kotlin != null) {
                kotlin.roundTrips(ROUND_TRIPS);
            }
            return;
        }
        threads.runAndJoin(() -> {
            try {
                Long token = 1L;
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    ping.put(token);
                    token = pong.take();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
