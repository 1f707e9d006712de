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
 * B5a, Go's "daisy chain": {@value #STAGES} stages connected by {@value #STAGES}+1 unbuffered
 * channels {@code c[0] .. c[STAGES]}; stage {@code i} loops {@code v = c[i].receive(); c[i+1].send(v + 1)}.
 *
 * <p>Exact shape (the Go peer matches it):
 * <ul>
 *   <li>The chain is built once per trial (channels made, stages started) and torn down after it:
 *       a STOP value (-1) sent into {@code c[0]} travels down the chain, each stage forwards it and
 *       returns, the driver receives it from {@code c[STAGES]} and all stages are joined.</li>
 *   <li>One operation = the driver sends {@code 0} into {@code c[0]} and receives {@code 100} from
 *       {@code c[STAGES]}: one value through the whole chain, {@value #STAGES}+1 rendezvous handoffs,
 *       only one value in flight at a time. Score: ns per operation (divide by 101 for a hop).</li>
 *   <li>Values are boxed {@code Long}s inside the {@code Long} cache (0..100), so no peer allocates
 *       per hop.</li>
 *   <li>The driver is a fresh virtual thread per invocation that runs {@value #VALUES_PER_CALL}
 *       operations (VIRTUAL), or the JMH thread itself (PLATFORM); stages are goroutines
 *       ({@code Go.go}) for gochan, plain virtual threads for Jox and {@code SynchronousQueue}, and
 *       platform threads for every peer when {@code threads=PLATFORM}.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DaisyChainBenchmark {
    static final int STAGES = 100;
    static final int VALUES_PER_CALL = 50;
    static final Long STOP = -1L;

    @Param({"VIRTUAL", "PLATFORM"})
    public ThreadKind threads;

    /** KOTLIN: the stages are coroutines on {@code Dispatchers.Default}, built once per trial too. */
    @Param({"GOCHAN", "JOX", "JUC", "KOTLIN"})
    public Pipe.Peer peer;

    private KotlinChannels.DaisyChain kotlin;
    private Pipe head;
    private Pipe tail;
    private Thread[] stages;

    @Setup(Level.Trial)
    public void build() {
        if (peer == Pipe.Peer.KOTLIN) {
            if (threads == ThreadKind.VIRTUAL) {
                kotlin = new KotlinChannels.DaisyChain(KotlinChannels.dispatcher(), STAGES);
            }
            return;
        }
        stages = new Thread[STAGES];
        head = peer.create(0);
        Pipe in = head;
        for (int i = 0; i < STAGES; i++) {
            Pipe from = in;
            Pipe to = peer.create(0);
            stages[i] = Stages.start(peer, threads, () -> {
                for (Long v; ; ) {
                    v = from.take();
                    if (v.equals(STOP)) {
                        to.put(STOP);
                        return;
                    }
                    to.put(v + 1); // within the Long cache: no allocation
                }
            });
            in = to;
        }
        tail = in;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            if (kotlin != null) {
                kotlin.stop();
            }
            return;
        }
        threads.runAndJoin(() -> {
            try {
                head.put(STOP);
                if (!tail.take().equals(STOP)) {
                    throw new IllegalStateException("chain returned a value after STOP");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Stages.assertAllEnded(stages, peer);
    }

    @Benchmark
    @OperationsPerInvocation(VALUES_PER_CALL)
    public void daisyChain() throws InterruptedException {
        if (peer == Pipe.Peer.KOTLIN) {
            if (kotlin != null && kotlin.values(VALUES_PER_CALL) != STAGES) {
                throw new IllegalStateException("the Kotlin chain returned a wrong value");
            }
            return; // PLATFORM: nothing to run (the renderers skip rows under 1 ns/op)
        }
        Throwable[] failure = new Throwable[1];
        threads.runAndJoin(() -> {
            try {
                for (int i = 0; i < VALUES_PER_CALL; i++) {
                    head.put(0L);
                    long v = tail.take();
                    if (v != STAGES) {
                        throw new IllegalStateException("got " + v + " from the chain, expected " + STAGES);
                    }
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
    }
}
