package io.gochan.http.internal.pool;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.GoroutineOwner;
import io.gochan.Received;
import io.gochan.Task;
import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.RequestCancelledException;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.ThrowableText;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The keep-alive pool: idle connections per {@link ConnectKey}, the per-host connection limit with a
 * FIFO queue of cancellable waiters, the global idle limit with least-recently-used eviction, and
 * the idle timeout. Its {@link Slot}s are the one registry of live connections and dials.
 *
 * <p>Contract: {@link #acquire} returns a connection that is exclusively the caller's until the
 * caller either {@linkplain #put puts it back} (its exchange ended and it may be reused: the one verb
 * that returns a connection) or closes it. A connection closes itself when it fails; its close
 * releases its slot. The number of connections per host (dialling, in use and idle) never exceeds
 * {@code maxConnsPerHost} (if positive). Waiters are served in arrival order; a request dialing for itself also
 * takes a connection put back for its host meanwhile, when no request waits at the limit (E54); a waiter that gives up
 * (interrupt, cancellation, deadline) leaves the queue, and a connection delivered to it at the same
 * moment is passed on, never lost. No socket is closed and no dial is started while the pool's lock
 * is held (Go issue 79902). {@link #close()} ends every connection, dial and waiter.
 *
 * @param <C> the connection type
 */
public final class ConnectionPool<C extends PooledConnection> implements AutoCloseable {
    /*
     * Implementation notes.
     *
     * One ReentrantLock guards all state. A request that finds no idle connection either takes a new
     * Slot (under the limit) and starts a dial goroutine for itself, or queues a WantConn; unless the limit
     * is held by connections closing (E30's "closing"): then it waits for their closes, unlocked, and looks
     * again (E41). Each WantConn
     * has a one-slot channel on which exactly one outcome (a connection or an error) is ever sent, under
     * the lock, by whoever serves it: a dial that finishes, a connection put back, close(). A waiter
     * that gives up marks itself cancelled under the lock, then drains its channel once: a connection it
     * finds there is put back for the next waiter, so nothing is lost.
     *
     * Slot accounting (ADR 0008): a Slot exists from dial start until release(); release() is idempotent,
     * and the connection calls it when it closes. A dial that completes after its connection already
     * closed (the server closed it at once) finds its slot released and does not count it again: the
     * order of dial completion, the connection's close and put() cannot lose or double a slot. Every dial records
     * an outcome, whatever its dialer throws (an undeclared checked exception included, E109) and also when its
     * goroutine cannot start (E110): an unrecorded one kept its slot dialing, and its request and close() waiting.
     *
     * Counting (E30): open = slots - dialing - closing. A connection the pool takes off its idle list (or
     * refuses) in order to close it is "closing" from that moment, under the lock, until its close releases
     * its slot: it is neither idle nor in use, and it still holds its slot under maxConnsPerHost.
     *
     * Dialing requests (E54, as Go's idleConnWait): a request whose dial is under way (started by acquire()
     * or, for a limit-queued waiter, by releaseLocked()) is also registered in its host's `dialing` queue, in
     * arrival order, until it is served, gives up or close() begins. put() hands a connection to the first
     * limit-queued waiter, else to the first dialing request, else to the idle list. Limit-queued waiters come
     * first: nothing else is coming for them, while a dialing request has its own dial, so a connection only
     * goes to a dialing request when it would otherwise have gone idle and no request waits longer than it
     * did before. A dialing request served that way is `served`; its dial goes on, and when it completes its
     * connection is an orphan that goes through put() (a failure is dropped, its slot released), as for a
     * waiter that gave up. The dialing queue is separate from `waiters`: stats() counts only the latter as
     * waiting, and releaseLocked() never starts a second dial for a request that has one.
     *
     * Dials and close() (E29): close() interrupts every dial goroutine and waits, on dialProgress, until each
     * has finished with its outcome (a late connection closed), except one inside a step an interrupt cannot
     * end (DialPhase: name resolution), which it gives up: no longer counted, its request failed by close().
     */

    /** Dials a new connection for a slot; runs on a dial goroutine. */
    @FunctionalInterface
    public interface Dialer<C> {
        /**
         * Opens a connection for {@code key}; may block. The connection owns {@code slot} and must
         * release it when it closes.
         *
         * @param key what to connect to
         * @param slot the slot the connection will own
         * @return the connection
         * @throws IOException if the dial failed (the pool then releases the slot)
         */
        C dial(ConnectKey key, Slot slot) throws IOException;
    }

    /**
     * Counters a user can read; a consistent snapshot.
     *
     * @param open connections established and not yet closed
     * @param idle connections in the idle pool
     * @param inUse open connections not idle
     * @param dialing dials in progress
     * @param waiting requests queued for a connection
     * @param dialed connections opened so far
     * @param reused connections handed out again (the pool's count; the transport counts only those a request
     *     then found open, E35)
     */
    public record Stats(int open, int idle, int inUse, int dialing, int waiting, long dialed, long reused) {}

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a dial goroutine ends or enters a step close() does not wait for. */
    private final Condition dialProgress = lock.newCondition();
    private final Dialer<C> dialer;
    private final int maxIdle;
    private final int maxIdlePerHost;
    private final int maxConnsPerHost;
    private final Duration idleTimeout;
    /**
     * {@link #idleTimeout} in nanoseconds, saturated (a {@code Duration} past ~292 years is {@code Long.MAX_VALUE}, where
     * {@code toNanos()} threw and ended the reaper, E78); 0 or less: kept for ever. Read by the reaper and at hand-out
     * (E79).
     */
    private final long idleTimeoutNanos;
    private final IdleReaper<C> reaper;
    /** Owns the dial and reaper goroutines (and, through the dials, the connections' loops); may be null. */
    private final GoroutineOwner owner;

    // Guarded by lock.
    /**
     * The hosts that hold something: a connection (dialing, in use, idle or closing), a waiter or a dialing request.
     * A host that holds nothing any more is forgotten (E126), as Go deletes its per-key entries ({@code idleConn},
     * {@code idleConnWait}, {@code connsPerHost}, {@code connsPerHostWait}) once they are empty: kept, every host a
     * long-lived transport ever reached (a crawler's millions) held an entry for the transport's life, and
     * {@link #stats()} and {@link #close()} walked them all under the lock.
     */
    private final Map<ConnectKey, Host<C>> hosts = new HashMap<>();
    /** Every idle connection and when it became idle, least recently used first. */
    private final LinkedHashMap<C, IdleAt> idleSince = new LinkedHashMap<>();
    private int slots;
    private int dialing;
    /** The last {@link WantConn#arrival} given. */
    private long arrivals;
    /** Connections taken off the idle list (or refused) to be closed, until their close releases their slot. */
    private final Set<C> closing = new HashSet<>();
    /** Written under the lock; read without it by {@link #isClosed()}. */
    private volatile boolean closed;
    /**
     * Set by {@link #closeIdle()}, cleared by the next request that looks for a connection: meanwhile a connection
     * put back that no request waits for is closed, not pooled (E56; Go's {@code closeIdle}, "close newly idle
     * connections"): a caller that closed the idle connections (a network change, a server moved) is not handed
     * one that was in use at that moment, nor left with one idle once the call and the exchanges it raced end.
     */
    private boolean closeNewlyIdle;
    /**
     * Closed once the first {@link #close()} has closed every connection and failed every waiter: whoever
     * learns that the pool is closed (another close(), a request refused or failed for it) waits for this
     * before saying so, so it never sees the close half done (E23).
     */
    private final Chan<Object> closeDone = Chan.make();

    /**
     * The wall clock, in milliseconds: {@link System#currentTimeMillis()}, replaced by tests that simulate a suspend
     * (E79). Read under the lock.
     */
    private LongSupplier wallClock = System::currentTimeMillis;

    private final AtomicLong dialedCount = new AtomicLong();
    private final AtomicLong reusedCount = new AtomicLong();

    /**
     * A pool.
     *
     * @param dialer opens connections
     * @param maxIdle idle connections kept in total (0 = no limit)
     * @param maxIdlePerHost idle connections kept per host (0 or negative: none are kept)
     * @param maxConnsPerHost connections per host, dialling + in use + idle (0 = no limit)
     * @param idleTimeout how long an idle connection is kept (zero = forever)
     */
    public ConnectionPool(Dialer<C> dialer, int maxIdle, int maxIdlePerHost, int maxConnsPerHost, Duration idleTimeout) {
        this(dialer, maxIdle, maxIdlePerHost, maxConnsPerHost, idleTimeout, null);
    }

    /**
     * A pool whose goroutines (dials, the idle reaper, and the connections' loops, which the dials
     * start) belong to {@code owner} (rule LK1), so that a leak check does not count them against a test
     * while the owner is open.
     *
     * @param dialer opens connections
     * @param maxIdle idle connections kept in total (0 = no limit)
     * @param maxIdlePerHost idle connections kept per host (0 or negative: none are kept)
     * @param maxConnsPerHost connections per host, dialling + in use + idle (0 = no limit)
     * @param idleTimeout how long an idle connection is kept (zero = forever)
     * @param owner the owner of the pool's goroutines; null: whoever starts them, as {@code Go.go} does
     */
    public ConnectionPool(Dialer<C> dialer, int maxIdle, int maxIdlePerHost, int maxConnsPerHost, Duration idleTimeout,
            GoroutineOwner owner) {
        this.owner = owner;
        this.dialer = Objects.requireNonNull(dialer, "dialer");
        this.maxIdle = maxIdle;
        this.maxIdlePerHost = maxIdlePerHost;
        this.maxConnsPerHost = maxConnsPerHost;
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.idleTimeoutNanos = TimeUnit.NANOSECONDS.convert(idleTimeout);
        this.reaper = idleTimeout.isZero() || idleTimeout.isNegative() ? null : new IdleReaper<>(this);
    }

    private static final class Host<C> {
        final ArrayDeque<C> idle = new ArrayDeque<>(); // most recently used first
        final ArrayDeque<WantConn<C>> waiters = new ArrayDeque<>();
        /** Requests whose dial is under way, not yet served, in arrival order: a connection put back may serve one (E54). */
        final ArrayList<WantConn<C>> dialing = new ArrayList<>();
        final LinkedHashSet<Slot> slots = new LinkedHashSet<>(); // dialling + in use + idle

        /** Holds nothing: no slot (so no connection, idle or not, and no dial), no waiter, no dialing request. */
        boolean holdsNothing() {
            return slots.isEmpty() && idle.isEmpty() && waiters.isEmpty() && dialing.isEmpty();
        }
    }

    /**
     * Forgets {@code key}'s host if it holds nothing any more (E126). Called where a host can become empty: a slot freed
     * (its connection closed, its dial failed or given up) and a waiter that gave up. Every other party that finds the
     * host gone makes a new one ({@code computeIfAbsent}) or has nothing to do there ({@code get} null-checked).
     */
    private void forgetIfEmptyLocked(ConnectKey key, Host<C> h) {
        if (h != null && h.holdsNothing()) {
            hosts.remove(key, h);
        }
    }

    /** How many hosts the pool keeps an entry for (E126); for tests. */
    int hostsKept() {
        lock.lock();
        try {
            return hosts.size();
        } finally {
            lock.unlock();
        }
    }

    /** One request's wish for a connection; see the implementation notes. */
    static final class WantConn<C> {
        final ConnectKey key;
        /** Capacity 1: the single outcome is delivered without ever blocking the deliverer. */
        final Chan<Outcome<C>> ready = Chan.make(1);
        boolean cancelled; // guarded by the pool lock
        /** Its one outcome is decided (sent, or about to be by whoever set this); guarded by the pool lock. */
        boolean served;
        /** Its place in arrival order, from its first look for a connection (0: none yet); guarded by the pool lock. */
        long arrival;

        WantConn(ConnectKey key) {
            this.key = key;
        }
    }

    private record Outcome<C>(C conn, IOException error, boolean reused) {}

    /** Carries an {@link Error} the dialer threw to the request waiting for that dial (E77), which throws it as it is. */
    private static final class DialerError extends IOException {
        private static final long serialVersionUID = 1L;

        DialerError(Object key, Error e) {
            super("dial to " + key + " failed: " + ThrowableText.of(e), e); // the dialer's text may throw too (E77)
        }
    }

    /**
     * The result of {@link #acquire}.
     *
     * @param conn the connection, exclusively the caller's
     * @param reused whether it came from the idle pool (or was put back by another exchange)
     * @param <C> the connection type
     */
    public record Acquired<C>(C conn, boolean reused) {}

    /**
     * Gets a connection for {@code key}: an idle one (most recently used first), or a new one once the
     * per-host limit allows. Blocks while the limit is reached, in FIFO order with other waiters, until
     * the request's context ends or its deadline passes. A limit held by connections that left the idle list
     * to be closed is not queued for: their closes are waited for (they never wait on a peer), and a freed slot
     * taken (E41).
     *
     * @param key what to connect to
     * @param scope the request's context and deadline
     * @return the connection and whether it was reused
     * @throws IOException if the dial failed, the request's context ended or its deadline passed
     *     (worded by {@code scope}), or the pool is closed
     * @throws InterruptedException if interrupted while waiting
     */
    public Acquired<C> acquire(ConnectKey key, RequestScope scope) throws IOException, InterruptedException {
        WantConn<C> want = new WantConn<>(key);
        Set<C> awaited = null; // closes this request waited for: each once, so the loop below ends (made when needed)
        while (true) {
            List<C> stale = new ArrayList<>();
            Acquired<C> idle = null;
            Slot dial = null;
            boolean refused = false;
            boolean queued = false;
            lock.lock();
            try {
                if (want.arrival == 0) {
                    want.arrival = ++arrivals; // kept when it looks again after closes (E41)
                }
                if (closed) {
                    refused = true;
                } else {
                    closeNewlyIdle = false; // a request wants a connection: connections put back are kept again (E56)
                    idle = takeIdleLocked(key, stale);
                    Host<C> h = hosts.get(key);
                    if (idle != null) {
                        // Returned below, once the stale connections it passed over are closed (E108).
                    } else if (maxConnsPerHost <= 0 || h.slots.size() < maxConnsPerHost) {
                        dial = newSlotLocked(h, key);
                        dial.want = want;
                        addDialingLocked(h, want);
                    } else {
                        // The limit may be held by connections that are closing (found closed on the idle list just
                        // now, or taken off it to be closed by the idle reaper, closeIdleConnections() or an idle
                        // limit): the request is not queued behind them. It waits for their closes below (they never
                        // wait on a peer) and looks again, so it takes the slot they free as a request that came a
                        // moment later would, without being counted waiting meanwhile (E41). Each close is waited for
                        // once: a request finding only ones it waited for already is queued.
                        for (C c : closing) {
                            if (c.key().equals(key) && !stale.contains(c) && (awaited == null || !awaited.contains(c))) {
                                stale.add(c);
                            }
                        }
                        if (stale.isEmpty()) {
                            h.waiters.addLast(want);
                            queued = true;
                        }
                    }
                }
            } finally {
                lock.unlock(); // no user code runs under it: an idle connection's socket is looked at below (E122)
            }
            if (refused) {
                awaitCloseDone(); // refused for a close: it is complete before the request says so (E23)
                throw RequestScope.transportClosed();
            }
            // A close of a connection already closing returns once that close is complete: its slot is then free.
            // Also when an idle connection behind them was handed out: taken off the idle list and counted closing,
            // nobody else would close them (E108).
            closeStale(stale);
            if (idle != null) {
                if (!unreadWhileIdle(idle.conn())) { // what it throws goes to the request, its connection closed (E114)
                    reusedCount.incrementAndGet();
                    return idle;
                }
                // Bytes wait on it (the server's close_notify, an idle 408): it is over. Closed, never handed out, and
                // the request, its body not yet used, looks again: another idle connection, or the slot this close
                // freed (E55).
                idle.conn().close(new HttpConnectionException("stale idle connection: bytes nobody asked for were"
                        + " waiting on it", null));
                continue;
            }
            if (dial != null) {
                startDial(dial, want);
            }
            if (dial != null || queued) {
                return awaitOutcome(want, scope);
            }
            if (awaited == null) {
                awaited = new HashSet<>();
            }
            awaited.addAll(stale);
        }
    }

    /**
     * Closes the idle connections a request passed over (or whose look threw, E114), outside the lock. A close of a
     * connection already closing returns once that close is complete: its slot is then free.
     */
    private static <C extends PooledConnection> void closeStale(List<C> stale) {
        stale.forEach(c -> c.close(new HttpConnectionException("stale idle connection", null)));
    }

    /**
     * The most recently used usable idle connection for {@code key}, or null; unusable ones go to {@code stale}. The one
     * returned is off the idle list, in use: whether bytes wait on its socket is asked by the caller once the lock is
     * left (E122).
     */
    private Acquired<C> takeIdleLocked(ConnectKey key, List<C> stale) {
        Host<C> h = hosts.computeIfAbsent(key, k -> new Host<>());
        for (C c; (c = h.idle.pollFirst()) != null; ) {
            IdleAt at = idleSince.remove(c);
            if (c.isUsable() && !tooOldLocked(at)) {
                return new Acquired<>(c, true);
            }
            // Closed but its close has not released the slot yet: it will. Or it is past its idle timeout and the
            // reaper has not closed it yet (E79): closed outside the lock, and never handed out, so the request, its
            // body not yet used, goes on another connection without a retry.
            stale.add(c);
            closing.add(c); // not idle any more, and not in use (E30)
        }
        return null;
    }

    /**
     * Whether bytes wait unread on the idle connection a request took (E55), asked outside the lock: for a socket a
     * {@link io.gochan.http.Dialer} returned it is that socket's {@code available()}, user code, which may block (a
     * {@code BufferedInputStream} that the connection's read loop, blocked in a read of it, holds) and then holds up
     * only this request, never every request, put(), the reaper and close() behind the pool's lock (E122). What it
     * throws (an {@link Error} of such a socket, E114) goes to the request once the connection is closed: off the idle
     * list, it is on no other, and nobody else would close it (its slot held for good).
     */
    private static <C extends PooledConnection> boolean unreadWhileIdle(C conn) {
        boolean looked = false;
        try {
            boolean unread = conn.unreadWhileIdle();
            looked = true;
            return unread;
        } finally {
            if (!looked) {
                conn.close(new HttpConnectionException("connection closed: the look for bytes waiting on its idle socket"
                        + " failed", null));
            }
        }
    }

    private Acquired<C> awaitOutcome(WantConn<C> want, RequestScope scope) throws IOException, InterruptedException {
        Outcome<C> o;
        String phase = "waiting for a connection to " + want.key;
        try {
            o = PoolWait.await(want.ready, scope.cancel(), scope.deadlineNanos());
        } catch (InterruptedException e) {
            Throwable dialFailure = giveUp(want);
            InterruptedException mine = scope.interrupted(phase);
            keep(mine, dialFailure);
            throw mine;
        }
        if (o == null) {
            Throwable dialFailure = giveUp(want);
            IOException ended = scope.ended(phase);
            ended = ended != null ? ended : scope.timedOut(phase);
            keep(ended, dialFailure);
            throw ended;
        }
        if (o.error != null) {
            if (closed) {
                awaitCloseDone(); // failed by the close: it is complete before the request says so (E23)
            }
            if (o.error instanceof DialerError d) {
                throw (Error) d.getCause(); // the dialer's Error, its type kept (E77)
            }
            throw endedOverDialFailure(o.error, scope, phase);
        }
        return new Acquired<>(o.conn, o.reused);
    }

    /**
     * What a request whose dial failed with {@code failure} fails with (E131, {@link RequestScope#endOver}): its own
     * end if it has ended by now (its thread interrupted, its context done, its deadline passed, its transport closed),
     * {@code failure} kept suppressed under it; otherwise {@code failure}. Go's {@code getConn}, handed a dial's error,
     * returns the context's cause if the request's context is done by then ("if the request has been canceled, that's
     * probably what caused r.err"), and its {@code mapRoundTripError} prefers the cancellation over a network failure.
     * Here the look is at the request itself, so the outcome no longer depends on which ready case the wait's select
     * picked: a dial that failed (a refused or reset connect, a failed handshake, a proxy's refusal, a dialer's
     * exception) after the request's end, with the caller not yet waiting, left both ready, and the select took one at
     * random (an interrupt lost to it always), as E154 found for a connection's failure while awaiting the head. A
     * failure that is itself an end stands: the transport's close ({@link #recordOutcome} words a dial failing under it
     * so) and the request's own timeout. An interrupt is reported as the wait's {@link InterruptedException}, its
     * status cleared, as for any thrown one.
     */
    private IOException endedOverDialFailure(IOException failure, RequestScope scope, String phase)
            throws InterruptedException {
        // RequestScope.isEnd counts only the request's own timeout: a connect or TLS handshake timeout is the dial's failure.
        IOException ended = scope.endOver(failure, RequestScope.Phase.DIAL, phase, null, () -> {
            if (!closed) {
                return false;
            }
            awaitCloseDone(); // E23, as above
            return true;
        });
        if (ended == null) {
            return failure;
        }
        if (RequestScope.isInterrupt(ended)) {
            InterruptedException mine = scope.interrupted(phase);
            mine.addSuppressed(failure);
            throw mine;
        }
        return ended;
    }

    /** Keeps {@code dialFailure} (null: none), the outcome a request that ended found ready too, under its end (E131). */
    private static void keep(Throwable end, Throwable dialFailure) {
        if (dialFailure != null && dialFailure != end) {
            end.addSuppressed(dialFailure);
        }
    }

    /**
     * The waiter leaves; an outcome delivered meanwhile is passed on (a connection) or returned (a failure, for the
     * request's end to keep, E131). Returns only once its own dial, interrupted here, has ended (E63), unless that dial
     * is inside name resolution.
     *
     * @return the failure that was delivered, or null
     */
    private Throwable giveUp(WantConn<C> want) {
        List<Slot> own = new ArrayList<>();
        Received<Outcome<C>> late;
        AfterPut<C> placed = null;
        lock.lock();
        try {
            want.cancelled = true;
            Host<C> h = hosts.get(want.key);
            if (h != null) {
                h.waiters.remove(want);
                h.dialing.remove(want);
                for (Slot s : h.slots) {
                    if (s.want != want) {
                        continue; // not a dial that serves it by E54 alone
                    }
                    own.add(s);
                    if (s.dialer != null && !s.dialReturned) {
                        // Its own dial ends with it, as Go 1.19's dial runs under the request's context (E57): a
                        // virtual thread's interrupt closes the socket it connects or handshakes on, the failure is
                        // dropped and the host's slot freed.
                        s.dialGivenUp = true;
                        s.dialer.interrupt();
                    }
                }
                forgetIfEmptyLocked(want.key, h); // its last waiter, whose host's connections all closed meanwhile (E126)
            }
            // Every connection is handed to a waiter under this lock: one handed to it is taken here and passed on in
            // the same step (E157), never counted in use by a request that has left.
            late = want.ready.tryReceive();
            if (late.ok() && late.value().conn != null) {
                placed = placeLocked(late.value().conn);
            }
        } finally {
            lock.unlock();
        }
        finish(placed);
        Throwable failure = null;
        if (late.ok() && late.value().conn == null) {
            // A dial failure that was ready as the request ended: kept under the end (E131). A dialer's Error as it is,
            // never lost (E77): dropped here, nobody logged it.
            failure = late.value().error instanceof DialerError d ? d.getCause() : late.value().error;
        }
        awaitOwnDials(own);
        return failure;
    }

    /**
     * Waits, not interruptibly, until the dials of a request that gave up have ended: failed and their slots freed,
     * or their connection (one that came anyway) passed on. An interrupted connect or handshake fails at once, and a
     * {@link io.gochan.http.Dialer} must answer an interrupt promptly (as {@link #close()} relies on, E29), so this
     * never waits on a peer; a dial inside name resolution, which no interrupt ends, is not waited for. So when the
     * request fails, the dial it started no longer counts as {@code dialing} and its slot is free (E63), as a
     * connection that failed is closed before its request fails (E21). Before, the request failed at once and its
     * dial was still counted (and held its host's slot under {@code maxConnsPerHost}) until it ended.
     */
    private void awaitOwnDials(List<Slot> own) {
        if (own.isEmpty()) {
            return;
        }
        Thread self = Thread.currentThread();
        lock.lock();
        try {
            while (dialUnderWayLocked(own, self)) {
                dialProgress.awaitUninterruptibly(); // keeps a later interrupt of the caller set
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reserves a slot for a dial as {@link #acquire} does, without starting one (the stress suites drive
     * {@link #dialFinished} themselves).
     */
    Slot reserveForDial(ConnectKey key) {
        lock.lock();
        try {
            return newSlotLocked(hosts.computeIfAbsent(key, k -> new Host<>()), key);
        } finally {
            lock.unlock();
        }
    }

    private Slot newSlotLocked(Host<C> h, ConnectKey key) {
        Slot s = new Slot(this, key);
        h.slots.add(s);
        slots++;
        dialing++;
        s.dialing = true;
        return s;
    }

    /**
     * Registers a request whose dial is under way (E54), in arrival order: one that waited at the limit arrived
     * before requests that dialed after it, and is placed before them.
     */
    private void addDialingLocked(Host<C> h, WantConn<C> w) {
        int i = h.dialing.size();
        while (i > 0 && h.dialing.get(i - 1).arrival > w.arrival) {
            i--;
        }
        h.dialing.add(i, w);
    }

    /** The slot's dial is no longer counted (idempotent): its outcome is recorded, or close() gave it up. */
    private void endDialLocked(Slot s) {
        if (s.dialing) {
            s.dialing = false;
            dialing--;
        }
    }

    /** Starts one of the pool's goroutines, under its owner if it has one. */
    Goroutine go(String name, Task task) {
        return owner != null ? owner.go(name, task) : Go.go(name, task);
    }

    /**
     * Starts the dial of {@code first} for {@code firstWant}. If its goroutine cannot start (E110), the dial its freed
     * slot starts for the next waiter is started here too, and so on: one after the other in this loop, never nested
     * (every start refused, with many waiters queued, did not grow the stack one level a waiter).
     */
    private void startDial(Slot first, WantConn<C> firstWant) {
        Slot slot = first;
        WantConn<C> want = firstWant;
        while (slot != null) {
            Slot next = null;
            try {
                goDial(slot, want);
            } catch (RuntimeException | Error e) {
                // Its goroutine could not start (its thread refused: an OutOfMemoryError): the dial's outcome all the
                // same, so its request fails with it and its slot is freed (E110). Before, the slot stayed counted
                // dialing for good: the host lost it under maxConnsPerHost, a connection put back could be handed to
                // the request that was no longer there, and close() waited for that dial for ever; thrown from
                // release(), the refusal also left the waiter it was for without an outcome.
                IOException error = e instanceof Error ? new DialerError(slot.key, (Error) e)
                        : new HttpConnectionException(
                                "dial to " + slot.key + " could not start: " + ThrowableText.of(e), e);
                try {
                    next = recordOutcome(slot, want, null, error); // its freed slot's next waiter: the next round
                } finally {
                    dialEnded(slot); // a close() waiting for this slot's dial looks again
                }
            }
            slot = next;
            want = next == null ? null : wantOf(next);
        }
    }

    /** The request a slot made by {@link #releaseLocked} dials for. */
    @SuppressWarnings("unchecked")
    private WantConn<C> wantOf(Slot s) {
        return (WantConn<C>) s.want;
    }

    private void goDial(Slot slot, WantConn<C> want) {
        go("http-dial " + slot.key, () -> {
            boolean refused;
            lock.lock();
            try {
                refused = closed || want.cancelled; // its request already gave up: nothing to dial for (E57)
                slot.dialThread = Thread.currentThread();
                if (!refused) {
                    slot.dialer = Thread.currentThread(); // close() interrupts it, and waits for it, from now on
                }
            } finally {
                lock.unlock();
            }
            if (refused) {
                try {
                    dialFinished(slot, want, null, RequestScope.transportClosed());
                } finally {
                    dialEnded(slot);
                }
                return;
            }
            try {
                C conn = null;
                IOException error = null;
                DialPhase.CURRENT.set(slot);
                try {
                    conn = dialer.dial(slot.key, slot);
                    dialedCount.incrementAndGet();
                } catch (IOException e) {
                    error = e;
                } catch (RuntimeException e) {
                    // Its text asked safely: the Dialer's code too. Thrown from here, it ended this goroutine before
                    // dialFinished, and the request waited for the dial's outcome until its deadline, or for ever (E77).
                    error = new HttpConnectionException("dial to " + slot.key + " failed: " + ThrowableText.of(e), e);
                } catch (Error e) {
                    // The dialer's own failure (a test's assertion, an OutOfMemoryError): its request's, thrown to it
                    // as it is (E77). Let out of this goroutine it was only logged, and the request waited forever.
                    error = new DialerError(slot.key, e);
                } catch (Throwable e) {
                    // A checked exception the dialer's code let out undeclared (Kotlin, a sneaky throw): most often the
                    // InterruptedException of a wait that close() or its request's give-up interrupted. Let out of this
                    // goroutine it skipped dialFinished: the slot stayed dialing for good, the request waited for ever
                    // (its give-up too, E63), and so did close() (E109).
                    error = new HttpConnectionException("dial to " + slot.key + " failed: " + ThrowableText.of(e), e);
                } finally {
                    DialPhase.CURRENT.remove();
                    lock.lock();
                    try {
                        slot.dialReturned = true; // no request's give-up interrupts it after this (E57)
                    } finally {
                        lock.unlock();
                    }
                }
                // An interrupt from close() or from its request giving up (E57) is answered by the dial's outcome.
                Thread.interrupted();
                dialFinished(slot, want, conn, error);
            } finally {
                dialEnded(slot);
            }
        });
    }

    /** The dial goroutine has done everything with its outcome (a late connection is closed): close() may return. */
    private void dialEnded(Slot slot) {
        lock.lock();
        try {
            slot.dialer = null;
            slot.resolving = false;
            dialProgress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A dial enters a step its interrupt cannot end; false if its pool is closed or it was interrupted: give up. */
    boolean enterUninterruptible(Slot slot) {
        lock.lock();
        try {
            if (closed || Thread.currentThread().isInterrupted()) {
                return false;
            }
            slot.resolving = true;
            dialProgress.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The dial left that step: a closing pool waits for it again (it fails at once, interrupted). */
    void leaveUninterruptible(Slot slot) {
        lock.lock();
        try {
            slot.resolving = false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * What of the pool's interrupts the dial on {@code slot}: its close, or its request giving up (E57).
     *
     * @return why, or null if neither has: an interrupt of its thread is then user code's (E148)
     */
    String interruptReason(Slot slot) {
        lock.lock();
        try {
            return closed ? "the transport closed" : slot.dialGivenUp ? "its request gave up" : null;
        } finally {
            lock.unlock();
        }
    }

    /** Records a dial's outcome and hands it to its waiter, or passes an unwanted connection on. */
    void dialFinished(Slot slot, WantConn<C> want, C conn, IOException error) {
        Slot next = recordOutcome(slot, want, conn, error);
        if (next != null) {
            startDial(next, wantOf(next));
        }
    }

    /**
     * What {@link #dialFinished} does, except that the dial of the next waiter, for which a failed dial freed its
     * slot, is returned (null: none) for the caller to start.
     */
    private Slot recordOutcome(Slot slot, WantConn<C> want, C conn, IOException error) {
        boolean orphan;
        boolean closeIt = false;
        AfterPut<C> placed = null;
        Slot next = null;
        lock.lock();
        try {
            endDialLocked(slot);
            Host<C> h = hosts.get(slot.key);
            if (h != null) {
                h.dialing.remove(want); // served now by this outcome, or already (put(), close()), or gave up (E54)
            }
            if (conn == null) {
                next = releaseLocked(slot); // before the outcome: a caller that sees the failure sees the slot free
            } else if (closed) {
                closeIt = true; // close() could not see this connection yet
            } else if (!slot.released) {
                slot.conn = conn; // released already: the connection closed itself before we got here
            }
            if (closed) {
                IOException why = error;
                error = RequestScope.transportClosed(); // the dial's own failure (interrupted by close()) is its consequence
                if (why != null) {
                    error.initCause(why);
                }
            }
            // served: close() gave this dial up and failed its request, or put() served it a connection (E54)
            orphan = want.cancelled || want.served;
            if (!orphan) {
                want.served = true;
                if (!closeIt) {
                    want.ready.trySend(conn == null ? new Outcome<>(null, error, false) : new Outcome<>(conn, null, false));
                }
            } else if (conn != null && !closeIt) {
                // Nobody wants it any more: it may serve the next request. Placed in the step that ends its dial
                // (E157): put back once the lock was left, it was counted open and in use by nobody in between, so a
                // caller whose request had ended found inUse=1 with every request over.
                placed = placeLocked(conn);
            }
        } finally {
            lock.unlock();
        }
        finish(placed);
        if (closeIt) {
            // Closed before the waiter hears why (E23): when its request fails, this connection is closed and its
            // slot free. Sent outside the lock: this dial is the waiter's only server (close() fails only queued
            // waiters), and a waiter that gave up meanwhile drops an error unread.
            conn.close(RequestScope.transportClosed());
            if (!orphan) {
                want.ready.trySend(new Outcome<>(null, error, false));
            }
        }
        if (orphan && (error instanceof DialerError || error != null && error.getCause() instanceof DialerError)) {
            // No request is left to throw it to (it gave up, or was served meanwhile): logged, never lost (E77). Under
            // a close it is the cause of the close's failure.
            DialerError d = error instanceof DialerError own ? own : (DialerError) error.getCause();
            ThrowableText.log(System.getLogger(ConnectionPool.class.getName()), System.Logger.Level.WARNING,
                    "the dialer failed after its request had left: " + d.getMessage(), d.getCause());
        }
        return next; // only for a failed dial (conn null): nothing above ran for it but the log
    }

    /**
     * Returns a connection whose exchange ended cleanly and that may be reused (the pool's one verb for
     * it): it goes to the first waiter for its host, or to the idle list; if the idle limits are
     * reached, the pool is closed or the connection is no longer usable, the pool closes it.
     *
     * @param conn the connection
     */
    public void put(C conn) {
        if (!conn.isUsable()) {
            return; // its close released its slot
        }
        AfterPut<C> after;
        lock.lock();
        try {
            after = placeLocked(conn);
        } finally {
            lock.unlock();
        }
        finish(after);
    }

    /**
     * What a connection put back still needs once the lock is left: connections to close (the one refused, or the
     * oldest idle one an idle limit pushed out) with the words of why, and whether one became idle (the reaper is told).
     */
    private record AfterPut<C>(C refused, C evicted, String why, boolean becameIdle) {}

    /** The usual outcome of a put, shared: the connection became idle and nothing is to be closed (no allocation). */
    private static final AfterPut<?> BECAME_IDLE = new AfterPut<>(null, null, null, true);

    /**
     * Places a connection put back, under the lock, in one step with whatever ended its use (E157): to the first
     * waiter for its host, a request dialing for itself (E54), the idle list, or, refused (a closed pool, an idle limit,
     * E56), among the connections closing, so that no snapshot of the counters finds it in use by nobody. Returns what
     * is left to do once the lock is left ({@link #finish}), or null if nothing is (handed over, or closed meanwhile).
     */
    private AfterPut<C> placeLocked(C conn) {
        if (!conn.isUsable()) {
            return null; // closed meanwhile: its slot's release (under this lock) may already have run
        }
        Host<C> h = hosts.computeIfAbsent(conn.key(), k -> new Host<>());
        // Limit-queued waiters first (nothing else is coming for them), then a request dialing for itself, whose
        // dial goes on and ends as an orphan (E54; see the implementation notes).
        WantConn<C> w = closed ? null : h.waiters.pollFirst();
        if (w == null && !closed && !h.dialing.isEmpty()) {
            w = h.dialing.remove(0);
            w.served = true; // its dial's outcome is now an orphan's (dialFinished), and close() does not fail it
        }
        if (w != null) {
            w.ready.trySend(new Outcome<>(conn, null, true));
            reusedCount.incrementAndGet();
            return null;
        }
        if (closed || closeNewlyIdle || maxIdlePerHost <= 0 || h.idle.size() >= maxIdlePerHost) {
            closing.add(conn); // refused: closed, not in use (E30)
            return new AfterPut<>(conn, null, closed ? "transport closed"
                    : closeNewlyIdle ? "idle connections closed (E56)" : "idle limit per host reached", false);
        }
        h.idle.addFirst(conn);
        idleSince.put(conn, new IdleAt(System.nanoTime(), wallClock.getAsLong()));
        if (maxIdle > 0 && idleSince.size() > maxIdle) {
            C oldest = idleSince.keySet().iterator().next();
            removeIdleLocked(oldest);
            closing.add(oldest);
            return new AfterPut<>(null, oldest, "idle limit reached", true);
        }
        @SuppressWarnings("unchecked")
        AfterPut<C> idle = (AfterPut<C>) BECAME_IDLE;
        return idle;
    }

    /** Does, with the lock left, what {@link #placeLocked} left to do: the closes, and the reaper's wake-up. */
    private void finish(AfterPut<C> after) {
        if (after == null) {
            return;
        }
        if (after.refused() != null) {
            closeRefused(after.refused(), after.why());
        }
        if (after.evicted() != null) {
            closeRefused(after.evicted(), after.why());
        }
        if (after.becameIdle() && reaper != null) {
            reaper.wake();
        }
    }

    /** Closes a connection the pool refused or pushed out of its idle list, saying why. */
    private void closeRefused(C c, String why) {
        c.close(closed ? RequestScope.transportClosed() : new HttpConnectionException("connection closed: " + why, null));
    }

    /** Frees a slot (idempotent) and gives the host's freed capacity to its first waiter. */
    void release(Slot slot) {
        Slot next;
        boolean lastIdleClosed;
        lock.lock();
        try {
            boolean wasIdle = slot.conn != null && idleSince.containsKey(slot.conn);
            next = releaseLocked(slot);
            lastIdleClosed = wasIdle && idleSince.isEmpty();
        } finally {
            lock.unlock();
        }
        if (lastIdleClosed && reaper != null) {
            // The last idle connection closed while idle (its server ended it): nothing is left for the reaper to
            // watch, so it ends now rather than at the expiry it sleeps towards (P106).
            reaper.rescan();
        }
        if (next != null) {
            startDial(next, wantOf(next));
        }
    }

    /**
     * Frees a slot under the lock; returns the slot of the dial to start, once unlocked, for the first waiter (its
     * {@code want}), or null.
     */
    private Slot releaseLocked(Slot slot) {
        if (slot.released) {
            return null;
        }
        slot.released = true;
        Host<C> h = hosts.get(slot.key);
        if (h != null && h.slots.remove(slot)) {
            slots--;
        }
        @SuppressWarnings("unchecked")
        C c = (C) slot.conn;
        if (c != null) {
            removeIdleLocked(c);
            closing.remove(c);
            slot.conn = null;
        }
        if (h != null && !closed && (maxConnsPerHost <= 0 || h.slots.size() < maxConnsPerHost)) {
            WantConn<C> w = h.waiters.pollFirst();
            if (w != null) {
                Slot s = newSlotLocked(h, slot.key);
                s.want = w;
                addDialingLocked(h, w); // from now on it dials: a connection put back may serve it (E54)
                return s;
            }
        }
        forgetIfEmptyLocked(slot.key, h); // its last connection or dial: the host is forgotten (E126)
        return null;
    }

    /**
     * Closes every idle connection (Go's CloseIdleConnections) and returns once each is closed and its slot
     * free, also those that had already left the idle list to be closed by someone else (the idle reaper, an
     * idle limit, a request that found one stale) and were still closing: a close of a connection already
     * closing waits for that close (E34). Until the next request looks for a connection, a connection put back that
     * no request waits for is closed instead of pooled, as Go's {@code closeIdle} flag (E56). The idle reaper then ends
     * (P106).
     */
    public void closeIdle() {
        List<C> toClose;
        lock.lock();
        try {
            List<C> idle = new ArrayList<>(idleSince.keySet());
            idle.forEach(this::removeIdleLocked);
            toClose = new ArrayList<>(closing); // taken before: their closer may not have begun, or not finished
            toClose.addAll(idle);
            closing.addAll(idle); // from now on neither idle nor in use (E30)
            closeNewlyIdle = true; // and those in use that come back before the next request are closed too (E56)
        } finally {
            lock.unlock();
        }
        toClose.forEach(c -> c.close(new HttpConnectionException("idle connections closed", null)));
        if (reaper != null) {
            // Nothing is idle now: the reaper ends instead of sleeping on for up to the idle timeout (P106).
            reaper.rescan();
        }
    }

    /**
     * Whether {@link #close()} has begun. Never blocks.
     *
     * @return true once the pool is closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Ends everything: refuses new acquisitions, interrupts every dial (its request fails), closes every
     * connection, idle or in use, with a {@code TRANSPORT_CLOSED} cause, waits for the interrupted dials to
     * end (a connection one of them made anyway is closed), and then fails every waiter. Returns, on every
     * thread that calls it, once that is done: every connection closed, its slot free, no dial counted or
     * under way, nobody waiting (E23, E29). A dial inside name resolution ({@link DialPhase}), which no
     * interrupt ends, is not waited for: it is given up (its request fails now) and opens nothing when its
     * resolver returns. Nor does it wait for the connections' loops. An interrupt of the closing thread ends
     * its wait for the dials still under way (they are given up as well) and stays set; a dial that already has
     * its connection and is closing it (it came after the close began) is still waited for: that close never
     * waits on a peer, and until it is done the connection counts open (E42).
     */
    @Override
    public void close() {
        List<WantConn<C>> waiters = new ArrayList<>();
        List<PooledConnection> live = new ArrayList<>();
        List<Slot> dials = new ArrayList<>();
        boolean first;
        lock.lock();
        try {
            first = !closed;
            if (first) {
                closed = true;
                collectLocked(waiters, live, dials);
            }
        } finally {
            lock.unlock();
        }
        if (!first) {
            awaitCloseDone(); // return only once the closing thread is done (E23)
            return;
        }
        try {
            for (Slot s : dials) {
                Thread t = s.dialer; // read once: a dial that ends meanwhile clears it
                if (t != null) {
                    t.interrupt(); // a virtual thread's interrupt closes the socket it connects or handshakes on
                }
            }
            live.forEach(c -> c.close(RequestScope.transportClosed()));
            waiters.addAll(awaitDials(dials));
            // The waiters last, outside the lock (they left the queues under it, so nobody else serves them and
            // one that gives up meanwhile drops this error unread): a request that fails for the close finds
            // every connection closed (E23).
            for (WantConn<C> w : waiters) {
                w.ready.trySend(new Outcome<>(null, RequestScope.transportClosed(), false));
            }
            if (reaper != null) {
                reaper.stop();
            }
        } finally {
            closeDone.close();
        }
    }

    /**
     * Waits until every dial goroutine of {@code dials} has ended (one not started yet starts, finds the pool
     * closed and ends), except those inside name resolution and the calling thread's own (a dialer that
     * closes its transport); then gives up the dials still counted: they stop counting, their slots are
     * freed, and their requests are returned to be failed by the caller (E29); a dial past its outcome, closing
     * a late connection, is waited for even after an interrupt (E42). The dials that ended are joined, so none
     * is still running when close() returns.
     */
    private List<WantConn<C>> awaitDials(List<Slot> dials) {
        List<WantConn<C>> givenUp = new ArrayList<>();
        List<Thread> ended = new ArrayList<>();
        Thread self = Thread.currentThread();
        lock.lock();
        try {
            try {
                while (dialUnderWayLocked(dials, self)) {
                    dialProgress.await(); // each interrupted dial ends soon: a connect or handshake fails at once
                }
            } catch (InterruptedException e) {
                self.interrupt(); // the closing thread's own interrupt: stop waiting, give the rest up
            }
            Set<Slot> givenUpSlots = new HashSet<>();
            for (Slot s : dials) {
                if (s.dialThread == self) {
                    continue; // a dialer closing its own transport: its dial ends (its connection closed) when it returns
                }
                if (s.dialing) { // inside name resolution (or not waited for): given up
                    endDialLocked(s);
                    releaseLocked(s); // the pool is closed: starts nothing
                    givenUpSlots.add(s);
                    @SuppressWarnings("unchecked")
                    WantConn<C> w = (WantConn<C>) s.want;
                    if (w != null && !w.served && !w.cancelled) {
                        w.served = true;
                        givenUp.add(w);
                    }
                }
            }
            // A dial past its outcome (its connection came after the close began, and it is closing it) is waited
            // for even when an interrupt ended the wait above: it never waits on a peer (a connection's close does
            // not), and until it is done that connection's slot still counts open and in use. Without this wait an
            // interrupted close() returned with the connection still counted (E42).
            while (finishingLocked(dials, givenUpSlots, self)) {
                dialProgress.awaitUninterruptibly(); // keeps the closing thread's interrupt set
            }
            for (Slot s : dials) {
                if (s.dialThread != self && s.dialer == null && s.dialThread != null) {
                    ended.add(s.dialThread);
                }
            }
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : ended) {
            while (true) {
                try {
                    t.join(); // it has signalled its end: only its last instructions are left
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            self.interrupt();
        }
        return givenUp;
    }

    /** A dial of {@code dials}, not given up and not the caller's own, that has its outcome and is still finishing. */
    private static boolean finishingLocked(List<Slot> dials, Set<Slot> givenUp, Thread self) {
        for (Slot s : dials) {
            if (!s.dialing && s.dialer != null && s.dialThread != self && !givenUp.contains(s)) {
                return true;
            }
        }
        return false;
    }

    private boolean dialUnderWayLocked(List<Slot> dials, Thread self) {
        for (Slot s : dials) {
            if ((s.dialing || s.dialer != null) && !s.resolving && s.dialThread != self) {
                return true;
            }
        }
        return false;
    }

    /** What close() ends: the queued waiters (taken off their queues), the live connections, the dials under way. */
    private void collectLocked(List<WantConn<C>> waiters, List<PooledConnection> live, List<Slot> dials) {
        for (Host<C> h : hosts.values()) {
            waiters.addAll(h.waiters);
            h.waiters.clear();
            // A dialing request is ended by its dial (interrupted: its outcome), or failed by awaitDials() when the
            // dial is given up; nothing serves it from this queue once the pool is closed (E54).
            h.dialing.clear();
            for (Slot s : h.slots) {
                if (s.conn != null) {
                    live.add(s.conn);
                }
                if (s.dialing || s.dialer != null) {
                    dials.add(s);
                }
            }
        }
    }

    /** Closed once the first {@link #close()} is done (E23); for {@link Slot#poolCloseDone()}. */
    io.gochan.ReceiveChan<Object> closeDone() {
        return closeDone.receiveOnly();
    }

    /**
     * If {@link #close()} has begun, waits until it is done (every connection closed, every waiter failed);
     * returns at once otherwise. For whoever is about to say that a request failed because the pool closed
     * (E23). Not interruptible: the close never waits on a peer.
     */
    public void awaitClosedIfClosing() {
        if (closed) {
            awaitCloseDone();
        }
    }

    /** Waits, not interruptibly (it is short and never waits on a peer), until the first close() is done. */
    private void awaitCloseDone() {
        boolean interrupted = false;
        while (true) {
            try {
                closeDone.receiveOk();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A snapshot of the counters.
     *
     * @return the counters
     */
    public Stats stats() {
        lock.lock();
        try {
            int waiting = 0;
            for (Host<C> h : hosts.values()) {
                waiting += h.waiters.size();
            }
            int open = slots - dialing - closing.size();
            return new Stats(open, idleSince.size(), open - idleSince.size(), dialing, waiting,
                    dialedCount.get(), reusedCount.get());
        } finally {
            lock.unlock();
        }
    }

    /** When a connection became idle: on the monotonic clock (the reaper's) and on the wall clock (E79). */
    private record IdleAt(long nanos, long wallMillis) {}

    /**
     * Whether an idle connection is past the idle timeout, judged as it is handed out (E79), as Go's
     * {@code queueForIdleConn} judges it ({@code tooOld}): by the monotonic clock, for a reaper that is late, and by the
     * wall clock, which, unlike the monotonic one ({@code System.nanoTime()}, CLOCK_MONOTONIC on Linux), goes on while
     * the machine is suspended, so a laptop or VM that wakes up is not handed connections its servers closed long
     * ago. The wall age is counted a millisecond short (its resolution), so it never ends a connection early; a wall
     * clock set back leaves the monotonic age to decide.
     */
    private boolean tooOldLocked(IdleAt at) {
        long timeout = idleTimeoutNanos;
        if (at == null || timeout <= 0) {
            return false;
        }
        if (System.nanoTime() - at.nanos() >= timeout) {
            return true;
        }
        long wallAge = wallClock.getAsLong() - at.wallMillis() - 1;
        return wallAge > 0 && TimeUnit.MILLISECONDS.toNanos(wallAge) >= timeout;
    }

    /** Replaces the wall clock (tests of E79 simulate a suspend with it). */
    void wallClock(LongSupplier clock) {
        lock.lock();
        try {
            wallClock = Objects.requireNonNull(clock, "clock");
        } finally {
            lock.unlock();
        }
    }

    /** Closes idle connections older than the idle timeout; returns nanos until the next expiry (or -1). */
    long reapExpired() {
        return reap(idleTimeoutNanos, "idle connection closed after " + idleTimeout);
    }

    /** Closes every idle connection, for a reaper that ended abnormally (E85): none outlives its timeout unwatched. */
    void reapAll() {
        reap(0, "idle connection closed: the idle reaper ended");
    }

    private long reap(long timeout, String why) {
        List<C> toClose = new ArrayList<>();
        long next = -1;
        long now = System.nanoTime();
        lock.lock();
        try {
            for (Iterator<Map.Entry<C, IdleAt>> it = idleSince.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<C, IdleAt> e = it.next();
                long age = now - e.getValue().nanos();
                if (age >= timeout) {
                    it.remove();
                    Host<C> h = hosts.get(e.getKey().key());
                    if (h != null) {
                        h.idle.remove(e.getKey());
                    }
                    toClose.add(e.getKey());
                    closing.add(e.getKey()); // from now on neither idle nor in use (E30)
                } else {
                    long left = timeout - age;
                    next = next < 0 ? left : Math.min(next, left);
                }
            }
        } finally {
            lock.unlock();
        }
        toClose.forEach(c -> c.close(new HttpConnectionException(why, null)));
        return next;
    }

    private void removeIdleLocked(C c) {
        if (idleSince.remove(c) != null) {
            Host<C> h = hosts.get(c.key());
            if (h != null) {
                h.idle.remove(c);
            }
        }
    }
}
