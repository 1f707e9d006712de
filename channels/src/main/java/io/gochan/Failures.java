package io.gochan;

import io.gochan.spi.SafeText;
import java.lang.ref.Cleaner;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CancellationException;
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
    /**
     * One daemon thread for the whole library. Its actions only look at whether a failure was observed; the report of
     * one that was not, which runs the caller's code, goes to a goroutine of its own ({@link #reportOffCleaner}).
     */
    static final Cleaner CLEANER = Cleaner.create(CLEANER_THREADS);

    private Failures() {}

    /**
     * Runs {@code report}, the report of failures a cleaner action found that nobody can observe any more (GF2), on a
     * goroutine of its own, never on the cleaner's thread (rule TM22). The report runs the caller's code (the
     * uncaught-exception handler; the default one prints the failure, whose {@code toString()} is the task's), which
     * may block (a handler that sends on a full channel, waits for a lock, a slow log): on the cleaner's thread, the one
     * of the JVM that every future and error group is registered with, that held up every later report for as long, and
     * every later cleanup with it, so each dropped future's or group's outcome (its value, its failure) stayed reachable
     * in the cleaner's queue. If no goroutine can start (an {@link OutOfMemoryError}), that is logged and the report runs
     * here all the same: never lost.
     *
     * @param report the report; must not throw
     */
    static void reportOffCleaner(Runnable report) {
        try {
            Go.go("gochan-unobserved-failure", report::run);
        } catch (Throwable e) {
            SafeText.log(System.getLogger(Failures.class.getName()), System.Logger.Level.ERROR,
                    "the report of an unobserved failure could not start on a goroutine of its own; reported on the"
                            + " cleaner's thread", e);
            report.run();
        }
    }

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
     * Whether {@code t} is a context's own {@link Context#err()}: one instance shared by the context, its descendants
     * and every operation that ended for it (CX18), never to be changed (EG17).
     */
    static boolean isSharedContextError(Throwable t) {
        return t instanceof ContextCanceledException c && c.shared || t instanceof DeadlineExceededException d && d.shared;
    }

    /**
     * A context's shared error as one of its own (EG17): same class, message and cause, so that it can be thrown where
     * the shared instance may be on its way out already (a try-with-resources block's own exception, which could not
     * suppress itself) and attached to without changing the context's; anything else as itself.
     */
    static Throwable ownedCopy(Throwable t) {
        if (!isSharedContextError(t)) {
            return t;
        }
        CancellationException copy = t instanceof DeadlineExceededException ? new DeadlineExceededException()
                : new ContextCanceledException();
        if (t.getCause() != null) {
            copy.initCause(t.getCause());
        }
        return copy;
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
        if (isSharedContextError(first)) {
            // EG17: a context's err() is one instance shared by the context, its descendants and every operation that
            // ended for it (CX18): what is attached to it would show on all of them, another group's failures on this
            // group's, for as long as the context lives. Kept none: the caller hands the others on (GF11).
            return others.stream().allMatch(o -> o == first);
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
