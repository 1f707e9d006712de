package io.gochan.spi;

/**
 * A short spin before parking, for rendezvous (unbuffered) waits only, and only when the partner can
 * run at the same time on another carrier (or core).
 *
 * <p>Why, measured on 2 vCPUs with virtual threads and the default scheduler (JMH, 2 forks):
 * <ul>
 *   <li>ping-pong (B1): no spin ~840 ns per handoff, 100 spins on both sides ~390 ns (Jox ~510,
 *       SynchronousQueue ~275 in the same runs); producer-consumer at capacity 0: ~865 vs ~445 ns;</li>
 *   <li>spinning only on the receive side did not help (~840 ns); an adaptive budget that halves
 *       after a failed spin collapsed to never succeeding (~1100 ns);</li>
 *   <li>buffered waits park at once: the same spin made capacity-16 producer-consumer slower
 *       (162 → 433 ns), since a full or empty buffer means the partner is not about to arrive;</li>
 *   <li>the cost: a select fan-in with more runnable threads than carriers (B4) got slower
 *       (~830 → ~1190 ns) because spinning producers take CPU from the consumer; letting the blocked
 *       select spin too (it is the one waiting for the producers) brought it to ~620 ns (Jox ~520),
 *       and a one-case select to ~520 ns against ~420 for a plain receive.</li>
 * </ul>
 * With one carrier the partner cannot run while we spin (Jox's lesson, docs/spec/benchmarks.md), so
 * then there is no spin at all.
 *
 * <p>Per channel, spinning stops after {@value #MISSES_BEFORE_STOPPING} spins in a row that found no
 * partner, and resumes (probing every {@value #PROBE_EVERY}th wait) once one does. Without this, a
 * daisy chain of 100 goroutines (B5) on 2 carriers took ~26 µs a hop instead of ~1: each stage's
 * receive waits for a value 100 hops away, spins in vain, and the two spinning stages hold both
 * carriers while the stage that has the value waits for one. (An earlier global budget that halved
 * after a miss collapsed; a streak per channel keeps ping-pong, whose spins hit, spinning.) A new
 * channel starts stopped and earns spinning with a probe that meets its partner, so channels made per
 * request never spin. Platform threads spin longer and stop later ({@link #PLATFORM_SPINS},
 * {@link #PLATFORM_MISSES_BEFORE_STOPPING}). {@code -Dgochan.spin=N} sets the virtual threads' count;
 * 0 disables it.
 */
final class SpinPolicy {
    /** Spins before a virtual thread parks in a rendezvous wait; 0 when the partner cannot run in parallel. */
    static final int RENDEZVOUS_SPINS = compute();

    /** True if spinning can ever help a virtual thread here (more than one carrier and core). */
    static final boolean PARALLEL = RENDEZVOUS_SPINS > 0;

    /**
     * Spins before a platform thread parks in a rendezvous wait; 0 on one core. Larger than a virtual
     * thread's: its park and unpark are futex calls and a context switch (~10 µs here, against ~1 µs for
     * a virtual thread), and it holds no carrier. Measured with platform threads on 2 cores (B4 2-case
     * select ~9 µs → ~1.6 µs at 300, Jox ~8 µs; ping-pong ~11 µs → ~0.9 µs; 1000 spins made the
     * 100-stage daisy chain 2.6× slower). {@code -Dgochan.platformSpin=N} overrides it.
     */
    static final int PLATFORM_SPINS = Runtime.getRuntime().availableProcessors() > 1
            ? Math.max(0, Integer.getInteger("gochan.platformSpin", 300)) : 0;

    /** A channel stops virtual threads' spinning after this many spins in a row found no partner. */
    static final int MISSES_BEFORE_STOPPING = 4;

    /**
     * A channel stops platform threads' spinning after this many misses in a row. Higher than for
     * virtual threads because a platform thread's park costs more than its spin, so spinning pays even
     * when it often misses (8 platform threads on one channel, B3: 4 → ~9 µs per value, 16 → ~3.5 µs),
     * while the daisy chain, whose spins always miss, still stops (~1.9 → ~1.2 ms).
     */
    static final int PLATFORM_MISSES_BEFORE_STOPPING = 16;

    /** A channel that stopped spinning spins again on every this-many-th wait, to notice a change. */
    static final int PROBE_EVERY = 64;

    private SpinPolicy() {}

    private static int compute() {
        int cpus = Runtime.getRuntime().availableProcessors();
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism", cpus);
        int spins = Integer.getInteger("gochan.spin", 100);
        return Math.min(cpus, carriers) > 1 ? Math.max(0, spins) : 0;
    }

    /** Spins before a virtual or platform thread parks in a rendezvous wait (0: never spin). */
    static int spins(boolean virtual) {
        return virtual ? RENDEZVOUS_SPINS : PLATFORM_SPINS;
    }

    /** Misses in a row after which a channel stops the current kind of thread from spinning. */
    static int missesBeforeStopping(boolean virtual) {
        return virtual ? MISSES_BEFORE_STOPPING : PLATFORM_MISSES_BEFORE_STOPPING;
    }

    /** Spins at most {@code n} times until the waiter completes; true if it did. */
    static boolean spin(Waiter w, int n) {
        for (int i = 0; i < n; i++) {
            if (w.isCompleted()) {
                return true;
            }
            Thread.onSpinWait();
        }
        return w.isCompleted();
    }
}
