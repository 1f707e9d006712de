package io.gochan.benchmarks;

import io.gochan.Chan;
import io.gochan.Received;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * B6: uncontended non-blocking send+receive pair on a buffered channel (capacity 16) from one
 * thread. Jox 1.0.1 has no try-operations (its equivalent is a select with a default clause, which
 * is not the same shape), so the peer is ArrayBlockingQueue's offer/poll.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TryOpsBenchmark {
    private final Chan<Long> chan = Chan.make(16);
    private final ArrayBlockingQueue<Long> abq = new ArrayBlockingQueue<>(16);
    private final Long value = 42L;

    @Benchmark
    public Long gochanTrySendTryReceive() {
        chan.trySend(value);
        Received<Long> r = chan.tryReceive();
        return r.orElse(null);
    }

    @Benchmark
    public Long abqOfferPoll() {
        abq.offer(value);
        return abq.poll();
    }
}
