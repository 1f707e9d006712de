package io.gochan.http.internal;

import io.gochan.Context;
import io.gochan.DeadlineExceededException;
import io.gochan.ReceiveChan;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.RequestCancelledException;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What bounds one request from {@code roundTrip} to the end of its body: its {@link Context} and its own
 * timeout (as a {@link System#nanoTime()} deadline), and the one place that words the exception when
 * either ends it, whatever the phase (waiting for a connection, dialing, writing, awaiting the head,
 * reading the body). So a request's timeout is the same {@link HttpTimeoutException} in every phase,
 * and a cancelled context the same {@link RequestCancelledException}.
 */
public final class RequestScope {
    /**
     * Failures a request was retried after kept for its own failure at most (E156): E37 bounds its retries only by the
     * connections others left idle, which may be many, and the first few say what happened.
     */
    private static final int MOST_RETRIED_KEPT = 8;
    /** The failures this request was retried after (E156), oldest first; null until the first (no retry: none). */
    private java.util.List<IOException> retried;
    private final HttpRequest request;
    private final Context context;
    private final long deadlineNanos;
    /** Who reports the request's {@code done()}: nobody yet, someone already, or only a failure (E22). */
    private final AtomicInteger done = new AtomicInteger(DONE_OPEN);
    private static final int DONE_OPEN = 0;
    private static final int DONE_REPORTED = 1;
    private static final int DONE_ONLY_FAILURE = 2;
    /** Listener events of this request running now on a connection's loops (E27). */
    private final AtomicInteger eventsRunning = new AtomicInteger();
    /** The thread that reports done() and waits for those events to end; null if none waits. */
    private volatile Thread doneWaiter;
    /**
     * The claimed {@code done()} report left to the last loop event still running when its reporter stopped
     * waiting for it (a listener callback that blocked past {@link #EVENT_WAIT_NANOS}, E67); null otherwise.
     */
    private final AtomicReference<Runnable> doneLeftToEvent = new AtomicReference<>();
    /**
     * How long a {@code done()} reporter (the request's own thread) waits for a listener event running on a loop
     * (E27): callbacks are quick by contract, so one still running after this has blocked, and the request no
     * longer waits for it (E67).
     */
    static final long EVENT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** The request's current attempt (0 first; a retry increments it): a loop event of an earlier one is not reported (E33). */
    private volatile int attempt;

    /**
     * The scope of {@code request} under {@code context}; its timeout, if any, starts now.
     *
     * @param request the request
     * @param context its context
     */
    public RequestScope(HttpRequest request, Context context) {
        this.request = request;
        this.context = context;
        this.deadlineNanos = request.timeout().map(Deadlines::after).orElse(Deadlines.NONE);
    }

    /** @return the request */
    public HttpRequest request() {
        return request;
    }

    /** @return the context's done channel: ready once the context is cancelled or its deadline passes */
    public ReceiveChan<Object> cancel() {
        return context.done();
    }

    /**
     * Runs {@code f} in a goroutine of its own once the request's context ends (Go's {@code context.AfterFunc}): the
     * exchange's watch of its request's end while the response body is in the caller's hands (P93, P94). Nothing is
     * registered for a context that never ends.
     *
     * @param f what to run
     * @return the registration; its {@code stop()} prevents the call
     */
    public io.gochan.AfterFunc afterContextEnd(Runnable f) {
        return Context.afterFunc(context, f);
    }

    /** @return the request's own deadline ({@link System#nanoTime()}), or {@code Long.MAX_VALUE} for none */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** @return true if the request has a timeout of its own */
    public boolean hasDeadline() {
        return deadlineNanos != Deadlines.NONE;
    }

    /**
     * Whether the request's own deadline can end it before its context's deadline does: it has one, and the context has
     * none or a later one. When false, whatever watches the context's end also sees the request's deadline in time, and
     * needs no timer of its own for it (P94).
     *
     * @return true if a watch of the request's end needs a timer for its own deadline
     */
    public boolean deadlineBeforeContexts() {
        if (!hasDeadline()) {
            return false;
        }
        java.util.Optional<java.time.Instant> contexts = context.deadline();
        // Timers.now(): the clock a context's deadline is set on (a bubble's virtual clock, inside one).
        return contexts.isEmpty() || io.gochan.Timers.now().plus(remaining()).isBefore(contexts.get());
    }

    /** @return time left until the request's own deadline, never negative; only meaningful if {@link #hasDeadline()} */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0L, deadlineNanos - System.nanoTime()));
    }

    /**
     * Adds the request's end to one of its waits (every wait of a request ends with it, E47): its context's done
     * channel, chosen as {@code cancelled}, and its own deadline, if it has one, as a timeout case chosen as
     * {@code deadline} (with the select's other timeouts the shortest counts, the first given among equal ones, so it is
     * added after them).
     *
     * @param s the wait's select, its own cases given
     * @param cancelled what the select yields when the context has ended
     * @param deadline what it yields when the request's deadline passes
     * @param <T> the select's result
     * @return {@code s}, to run
     */
    public <T> io.gochan.select.Select<T> addEnd(io.gochan.select.Select<T> s, T cancelled, T deadline) {
        s.receiveOk(cancel(), r -> cancelled);
        if (hasDeadline()) {
            s.timeout(remaining(), () -> deadline);
        }
        return s;
    }

    /**
     * Why the request must stop now, or null while it may go on: its context ended, or its own
     * deadline passed.
     *
     * @param phase what the request was doing, for the message ("waiting for a connection")
     * @return the exception to throw, or null
     */
    public IOException ended(String phase) {
        if (context.err() != null) {
            return contextEnded(phase);
        }
        if (hasDeadline() && System.nanoTime() - deadlineNanos >= 0) {
            return timedOut(phase);
        }
        return null;
    }

    /**
     * The exception for a context that ended: a {@link HttpTimeoutException} (kind REQUEST) if its
     * deadline passed, otherwise a {@link RequestCancelledException} (reason CONTEXT); its error is the cause.
     *
     * @param phase what the request was doing
     * @return the exception to throw
     */
    public IOException contextEnded(String phase) {
        CancellationException err = context.err();
        if (err instanceof DeadlineExceededException) {
            return new HttpTimeoutException(HttpTimeoutException.Kind.REQUEST,
                    "request timed out (its context's deadline passed) while " + phase, err);
        }
        return new RequestCancelledException(RequestCancelledException.Reason.CONTEXT,
                "request cancelled while " + phase + (err == null ? "" : ": " + ThrowableText.message(err)), err);
    }

    /**
     * The exception for the request's own timeout.
     *
     * @param phase what the request was doing
     * @return the exception to throw
     */
    public HttpTimeoutException timedOut(String phase) {
        return new HttpTimeoutException(HttpTimeoutException.Kind.REQUEST, "request timed out after "
                + request.timeout().map(Duration::toString).orElse("its deadline") + " while " + phase, null);
    }

    /**
     * The exception for an interrupt of a thread reading the body (where only IOException can be thrown).
     *
     * @param phase what the thread was doing
     * @param cause the lower-level failure the interrupt caused, or null
     * @return the exception to throw
     */
    public static RequestCancelledException interruptedWhile(String phase, Throwable cause) {
        return new RequestCancelledException(RequestCancelledException.Reason.INTERRUPT,
                "request cancelled: the thread was interrupted while " + phase, cause);
    }

    /**
     * The {@link InterruptedException} {@code roundTrip} throws, saying where it waited.
     *
     * @param phase what the request was doing
     * @return the exception to throw
     */
    public InterruptedException interrupted(String phase) {
        return new InterruptedException("interrupted while " + phase + " (" + request + ")");
    }

    /** @return true while nobody has claimed the request's {@code done()} (a cheap look: claiming is what decides) */
    public boolean doneUnclaimed() {
        return done.get() == DONE_OPEN;
    }

    /**
     * Claims the one {@code done()} of a request that ends well or whose response body ends (E22): a
     * response without a body when {@code roundTrip} returns it, a body at its end, close or failure. False if
     * it was already reported, or if the request fails although a response arrived
     * ({@link #responseLost()}): then only that failure is reported.
     *
     * @param report reports the {@code done()}: run here once no loop event of the request runs, or by a loop
     *     event that blocked past {@link #EVENT_WAIT_NANOS} as it ends (E67)
     * @return true if this call claimed it
     */
    public boolean claimDone(Runnable report) {
        if (done.compareAndSet(DONE_OPEN, DONE_REPORTED)) {
            reportAfterEvents(report);
            return true;
        }
        return false;
    }

    /**
     * Reports a claimed {@code done()} once no listener event of this request runs on a loop (E27): at once, or
     * after waiting for such an event. An event still running after {@link #EVENT_WAIT_NANOS} is a callback that
     * blocked: the request does not wait on for it (its caller would hang past its deadline, its interrupt and the
     * transport's close), and that event reports the {@code done()} as it ends, still the request's last (E67).
     */
    private void reportAfterEvents(Runnable report) {
        if (awaitEventsRunning()) {
            report.run();
            return;
        }
        doneLeftToEvent.set(report);
        if (eventsRunning.get() == 0) {
            // The event ended as it was being left the report: it may not have seen it, so whoever takes it runs it.
            Runnable r = doneLeftToEvent.getAndSet(null);
            if (r != null) {
                r.run();
            }
        }
    }

    /**
     * The request fails although a response arrived (it lost to the request's own body failure): closing that
     * response reports nothing; the failure {@code roundTrip} throws is the request's one {@code done()}.
     */
    public void responseLost() {
        done.compareAndSet(DONE_OPEN, DONE_ONLY_FAILURE);
    }

    /**
     * Claims the one {@code done()} of a request that {@code roundTrip} fails.
     *
     * @param report reports the failure: as {@link #claimDone(Runnable)} runs its report
     * @return true if this call claimed it; false if a {@code done()} was already reported
     */
    public boolean claimFailureDone(Runnable report) {
        if (done.compareAndSet(DONE_OPEN, DONE_REPORTED) || done.compareAndSet(DONE_ONLY_FAILURE, DONE_REPORTED)) {
            reportAfterEvents(report);
            return true;
        }
        return false;
    }

    /** @return the request's current attempt: 0, then one more for each retry */
    public int attempt() {
        return attempt;
    }

    /**
     * Notes {@code failure}, one this request is retried after (E156), for {@link #keepRetriedUnder}: the first
     * {@link #MOST_RETRIED_KEPT} only. The request's own thread.
     *
     * @param failure the retried attempt's failure, as the caller is to see it
     */
    public void retriedAfter(IOException failure) {
        if (retried == null) {
            retried = new java.util.ArrayList<>(2);
        }
        if (retried.size() < MOST_RETRIED_KEPT) {
            retried.add(failure);
        }
    }

    /**
     * Keeps the failures this request was retried after (E156) suppressed under {@code failure}, the one it fails
     * with, oldest first: each is what a stale connection did to it, why it dialed or waited again, which the caller
     * who sees only the last failure (its end that came during the retry, the new connection's failure) would
     * otherwise never learn. As OkHttp's retry keeps the failures it recovered from; Go's loop drops them. An
     * {@link Error} is left as it is (the caller must see it as thrown, E20). The request's own thread.
     *
     * @param failure what the request fails with
     */
    public void keepRetriedUnder(Throwable failure) {
        if (retried == null || !(failure instanceof Exception)) {
            return;
        }
        for (IOException r : retried) {
            if (r != failure) {
                failure.addSuppressed(r);
            }
        }
    }

    /**
     * Ends the current attempt, which failed and is about to be retried (called by the request's own thread):
     * an event of its connection's loops already running is waited for, and a later one is not reported, so a
     * listener hears the failed attempt's events before any of the retry's (E33).
     */
    public void endAttempt() {
        attempt++;
        awaitEventsRunning();
    }

    /**
     * Enters a listener event of this request on a connection's loop ({@code wroteHeaders}, {@code wroteRequest},
     * {@code gotFirstResponseByte}); call {@link #exitEvent()} after it. {@code done()} is the request's last
     * event (E27): once it is claimed, later events are not reported, and its reporter waits for one already
     * running (listener callbacks are quick, by contract). Likewise an event of an attempt that has ended (E33).
     *
     * @param ofAttempt the attempt the event belongs to ({@link #attempt()} when it began)
     * @return false if {@code done()} was already claimed or the attempt ended: the event is not reported
     */
    public boolean enterEvent(int ofAttempt) {
        if (done.get() == DONE_REPORTED || attempt != ofAttempt) {
            return false;
        }
        eventsRunning.incrementAndGet();
        if (done.get() == DONE_REPORTED || attempt != ofAttempt) { // ended meanwhile: its waiter may not have seen this event
            exitEvent();
            return false;
        }
        return true;
    }

    /** Ends an event entered with {@link #enterEvent(int)}; wakes a {@code done()} reporter waiting for it. */
    public void exitEvent() {
        if (eventsRunning.decrementAndGet() == 0) {
            Thread waiter = doneWaiter;
            if (waiter != null) {
                LockSupport.unpark(waiter);
            }
            Runnable report = doneLeftToEvent.getAndSet(null);
            if (report != null) {
                report.run(); // its reporter stopped waiting for this blocked event (E67): done() still comes last
            }
        }
    }

    /**
     * Waits until no event of this request runs on a loop (done() was just claimed or the attempt ended, so none
     * starts), for {@link #EVENT_WAIT_NANOS} at most: false if one still runs then (a listener that blocked, E67).
     */
    private boolean awaitEventsRunning() {
        if (eventsRunning.get() == 0) {
            return true;
        }
        doneWaiter = Thread.currentThread();
        boolean interrupted = Thread.interrupted(); // kept for the caller; a park must not return at once
        long deadline = System.nanoTime() + EVENT_WAIT_NANOS;
        try {
            while (eventsRunning.get() != 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    System.getLogger(RequestScope.class.getName()).log(System.Logger.Level.WARNING,
                            "a RequestListener callback of " + request + " has run for more than "
                                    + Duration.ofNanos(EVENT_WAIT_NANOS) + " on a connection's loop; callbacks must not"
                                    + " block: the request goes on without waiting for it");
                    return false;
                }
                LockSupport.parkNanos(this, left);
                interrupted |= Thread.interrupted();
            }
            return true;
        } finally {
            doneWaiter = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * What a request was doing when a failure met its end ({@link #endOver}): it says how an interrupt is reported.
     */
    public enum Phase {
        /**
         * Waiting for a dial, or dialing (E131): the caller throws an {@link InterruptedException}, so an interrupt's
         * status is cleared here.
         */
        DIAL,
        /**
         * {@code roundTrip} mapping its connection's failure (E154, E143, E144): as {@link #DIAL}, the interrupt's
         * status is cleared.
         */
        EXCHANGE,
        /**
         * A read of the streamed response body (E129), which can throw only an {@link IOException}: an interrupt is a
         * {@link RequestCancelledException} of reason {@code INTERRUPT}, its status kept (E62).
         */
        BODY_READ
    }

    /**
     * The one rule for a request's end against a failure that has not been reported yet (E129, E131, E143, E144,
     * E154): the request's end, if it has ended by now, replaces {@code failure}, which is kept suppressed under it
     * (never in its causes); null if {@code failure} stands. Go's {@code mapRoundTripError} returns
     * {@code pc.canceled()} before the error it received ("better than network failures that were likely the result
     * of tearing down the connection"), its {@code getConn} the context's cause before a dial's error, its body read
     * {@code pc.canceled()} before the read's error. Here the look is at the request itself, so the outcome never
     * depends on which ready case a select picked. The looks, in this order, the first that holds deciding:
     * <ol>
     * <li>{@code decided}, an end another party already gave the request (the exchange's abort cause), is returned
     * as it is: it came first, and may be thrown elsewhere too.</li>
     * <li>A {@code failure} that is itself the request's end ({@link #isEnd}) stands: null.</li>
     * <li>The thread's interrupt: a {@link RequestCancelledException} of reason {@code INTERRUPT} (see
     * {@link #isInterrupt}); the interrupt status is cleared or kept as {@code phase} says.</li>
     * <li>The context's end (cancelled, or its deadline passed), then the request's own deadline
     * ({@link #ended(String)}).</li>
     * <li>The transport's close ({@code transportClosed}): {@link #transportClosed()}.</li>
     * </ol>
     *
     * @param failure the failure about to be reported
     * @param phase what the request was doing
     * @param words what the request was doing, for the end's message ("awaiting response headers")
     * @param decided an end of the request already decided by another party, or null
     * @param transportClosed whether the request's transport has closed; asked last, and only if nothing else ended
     *     the request (a caller that must wait for the close to complete before saying so, E23, waits in it)
     * @return the end that replaces {@code failure}, or null if {@code failure} stands
     */
    public IOException endOver(IOException failure, Phase phase, String words, IOException decided,
            BooleanSupplier transportClosed) {
        if (isEnd(decided)) {
            return decided;
        }
        if (isEnd(failure)) {
            return null;
        }
        IOException end = null;
        if (phase == Phase.BODY_READ ? Thread.currentThread().isInterrupted() : Thread.interrupted()) {
            end = interruptedWhile(words, null);
        }
        if (end == null) {
            end = ended(words);
        }
        if (end == null && transportClosed.getAsBoolean()) {
            end = transportClosed();
        }
        if (end != null && failure != null && failure != end) {
            end.addSuppressed(failure);
        }
        return end;
    }

    /**
     * Whether {@code e} is the end of a request (a cancellation: its context, its interrupt, the transport's close;
     * or its own timeout, {@link HttpTimeoutException.Kind#REQUEST}) rather than a failure: what the rule that lets a
     * request's end win over a failure ({@link #endOver}) leaves as it is. The transport's own limits (a connect or
     * TLS handshake timeout, the response header and body read timeouts) are failures of a connection, not the
     * request's end: a request that ends before one is reported fails with its end (E131).
     *
     * @param e a failure, or null
     * @return true for a {@link RequestCancelledException} or an {@link HttpTimeoutException} of kind {@code REQUEST}
     */
    public static boolean isEnd(Throwable e) {
        return e instanceof RequestCancelledException
                || e instanceof HttpTimeoutException t && t.kind() == HttpTimeoutException.Kind.REQUEST;
    }

    /**
     * Whether {@code e} is the end {@link #endOver} words for the thread's interrupt.
     *
     * @param e a failure, or null
     * @return true for a {@link RequestCancelledException} with reason {@code INTERRUPT}
     */
    public static boolean isInterrupt(Throwable e) {
        return e instanceof RequestCancelledException r && r.reason() == RequestCancelledException.Reason.INTERRUPT;
    }

    /**
     * Whether {@code e} says the request was cancelled because its transport closed.
     *
     * @param e a failure, or null
     * @return true for a {@link RequestCancelledException} with reason {@code TRANSPORT_CLOSED}
     */
    public static boolean isTransportClosed(Throwable e) {
        return e instanceof RequestCancelledException r && r.reason() == RequestCancelledException.Reason.TRANSPORT_CLOSED;
    }

    /**
     * The cause every connection of a closed transport is closed with.
     *
     * @return a new exception
     */
    public static RequestCancelledException transportClosed() {
        return new RequestCancelledException(RequestCancelledException.Reason.TRANSPORT_CLOSED, "request cancelled: transport closed", null);
    }
}
