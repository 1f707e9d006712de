package io.gochan;

import io.gochan.spi.ParkHook;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The glue between virtual-time bubbles ({@link Bubble}, {@link BubbleState}) and the rest of
 * gochan: which bubble the calling thread belongs to, the hook that {@link Go} calls when a goroutine
 * starts, and the {@link ParkHook} that the channel machinery calls when it parks (only while at
 * least one bubble runs; ADR 0013).
 */
final class Bubbles {
    /** The member record of the calling thread, if it belongs to a bubble. */
    private static final ThreadLocal<BubbleState.Member> CURRENT = new ThreadLocal<>();
    private static final ReentrantLock ACTIVATION = new ReentrantLock();
    private static int running; // guarded by ACTIVATION

    private Bubbles() {}

    /** The calling thread's member record, or null (one volatile read when no bubble runs). */
    static BubbleState.Member current() {
        return ParkHook.active() == null ? null : CURRENT.get();
    }

    /** The calling thread's bubble's timer scheduler, or null outside bubbles. */
    static TimerScheduler currentScheduler() {
        BubbleState.Member m = current();
        return m == null ? null : m.bubble.scheduler;
    }

    static void bind(BubbleState.Member m) {
        CURRENT.set(m);
    }

    static void unbind() {
        CURRENT.remove();
    }

    /** A bubble starts: make sure the park hook is installed. */
    static void started() {
        ACTIVATION.lock();
        try {
            if (running++ == 0) {
                // A new hook each time (it has no state): Hook is loaded only when a first bubble runs.
                ParkHook.setActive(new Hook());
            }
        } finally {
            ACTIVATION.unlock();
        }
    }

    /** How many bubbles run now (for tests: a bubble that could not start leaves none counted, BB32). */
    static int running() {
        ACTIVATION.lock();
        try {
            return running;
        } finally {
            ACTIVATION.unlock();
        }
    }

    /** A bubble ended: the last one uninstalls the hook, so code outside bubbles pays nothing (BB9). */
    static void ended() {
        ACTIVATION.lock();
        try {
            if (--running == 0) {
                ParkHook.setActive(null);
            }
        } finally {
            ACTIVATION.unlock();
        }
    }

    /**
     * Called by {@link Go} before it starts a goroutine's thread, while any bubble runs (Go skips the call
     * otherwise, so that Bubbles is not loaded: cold start, B8): inside a bubble, the new goroutine
     * joins the caller's bubble (rule BB1), counted as running from this moment on (so the bubble
     * cannot think itself idle before the new thread has run), and {@code body} is wrapped so that the
     * goroutine leaves the bubble when it ends. Outside bubbles: {@code body} itself.
     *
     * @param g the goroutine about to start
     * @param body what its thread runs
     * @return what its thread must run instead
     */
    static Runnable inherit(Goroutine g, Runnable body) {
        BubbleState.Member parent = current();
        if (parent == null) {
            return body;
        }
        BubbleState bubble = parent.bubble;
        BubbleState.Member m = bubble.join(g);
        return new Joined(m, body);
    }

    /**
     * Called by {@link Go} when starting the thread of {@code body} (from {@link #inherit}) failed: the
     * goroutine never ran, so it leaves its bubble.
     *
     * @param body what {@link #inherit} returned
     */
    static void startFailed(Runnable body) {
        if (body instanceof Joined j) {
            j.member.bubble.leave(j.member);
        }
    }

    /**
     * Called by {@link Go} on the thread of goroutine {@code g} whose task threw {@code t}, while any
     * bubble runs: hands the failure to the goroutine's bubble (rule BB17).
     *
     * @return true if the bubble took it (its {@link Bubble#run} reports it: the handler must not),
     *     false if it is the uncaught-exception handler's (no bubble, an answer to an interrupt, or a
     *     bubble whose outcome was already reported)
     */
    static boolean goroutineFailed(Goroutine g, Throwable t) {
        BubbleState.Member m = current();
        return m != null && m.goroutine == g && m.bubble.goroutineFailed(m, t);
    }

    /** A goroutine's body inside a bubble. */
    private record Joined(BubbleState.Member member, Runnable body) implements Runnable {
        @Override
        public void run() {
            member.thread = Thread.currentThread();
            // A bubble that began stopping before this thread ran could not interrupt it (no thread yet): it is
            // interrupted now, as the others were (BB34).
            member.bubble.interruptIfStopping(member);
            bind(member);
            try {
                body.run();
            } finally {
                unbind();
                member.bubble.leave(member); // after the goroutine left the registry (Go.run's finally)
            }
        }
    }

    /** What the channel machinery calls while any bubble runs. */
    private static final class Hook extends ParkHook {
        @Override
        protected long nanoTime() {
            BubbleState.Member m = CURRENT.get();
            return m == null ? System.nanoTime() : m.bubble.scheduler.now();
        }

        @Override
        protected Object bubbleOfCurrentThread() {
            BubbleState.Member m = CURRENT.get();
            return m == null ? null : m.bubble;
        }

        @Override
        protected Object await(io.gochan.spi.Waiter waiter, long deadlineNanos, Object blocker) {
            BubbleState.Member m = CURRENT.get();
            // An ended bubble's channels are ordinary for a thread of no bubble (BB6): otherwise whether they worked
            // would depend on whether some unrelated bubble (a parallel test) happened to run. A member of another
            // bubble is refused a wait on one (BB47): that wait could never be durable.
            Object foreign = BubbleState.foreignBubbleOf(blocker, m == null ? null : m.bubble, true);
            if (foreign != null) {
                // Normally refused by checkWait before anything was queued; kept for a blocker it was not asked
                // about. The caller unlinks its nodes on the way out (I3).
                if (waiter.tryCancel(false)) {
                    throw refusal(blocker, null, m, foreign);
                }
                return waiter.winner();
            }
            return m == null ? PASS : m.bubble.await(m, waiter, deadlineNanos, blocker);
        }

        @Override
        protected void checkWait(Object blocker, String operation) {
            BubbleState.Member m = CURRENT.get();
            Object foreign = BubbleState.foreignBubbleOf(blocker, m == null ? null : m.bubble, !CLOSE.equals(operation));
            if (foreign != null) {
                throw refusal(blocker, operation, m, foreign);
            }
        }

        /**
         * Rules BB6, BB24, BB47: a bubble's channel is not for threads outside it, a thread of no bubble or a goroutine
         * of another bubble (Go panics for both); once it has ended, not for a goroutine of another bubble to wait on.
         */
        private static IllegalStateException refusal(Object blocker, String operation, BubbleState.Member m, Object foreign) {
            if (foreign instanceof BubbleState b && b.hasEnded()) {
                // Rule BB47: only a member of another bubble is refused a channel of an ended bubble.
                return new IllegalStateException("a goroutine of a virtual-time bubble waited on a channel made in"
                        + " another bubble, which has ended (" + (operation == null ? "" : operation + " ") + blocker
                        + "): no goroutine of this bubble's could be sure to end that wait, so it would hang rather than"
                        + " be reported as a deadlock; make the channel inside this bubble (a static channel shared by"
                        + " @Synctest tests belongs to the first that made it), or outside every bubble (BB47)");
            }
            if (CLOSE.equals(operation)) {
                // Rule BB43: a close wakes every member waiting on the channel, unseen by the bubble's driver.
                return new IllegalStateException("close of a channel made in a virtual-time bubble, from outside that"
                        + " bubble while it runs (" + blocker + (m == null ? "" : ", by a goroutine of another bubble")
                        + "): it would wake the bubble's goroutines behind its clock's back; close it from a goroutine"
                        + " of the bubble, or make the channel outside the bubble (BB43)");
            }
            return new IllegalStateException("a channel of a virtual-time bubble was used from outside the bubble ("
                    + (operation == null ? "" : operation + " ") + blocker
                    + (m == null ? "" : ", by a goroutine of another bubble")
                    + "); channels made inside a bubble belong to it (BB6, BB24)");
        }
    }
}
