package io.gochan.benchmarks;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The spin budget of the spike rendezvous ({@link SpikeRendezvous}): {@code -Dspike.spin=N} spins
 * (100, gochan's default for virtual threads) before parking; with {@code -Dspike.hkqw=true} (and
 * {@code --add-opens java.base/java.util.concurrent=ALL-UNNAMED}) none while the carrier has queued
 * work, the test {@code LinkedTransferQueue} itself makes and a library cannot reach.
 */
final class SpikeSpin {
    private static final int SPINS = Integer.getInteger("spike.spin", 100);
    private static final MethodHandle HAS_KNOWN_QUEUED_WORK = hasKnownQueuedWork();

    private SpikeSpin() {}

    private static MethodHandle hasKnownQueuedWork() {
        if (!Boolean.getBoolean("spike.hkqw")) {
            return null;
        }
        try {
            Class<?> c = ForkJoinWorkerThread.class;
            return MethodHandles.privateLookupIn(c, MethodHandles.lookup())
                    .findStatic(c, "hasKnownQueuedWork", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** How many times to spin before parking now. */
    static int spins() {
        if (HAS_KNOWN_QUEUED_WORK == null) {
            return SPINS;
        }
        try {
            return (boolean) HAS_KNOWN_QUEUED_WORK.invokeExact() ? 0 : SPINS;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
