package io.gochan.spi;

/**
 * The one place that decides whether a thread spins before it parks, and for how long: before a
 * rendezvous (unbuffered) or one-slot wait, and before parking in a contended channel lock. Every knob is here
 * ({@code -Dgochan.spin}, {@code -Dgochan.platformSpin}, {@code -Dgochan.lockSpins}), the thread kind
 * is read once per wait ({@link #rendezvousSpins(ChannelCore)}), and {@link ChannelCore}, the select
 * engine and {@link Waiter} only carry out what this class returned. The history of each number is in
 * ADR 0015 (docs/adr), which replaced the amendments of ADR 0001.
 *
 * <p>Rules, with the measurements that chose them (2 vCPUs, JMH, alternating jars):
 * <ul>
 *   <li><b>Rendezvous and one-slot waits only.</b> A full or empty buffer means the partner is not about to
 *       arrive: the same spin made capacity-16 producer-consumer slower (162 → 433 ns), and 2026-12-07 still
 *       ~2.5× slower at capacity 16 and 1.2–1.6× at capacity 4. A one-slot buffer is the exception: its two
 *       sides alternate as a rendezvous does (each send waits for the receive of the value before it), and
 *       spinning there made B2 capacity 1 on two carriers 1.5–3.4× faster (372–836 → 236–261 ns per value,
 *       5 alternating rounds, ADR 0015).</li>
 *   <li><b>Only when the partner can run at the same time</b>: no spin at all with one carrier (or one
 *       CPU), where a spinning virtual thread keeps its partner from running (Jox's lesson).</li>
 *   <li><b>Virtual threads spin {@value #DEFAULT_VIRTUAL_SPINS} times</b> ({@code -Dgochan.spin=N}, 0
 *       disables): ping-pong (B1) ~840 → ~390 ns per handoff on two carriers; a blocked select spins
 *       too (it is the one waiting for the producers: B4 ~1190 → ~620 ns).</li>
 *   <li><b>Platform threads spin {@value #DEFAULT_PLATFORM_SPINS} times</b>
 *       ({@code -Dgochan.platformSpin=N}): their park and unpark are futex calls and a context switch
 *       (~10 µs against ~1 µs), and they hold no carrier (B4 ~9 → ~1.6 µs; 1000 made the 100-stage
 *       daisy chain 2.6× slower).</li>
 *   <li><b>Spinning is earned per channel.</b> A channel stops spinning after
 *       {@value #VIRTUAL_MISSES} spins in a row met no partner for a virtual thread
 *       ({@value #PLATFORM_MISSES} for a platform thread, whose park costs more than its spin), and probes
 *       with a spin every {@value #PROBE_EVERY}th wait. Without it a daisy chain of 100 goroutines (B5)
 *       took ~26 µs a hop instead of ~1 (each stage spun for a value 100 hops away and held a carrier the
 *       stage with the value needed). A new channel starts stopped, so channels made per request (the
 *       HTTP transport's) never spin (H2 ~42 → ~38 µs).</li>
 *   <li><b>A contended lock of an unbuffered channel spins {@value #DEFAULT_LOCK_SPINS} times</b>
 *       ({@code -Dgochan.lockSpins=N}) before parking in the {@code ReentrantLock}: critical sections are
 *       tens of nanoseconds, while parking a virtual thread on a lock goes through the scheduler
 *       (B4 ~1250 → ~970 ns; 16: ~1050; 256: as 64). Buffered channels park at once (spinning made B2
 *       capacity 1024 and B3 capacity 64 2–3× slower: parking lets one side drain in a batch).</li>
 * </ul>
 * The streak lives in each {@link ChannelCore} (one int, two counters; unguarded on purpose: a heuristic;
 * a racy read or a lost update only shifts when spinning stops) but only this class reads or writes them.
 */
final class SpinPolicy {
    static final int DEFAULT_VIRTUAL_SPINS = 100;
    static final int DEFAULT_PLATFORM_SPINS = 300;
    static final int DEFAULT_LOCK_SPINS = 64;
    /** Misses in a row after which a channel stops virtual threads' spinning. */
    static final int VIRTUAL_MISSES = 4;
    /** Misses in a row after which a channel stops platform threads' spinning (and where the streak saturates). */
    static final int PLATFORM_MISSES = 16;
    /** A channel that stopped spinning spins again on every this-many-th wait, to notice a change. */
    static final int PROBE_EVERY = 64;

    /** True if a virtual thread's partner can run in parallel: more than one carrier and CPU. */
    private static final boolean PARALLEL = parallel();
    private static final int VIRTUAL_SPINS = PARALLEL ? Math.max(0, Integer.getInteger("gochan.spin", DEFAULT_VIRTUAL_SPINS)) : 0;
    private static final int PLATFORM_SPINS = Runtime.getRuntime().availableProcessors() > 1
            ? Math.max(0, Integer.getInteger("gochan.platformSpin", DEFAULT_PLATFORM_SPINS)) : 0;
    private static final int LOCK_SPINS = VIRTUAL_SPINS > 0 ? Math.max(0, Integer.getInteger("gochan.lockSpins", DEFAULT_LOCK_SPINS)) : 0;
    /** The largest capacity whose waits spin as rendezvous ones do: unbuffered and one-slot channels. */
    static final int SPIN_CAPACITY = 1;

    private SpinPolicy() {}

    private static boolean parallel() {
        int cpus = Runtime.getRuntime().availableProcessors();
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism", cpus);
        return Math.min(cpus, carriers) > 1;
    }

    /**
     * Whether a wait on a channel of this capacity may spin before it parks (then {@link #rendezvousSpins} says how
     * long): the one test of a channel's kind, for plain operations and select alike. Unbuffered and one-slot channels
     * only (see the class comment).
     */
    static boolean spinsBeforeWaiting(int capacity) {
        return capacity <= SPIN_CAPACITY;
    }

    /** The streak a new channel starts with: stopped, so spinning is earned by a probe that meets a partner. */
    static int initialState() {
        return PLATFORM_MISSES; // misses in the low byte, no waits counted yet
    }

    /**
     * How many times the current thread should spin before parking in a rendezvous wait on {@code c}
     * (0: park at once). Counts the wait towards {@code c}'s probe when its streak has stopped.
     */
    static int rendezvousSpins(ChannelCore c) {
        boolean virtual = Thread.currentThread().isVirtual();
        int spins = virtual ? VIRTUAL_SPINS : PLATFORM_SPINS;
        if (spins == 0) {
            return 0;
        }
        int state = c.spinState;
        int misses = state & 0xFF;
        if (misses < (virtual ? VIRTUAL_MISSES : PLATFORM_MISSES)) {
            return spins;
        }
        int waits = (state >>> 8) + 1;
        if (waits >= PROBE_EVERY) {
            c.spinState = misses; // probe now, count afresh
            return spins;
        }
        c.spinState = misses | (waits << 8);
        return 0;
    }

    /** Records whether a spin before a rendezvous wait on {@code c} met its partner. */
    static void recordSpin(ChannelCore c, boolean met) {
        // Saturates at the larger threshold, so one streak serves both kinds of thread.
        int state = c.spinState;
        int was = state & 0xFF;
        int misses = met ? 0 : Math.min(was + 1, PLATFORM_MISSES);
        if (misses != was) {
            // Written only on change: the field shares a cache line with what the partner thread reads.
            c.spinState = (state & ~0xFF) | misses;
        }
    }

    /** Spins before parking in the lock of a channel of this capacity when the lock is held. */
    static int lockSpins(int capacity) {
        return capacity == 0 ? LOCK_SPINS : 0;
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
