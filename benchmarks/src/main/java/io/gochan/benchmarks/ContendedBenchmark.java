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
 * B3: {@value #PRODUCERS} producers and {@value #CONSUMERS} consumers share one channel of capacity 0
 * or 64. Each producer sends {@code ITEMS / PRODUCERS} values, each consumer receives
 * {@code ITEMS / CONSUMERS}; an invocation moves {@value #ITEMS} values in all. Score: ns per value
 * (per element, like {@link ProducerConsumerBenchmark}).
 *
 * <p>All eight sides are fresh threads of the given kind per invocation (eight thread starts spread
 * over {@value #ITEMS} values); the measuring thread only starts and joins them. Peers: gochan, Jox,
 * {@code SynchronousQueue} (capacity 0) / {@code ArrayBlockingQueue} (capacity 64), and
 * {@code LinkedTransferQueue} ({@code transfer} at 0; unbounded {@code put} at 64, so not the same
 * shape there: shown for reference).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ContendedBenchmark {
    static final int PRODUCERS = 4;
    static final int CONSUMERS = 4;
    static final int ITEMS = 20_000;
    /**
     * The values of one invocation, boxed once (the first {@value #ITEMS} of ProducerConsumerBenchmark's):
     * copied here once, not per invocation, which charged the Kotlin rows an 80 KB array per invocation.
     */
    static final Long[] VALUES = java.util.Arrays.copyOf(ProducerConsumerBenchmark.VALUES, ITEMS);

    @Param({"VIRTUAL", "PLATFORM"})
    public ThreadKind threads;

    @Param({"0", "64"})
    public int capacity;

    /** KOTLIN: coroutines on {@code Dispatchers.Default} (see KotlinChannels); no PLATFORM rows. */
    @Param({"GOCHAN", "JOX", "JUC", "LTQ", "KOTLIN"})
    public Pipe.Peer peer;

    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public long contended() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            if (threads != ThreadKind.VIRTUAL) {
                return 0; // coroutines have no platform-thread variant; the renderers skip 0
            }
            long total = KotlinChannels.contended(KotlinChannels.dispatcher(), capacity, PRODUCERS, CONSUMERS, VALUES);
            // The same check as the Java peers': every value arrived exactly once.
            if (total != (long) ITEMS * (ITEMS - 1) / 2) {
                throw new IllegalStateException("sum " + total + " != " + (long) ITEMS * (ITEMS - 1) / 2);
            }
            return total;
        }
        Pipe pipe = peer.create(capacity);
        Thread[] sides = new Thread[PRODUCERS + CONSUMERS];
        long[] sums = new long[CONSUMERS];
        Throwable[] failure = new Throwable[1];
        for (int p = 0; p < PRODUCERS; p++) {
            int from = p * (ITEMS / PRODUCERS);
            sides[p] = threads.start("producer-" + p, () -> {
                try {
                    for (int i = from; i < from + ITEMS / PRODUCERS; i++) {
                        pipe.put(VALUES[i]);
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
        }
        for (int c = 0; c < CONSUMERS; c++) {
            int slot = c;
            sides[PRODUCERS + c] = threads.start("consumer-" + c, () -> {
                try {
                    long sum = 0;
                    for (int i = 0; i < ITEMS / CONSUMERS; i++) {
                        sum += pipe.take();
                    }
                    sums[slot] = sum;
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
        }
        for (Thread t : sides) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
        long total = 0;
        for (long s : sums) {
            total += s;
        }
        // Every value must arrive exactly once: a lost or duplicated handoff would change the sum.
        if (total != (long) ITEMS * (ITEMS - 1) / 2) {
            throw new IllegalStateException("sum " + total + " != " + (long) ITEMS * (ITEMS - 1) / 2);
        }
        return total;
    }
}
