package io.gochan.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * B2: one producer and one consumer move {@value #ITEMS} values through one channel of the given
 * capacity. Score: ns per value. The producer is a fresh thread per invocation (its start is spread
 * over the batch); the consumer is the measuring thread (platform) or a virtual thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProducerConsumerBenchmark {
    static final int ITEMS = 20_000;
    static final Long[] VALUES = new Long[ITEMS];

    static {
        for (int i = 0; i < ITEMS; i++) {
            VALUES[i] = (long) i; // boxed once, so the peers are compared without boxing allocation
        }
    }

    @Param({"VIRTUAL", "PLATFORM"})
    public ThreadKind threads;

    @Param({"0", "1", "16", "1024"})
    public int capacity;

    /** KOTLIN: coroutines on {@code Dispatchers.Default}; its PLATFORM rows do nothing (skipped by render.py). */
    @Param({"GOCHAN", "JOX", "JUC", "LTQ", "KOTLIN"})
    public Pipe.Peer peer;

    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public long transfer() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            // Same shape with coroutines: a producer coroutine, the consumer in runBlocking (see KotlinChannels).
            return threads == ThreadKind.VIRTUAL ? KotlinChannels.transfer(KotlinChannels.dispatcher(), VALUES, capacity) : 0;
        }
        Pipe pipe = peer.create(capacity);
        Thread producer = threads.start("producer", () -> {
            try {
                for (int i = 0; i < ITEMS; i++) {
                    pipe.put(VALUES[i]);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long[] sum = new long[1];
        threads.runAndJoin(() -> {
            try {
                for (int i = 0; i < ITEMS; i++) {
                    sum[0] += pipe.take();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        producer.join();
        return sum[0];
    }
}
