package io.gochan.benchmarks;

import com.softwaremill.jox.Channel;
import com.softwaremill.jox.Select;
import com.softwaremill.jox.SelectClause;
import io.gochan.Chan;
import io.gochan.select.SelectStatement;
import java.util.ArrayList;
import java.util.List;
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
 * B4: one consumer selecting over N unbuffered channels, each fed by its own producer; plus the
 * one-case select against a plain receive. Score: ns per value received.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SelectBenchmark {
    static final int ITEMS = 20_000;

    @Param({"VIRTUAL", "PLATFORM"})
    public ThreadKind threads;

    @Param({"1", "2", "4"})
    public int channels;

    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public long gochanSelect() throws InterruptedException {
        List<Chan<Long>> chans = new ArrayList<>();
        for (int i = 0; i < channels; i++) {
            chans.add(Chan.make());
        }
        List<Thread> producers = startProducers(i -> v -> chans.get(i).send(v));
        long[] sum = new long[1];
        SelectStatement s = io.gochan.select.Select.statement();
        for (Chan<Long> c : chans) {
            s.receive(c, v -> sum[0] += v);
        }
        threads.runAndJoin(() -> {
            try {
                for (int i = 0; i < ITEMS; i++) {
                    s.run();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        join(producers);
        return sum[0];
    }

    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public long joxSelect() throws InterruptedException {
        List<Channel<Long>> chans = new ArrayList<>();
        for (int i = 0; i < channels; i++) {
            chans.add(Channel.newRendezvousChannel());
        }
        List<Thread> producers = startProducers(i -> v -> chans.get(i).send(v));
        long[] sum = new long[1];
        // Built once per invocation, as gochanSelect builds its statement once: a Jox receive clause
        // is an immutable (channel, callback) pair that Select.select only reads, so it can be reused;
        // making new clauses per select charged Jox an allocation gochan did not pay.
        @SuppressWarnings("unchecked")
        SelectClause<Long>[] clauses = new SelectClause[channels];
        for (int c = 0; c < channels; c++) {
            clauses[c] = chans.get(c).receiveClause();
        }
        threads.runAndJoin(() -> {
            try {
                for (int i = 0; i < ITEMS; i++) {
                    sum[0] += Select.select(clauses);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        join(producers);
        return sum[0];
    }

    /**
     * Kotlin's {@code selectUnbiased} over rendezvous channels, same shape: producers and the selecting
     * consumer are coroutines on {@code Dispatchers.Default} (one dispatcher thread in the 1-carrier run);
     * unbiased because gochan's select, like Go's, chooses uniformly among ready cases. Virtual rows only:
     * coroutines have no platform-thread variant.
     */
    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public long kotlinSelect() {
        if (threads != ThreadKind.VIRTUAL) {
            return 0; // skipped by the renderers (under 1 ns/op)
        }
        return KotlinChannels.fanIn(KotlinChannels.dispatcher(), channels, ITEMS);
    }

    /** The baseline for "a 1-case select within 1.5x of a plain receive" (run with channels=1). */
    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public long gochanPlainReceive() throws InterruptedException {
        if (channels != 1) {
            return 0; // only meaningful for one channel; the table ignores other rows
        }
        Chan<Long> c = Chan.make();
        List<Thread> producers = startProducers(i -> c::send);
        long[] sum = new long[1];
        threads.runAndJoin(() -> {
            try {
                for (int i = 0; i < ITEMS; i++) {
                    sum[0] += c.receive();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        join(producers);
        return sum[0];
    }

    interface Sender {
        void send(Long v) throws InterruptedException;
    }

    private List<Thread> startProducers(java.util.function.IntFunction<Sender> senderFor) {
        List<Thread> list = new ArrayList<>();
        int per = ITEMS / channels;
        for (int p = 0; p < channels; p++) {
            Sender s = senderFor.apply(p);
            int count = p == channels - 1 ? ITEMS - per * (channels - 1) : per;
            list.add(threads.start("producer-" + p, () -> {
                try {
                    for (int i = 0; i < count; i++) {
                        s.send((long) (i & 127));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        return list;
    }

    private static void join(List<Thread> ts) throws InterruptedException {
        for (Thread t : ts) {
            t.join();
        }
    }
}
