package io.gochan.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * B5b, Go's concurrent prime sieve. One operation computes the first {@value #N} primes with fresh
 * goroutines and fresh unbuffered channels, all of which have ended when the next operation starts
 * reusing nothing. Score: ns per operation (per 100 primes).
 *
 * <p>Exact shape (the Go peer matches it):
 * <ol>
 *   <li>The driver makes unbuffered channel {@code ch} and starts the generator, which sends
 *       2, 3, ..., {@value #LIMIT} (the {@value #N}th prime) into {@code ch}, then the STOP value
 *       ({@code 0}; in Go {@code close(ch)} is the equivalent), then returns.</li>
 *   <li>{@value #N} times: the driver receives prime {@code p} from {@code ch}, makes unbuffered
 *       {@code ch1}, starts {@code filter(ch, ch1, p)}, and sets {@code ch = ch1}. A filter loops
 *       {@code v = in.receive()}; on STOP it sends STOP to {@code out} and returns; otherwise it sends
 *       {@code v} on if {@code v % p != 0}.</li>
 *   <li>The driver then receives from the last {@code ch}: only STOP arrives (every number up to
 *       {@value #LIMIT} is divisible by one of the {@value #N} primes), which means the generator and
 *       all {@value #N} filters have forwarded STOP and are returning. Goroutines are not joined per
 *       operation (Go has no join); the iteration tear-down checks that the last operation's
 *       {@value #N}+1 threads all ended and, for gochan, that no goroutine is live.</li>
 * </ol>
 * So one operation starts {@value #N}+1 goroutines, makes {@value #N}+1 channels, and performs one
 * rendezvous per (number, filter it reaches) pair plus the STOP wave. The numbers are boxed once
 * ({@code Long}s in a static table), so no peer allocates per value. Stages are goroutines
 * ({@code Go.go}) for gochan and plain virtual threads for Jox and {@code SynchronousQueue}; the
 * driver is a fresh virtual thread per operation. Virtual threads only: one hundred platform-thread
 * starts per operation would measure thread creation, not the channels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PrimeSieveBenchmark {
    static final int N = 100;
    static final int LIMIT = 541;
    static final long SUM_OF_FIRST_100_PRIMES = 24_133;
    static final Long STOP = 0L;
    static final Long[] NUMBERS = new Long[LIMIT + 1];

    static {
        for (int i = 0; i <= LIMIT; i++) {
            NUMBERS[i] = (long) i;
        }
    }

    /** KOTLIN: the generator and filters are coroutines on {@code Dispatchers.Default} (KotlinChannels.sieve). */
    @Param({"GOCHAN", "JOX", "JUC", "KOTLIN"})
    public Pipe.Peer peer;

    /** The threads of the latest operation, checked at the end of each iteration. */
    private final Thread[] lastStages = new Thread[N + 1];

    @TearDown(Level.Iteration)
    public void checkNothingLeaked() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            return; // runBlocking returned only after every coroutine of the operation had ended
        }
        Stages.assertAllEnded(lastStages, peer);
    }

    @Benchmark
    public long sieve() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            long primes = KotlinChannels.sieve(KotlinChannels.dispatcher(), N, LIMIT, NUMBERS);
            if (primes != SUM_OF_FIRST_100_PRIMES) {
                throw new IllegalStateException("sum of primes " + primes);
            }
            return primes;
        }
        long[] sum = new long[1];
        Throwable[] failure = new Throwable[1];
        ThreadKind.VIRTUAL.runAndJoin(() -> {
            try {
                Pipe ch = peer.create(0);
                Pipe source = ch;
                lastStages[0] = Stages.start(peer, ThreadKind.VIRTUAL, () -> {
                    for (int i = 2; i <= LIMIT; i++) {
                        source.put(NUMBERS[i]);
                    }
                    source.put(STOP);
                });
                for (int i = 0; i < N; i++) {
                    Long prime = ch.take();
                    sum[0] += prime;
                    Pipe in = ch;
                    Pipe out = peer.create(0);
                    long p = prime;
                    lastStages[i + 1] = Stages.start(peer, ThreadKind.VIRTUAL, () -> {
                        for (Long v; ; ) {
                            v = in.take();
                            if (v.equals(STOP)) {
                                out.put(STOP);
                                return;
                            }
                            if (v % p != 0) {
                                out.put(v);
                            }
                        }
                    });
                    ch = out;
                }
                Long last = ch.take();
                if (!last.equals(STOP)) {
                    throw new IllegalStateException("sieve passed " + last + " after the " + N + "th prime");
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
        if (sum[0] != SUM_OF_FIRST_100_PRIMES) {
            throw new IllegalStateException("sum of primes " + sum[0]);
        }
        return sum[0];
    }
}
