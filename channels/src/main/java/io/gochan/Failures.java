package io.gochan;

import io.gochan.spi.SafeText;
import java.lang.ref.Cleaner;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;

/**
 * What {@link GoFuture} and {@link ErrGroup} share about failures: rethrowing one as itself, and the
 * cleaner that reports a failure nobody can observe any more (rule GF2).
 */
final class Failures {
    /**
     * Makes the cleaner's thread, on whichever thread first needs the cleaner: it takes nothing from that thread
     * (rule TM17), as it reports the failures of every owner of the JVM.
     */
    static final ThreadFactory CLEANER_THREADS = task -> ServiceThreads.unstarted("gochan-unobserved-failures", task);
    /** One daemon thread for the whole library; its actions only hand a failure to the handler. */
    static final Cleaner CLEANER = Cleaner.create(CLEANER_THREADS);

    private Failures() {}

    /**
     * What {@link #rethrow} throws for {@code t}: {@code t} itself if it is an {@link Exception} or an
     * {@link Error}, else a new {@link ExecutionException} wrapping it. A holder that rethrows one failure
     * on every call makes this once and keeps it, so every call throws the same object (rule GF5).
     */
    static Throwable asThrown(Throwable t) {
        return t instanceof Exception || t instanceof Error ? t : wrapped(t);
    }

    /**
     * Throws {@code t} as itself: an {@link Exception} (checked or not) or an {@link Error} unchanged;
     * only a {@code Throwable} that is neither is wrapped in {@link ExecutionException}.
     */
    static Exception rethrow(Throwable t) throws Exception {
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw wrapped(t);
    }

    /**
     * {@code new ExecutionException(t)}, whose message is {@code t.toString()}, but asked safely: that constructor
     * calls {@code t.toString()}, the task's code, and what it threw replaced the failure. A future whose task threw
     * such a throwable then looked as if it had succeeded, its join returning null (CH7).
     */
    private static ExecutionException wrapped(Throwable t) {
        return new ExecutionException(SafeText.of(t), t);
    }

    /**
     * Adds each of {@code others} to {@code first}'s suppressed exceptions, in order, unless it is already there
     * (the same instance: a context's {@code err()} thrown by many goroutines) or is {@code first}. Linear in the
     * number of failures: {@code getSuppressed()} copies its array, so looking there once per failure made a group
     * of n failing goroutines cost n^2 (rule EG14).
     *
     * @return false if {@code first} kept none of those it was given: it was made with suppression disabled
     *     ({@code Throwable}'s four-argument constructor with {@code enableSuppression} false, as lightweight
     *     exceptions are), so its {@code addSuppressed} does nothing and the caller must hand them on otherwise
     *     (rule GF11); true otherwise, also when there was nothing to add
     */
    static boolean suppressAll(Throwable first, Collection<? extends Throwable> others) {
        if (others.isEmpty()) {
            return true;
        }
        Throwable[] before = first.getSuppressed();
        Set<Throwable> attached = Collections.newSetFromMap(new IdentityHashMap<>());
        attached.add(first);
        Collections.addAll(attached, before);
        int added = 0;
        for (Throwable other : others) {
            if (attached.add(other)) {
                first.addSuppressed(other);
                added++;
            }
        }
        // Only ever grows where suppression is enabled; stays empty where it is disabled. One more copy, not one
        // per failure (EG14).
        return added == 0 || first.getSuppressed().length > before.length;
    }
}
