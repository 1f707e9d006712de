package io.gochan.http.internal.pool;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.Received;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The keep-alive pool: idle connections per {@link ConnectKey}, the per-host connection limit with a
 * FIFO queue of cancellable waiters, the global idle limit with least-recently-used eviction, and
 * the idle timeout.
 *
 * <p>Contract: {@link #acquire} returns a connection that is exclusively the caller's until it calls
 * exactly one of {@link #release} (the connection may be reused) or {@link #discard} (it is closed or
 * must not be reused). The number of connections per host — dialling, in use and idle — never exceeds
 * {@code maxConnsPerHost} (if positive). Waiters are served in arrival order; a waiter that gives up
 * (interrupt, cancellation, deadline) leaves the queue, and a connection delivered to it at the same
 * moment is passed on, never lost. No socket is closed and no dial is started while the pool's lock
 * is held (Go issue 79902).
 *
 * @param <C> the connection type
 */
public final class ConnectionPool<C extends PooledConnection> implements AutoCloseable {
    /*
     * Implementation notes.
     *
     * One ReentrantLock guards all maps and counters. A request that finds no idle connection either
     * gets a dial slot (perHost.total++, then a dial goroutine) or joins the host's FIFO of WantConns.
     * Every outcome for a WantConn (a connection, or a dial error) is delivered by a trySend into its
     * capacity-1 channel while holding the lock; a waiter that gives up marks itself cancelled under
     * the same lock. So after the waiter's own locked section, either the outcome is already in its
     * channel (it takes it and hands the connection back), or nothing will ever be delivered to it.
     * That is Go's wantConn "exactly one outcome" rule without a second CAS.
     *
     * Slot accounting: total counts connections from the moment a dial starts until discard().
     * discard() is idempotent per connection (slotReleased) so a connection closed by several parties
     * frees its slot once. A freed slot goes to the first waiter, for whom the pool starts a dial.
     */

    /** Dials a new connection; runs on a dial goroutine. */
    @FunctionalInterface
    public interface Dialer<C> {
        /** Opens a connection for {@code key}; may block. */
        C dial(ConnectKey key) throws IOException;
    }

    /** Counters a user can read; a consistent snapshot. */
    public record Stats(int open, int idle, int inUse, int dialing, int waiting, long dialed, long reused) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Dialer<C> dialer;
    private final int maxIdle;
    private final int maxIdlePerHost;
    private final int maxConnsPerHost;
    private final Duration idleTimeout;
    private final IdleReaper<C> reaper;

    // Guarded by lock.
    private final Map<ConnectKey, Host<C>> hosts = new HashMap<>();
    /** All idle connections, least recently used first. */
    private final LinkedHashSet<C> idleLru = new LinkedHashSet<>();
    private final Map<C, Long> idleSince = new HashMap<>();
    private final Map<C, Boolean> slotHeld = new HashMap<>();
    private int dialing;
    private boolean closed;

    private final AtomicLong dialedCount = new AtomicLong();
    private final AtomicLong reusedCount = new AtomicLong();

    /**
     * A pool.
     *
     * @param maxIdle idle connections kept in total (0 = no limit)
     * @param maxIdlePerHost idle connections kept per host (0 or negative: none are kept)
     * @param maxConnsPerHost connections per host, dialling + in use + idle (0 = no limit)
     * @param idleTimeout how long an idle connection is kept (zero = forever)
     */
    public ConnectionPool(Dialer<C> dialer, int maxIdle, int maxIdlePerHost, int maxConnsPerHost, Duration idleTimeout) {
        this.dialer = Objects.requireNonNull(dialer, "dialer");
        this.maxIdle = maxIdle;
        this.maxIdlePerHost = maxIdlePerHost;
        this.maxConnsPerHost = maxConnsPerHost;
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.reaper = idleTimeout.isZero() || idleTimeout.isNegative() ? null : new IdleReaper<>(this);
    }

    private static final class Host<C> {
        final ArrayDeque<C> idle = new ArrayDeque<>(); // most recently used first
        final ArrayDeque<WantConn<C>> waiters = new ArrayDeque<>();
        int total; // dialling + in use + idle
    }

    /** One request's wish for a connection; see the implementation notes. */
    private static final class WantConn<C> {
        final ConnectKey key;
        /** Capacity 1: the single outcome is delivered without ever blocking the deliverer. */
        final Chan<Outcome<C>> ready = Chan.make(1);
        boolean cancelled; // guarded by the pool lock

        WantConn(ConnectKey key) {
            this.key = key;
        }
    }

    private record Outcome<C>(C conn, IOException error, boolean reused) {}

    /** The result of {@link #acquire}: a connection and whether it was reused from the idle pool. */
    public record Acquired<C>(C conn, boolean reused) {}

    /**
     * Gets a connection for {@code key}: an idle one (most recently used first), or a new one once the
     * per-host limit allows. Blocks while the limit is reached, in FIFO order with other waiters.
     *
     * @param cancel a channel whose becoming ready (closed, or a value) cancels the wait; may be null
     * @param deadlineNanos {@link System#nanoTime()} deadline, or {@code Long.MAX_VALUE}
     * @throws IOException if the dial failed, the deadline passed, or the pool is closed
     * @throws InterruptedException if interrupted while waiting
     */
    public Acquired<C> acquire(ConnectKey key, ReceiveChan<?> cancel, long deadlineNanos)
            throws IOException, InterruptedException {
        WantConn<C> want = new WantConn<>(key);
        List<C> stale = new ArrayList<>();
        List<Runnable> after = new ArrayList<>();
        boolean dial = false;
        lock.lock();
        try {
            if (closed) {
                throw new IOException("transport is closed");
            }
            Host<C> h = hosts.computeIfAbsent(key, k -> new Host<>());
            for (C c; (c = h.idle.pollFirst()) != null; ) {
                idleLru.remove(c);
                idleSince.remove(c);
                if (c.isUsable()) {
                    reusedCount.incrementAndGet();
                    return new Acquired<>(c, true);
                }
                stale.add(c);
                releaseSlotLocked(c, h, after);
            }
            if (maxConnsPerHost <= 0 || h.total < maxConnsPerHost) {
                h.total++;
                dialing++;
                dial = true;
            } else {
                h.waiters.addLast(want);
            }
        } finally {
            lock.unlock();
            stale.forEach(c -> c.closeNow("stale idle connection"));
            after.forEach(Runnable::run);
        }
        if (dial) {
            startDial(want);
        }
        return awaitOutcome(want, cancel, deadlineNanos);
    }

    private Acquired<C> awaitOutcome(WantConn<C> want, ReceiveChan<?> cancel, long deadlineNanos)
            throws IOException, InterruptedException {
        Outcome<C> o;
        try {
            o = PoolWait.await(want.ready, cancel, deadlineNanos);
        } catch (InterruptedException e) {
            giveUp(want);
            throw e;
        }
        if (o == null) {
            giveUp(want);
            throw cancel != null && PoolWait.isReady(cancel)
                    ? new InterruptedIOException("request cancelled while waiting for a connection")
                    : new InterruptedIOException("timed out waiting for a connection to " + want.key);
        }
        if (o.error != null) {
            throw o.error;
        }
        return new Acquired<>(o.conn, o.reused);
    }

    /** The waiter leaves; an outcome delivered meanwhile is passed on (a connection) or dropped (an error). */
    private void giveUp(WantConn<C> want) {
        lock.lock();
        try {
            want.cancelled = true;
            Host<C> h = hosts.get(want.key);
            if (h != null) {
                h.waiters.remove(want);
            }
        } finally {
            lock.unlock();
        }
        Received<Outcome<C>> late = want.ready.tryReceive();
        if (late.ok() && late.value().conn != null) {
            release(late.value().conn);
        }
    }

    private void startDial(WantConn<C> want) {
        Thread.ofVirtual().name("gochan-http-dial " + want.key).start(() -> {
            C conn = null;
            IOException error = null;
            try {
                conn = dialer.dial(want.key);
                dialedCount.incrementAndGet();
            } catch (IOException e) {
                error = e;
            } catch (RuntimeException e) {
                error = new IOException("dial failed: " + e, e);
            }
            dialFinished(want, conn, error);
        });
    }

    private void dialFinished(WantConn<C> want, C conn, IOException error) {
        boolean orphan;
        List<Runnable> after = new ArrayList<>();
        lock.lock();
        try {
            dialing--;
            Host<C> h = hosts.get(want.key);
            if (conn != null) {
                slotHeld.put(conn, Boolean.TRUE);
            } else {
                releaseSlotLocked(null, h, after);
            }
            orphan = want.cancelled || closed;
            if (!orphan) {
                want.ready.trySend(new Outcome<>(conn, error, false));
            }
        } finally {
            lock.unlock();
        }
        after.forEach(Runnable::run);
        if (orphan && conn != null) {
            release(conn); // nobody wants it any more: it may serve the next request
        }
    }

    /**
     * Returns a connection whose exchange ended cleanly; it goes to the first waiter for its host, or
     * to the idle list, or is closed if the idle limits are reached or it is no longer usable.
     */
    public void release(C conn) {
        if (!offer(conn)) {
            discard(conn, conn.isUsable() ? "idle limit reached" : "not usable");
        }
    }

    /**
     * Like {@link #release}, but a connection the pool does not take (idle limits reached, pool closed,
     * connection unusable) is left to the caller, still open and still holding its slot: the caller
     * must {@link #discard} it. The read loop uses this so that it can hand its response over before
     * closing the connection; closing first would race the response against the close (Go likewise
     * closes a connection tryPutIdleConn refused only when its read loop ends).
     *
     * @return true if the connection went to a waiter or to the idle list
     */
    public boolean offer(C conn) {
        if (!conn.isUsable()) {
            return false;
        }
        List<C> toClose = new ArrayList<>();
        List<Runnable> after = new ArrayList<>();
        lock.lock();
        try {
            Host<C> h = hosts.computeIfAbsent(conn.key(), k -> new Host<>());
            WantConn<C> w = h.waiters.pollFirst();
            if (w != null) {
                w.ready.trySend(new Outcome<>(conn, null, true));
                reusedCount.incrementAndGet();
                return true;
            }
            if (closed || maxIdlePerHost <= 0 || h.idle.size() >= maxIdlePerHost) {
                return false;
            }
            h.idle.addFirst(conn);
            idleLru.add(conn);
            idleSince.put(conn, System.nanoTime());
            if (maxIdle > 0 && idleLru.size() > maxIdle) {
                C oldest = idleLru.iterator().next();
                removeIdleLocked(oldest);
                toClose.add(oldest);
                releaseSlotLocked(oldest, hosts.get(oldest.key()), after);
            }
        } finally {
            lock.unlock();
            toClose.forEach(c -> c.closeNow("idle limit reached"));
            after.forEach(Runnable::run);
        }
        if (reaper != null) {
            reaper.wake();
        }
        return true;
    }

    /**
     * Closes a connection that must not be reused and frees its per-host slot (once, however often it
     * is called for the same connection).
     */
    public void discard(C conn, String reason) {
        List<Runnable> after = new ArrayList<>();
        lock.lock();
        try {
            removeIdleLocked(conn);
            releaseSlotLocked(conn, hosts.get(conn.key()), after);
        } finally {
            lock.unlock();
        }
        conn.closeNow(reason);
        after.forEach(Runnable::run);
    }

    /** Closes every idle connection (Go's CloseIdleConnections). */
    public void closeIdle() {
        List<C> toClose = new ArrayList<>();
        List<Runnable> after = new ArrayList<>();
        lock.lock();
        try {
            for (C c : new ArrayList<>(idleLru)) {
                removeIdleLocked(c);
                releaseSlotLocked(c, hosts.get(c.key()), after);
                toClose.add(c);
            }
        } finally {
            lock.unlock();
        }
        toClose.forEach(c -> c.closeNow("idle connections closed"));
        after.forEach(Runnable::run);
    }

    /** Closes idle connections and refuses new acquisitions; waiters get an error. */
    @Override
    public void close() {
        List<WantConn<C>> waiters = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            for (Host<C> h : hosts.values()) {
                waiters.addAll(h.waiters);
                h.waiters.clear();
            }
            for (WantConn<C> w : waiters) {
                w.ready.trySend(new Outcome<>(null, new IOException("transport is closed"), false));
            }
        } finally {
            lock.unlock();
        }
        closeIdle();
        if (reaper != null) {
            reaper.stop();
        }
    }

    /** A snapshot of the counters. */
    public Stats stats() {
        lock.lock();
        try {
            int open = 0;
            int waiting = 0;
            for (Host<C> h : hosts.values()) {
                open += h.total;
                waiting += h.waiters.size();
            }
            open -= dialing;
            return new Stats(open, idleLru.size(), open - idleLru.size(), dialing, waiting,
                    dialedCount.get(), reusedCount.get());
        } finally {
            lock.unlock();
        }
    }

    /** Closes idle connections older than the idle timeout; returns nanos until the next expiry (or -1). */
    long reapExpired() {
        List<C> toClose = new ArrayList<>();
        List<Runnable> after = new ArrayList<>();
        long next = -1;
        long now = System.nanoTime();
        long timeout = idleTimeout.toNanos();
        lock.lock();
        try {
            for (Iterator<C> it = idleLru.iterator(); it.hasNext(); ) {
                C c = it.next();
                long age = now - idleSince.get(c);
                if (age >= timeout) {
                    it.remove();
                    idleSince.remove(c);
                    hosts.get(c.key()).idle.remove(c);
                    releaseSlotLocked(c, hosts.get(c.key()), after);
                    toClose.add(c);
                } else {
                    long left = timeout - age;
                    next = next < 0 ? left : Math.min(next, left);
                }
            }
        } finally {
            lock.unlock();
        }
        toClose.forEach(c -> c.closeNow("idle timeout"));
        after.forEach(Runnable::run);
        return next;
    }

    private void removeIdleLocked(C c) {
        if (idleLru.remove(c)) {
            idleSince.remove(c);
            Host<C> h = hosts.get(c.key());
            if (h != null) {
                h.idle.remove(c);
            }
        }
    }

    /**
     * Frees {@code c}'s slot (or a failed dial's, when c is null) and, if a waiter is queued, gives
     * the slot to it by starting a dial (added to {@code after}, run once the lock is released).
     */
    private void releaseSlotLocked(C c, Host<C> h, List<Runnable> after) {
        if (c != null && slotHeld.remove(c) == null) {
            return; // already freed
        }
        if (h == null) {
            return;
        }
        h.total--;
        if (h.total < 0) {
            throw new IllegalStateException("connection count underflow for " + (c == null ? "dial" : c.key()));
        }
        WantConn<C> w = closed ? null : h.waiters.pollFirst();
        if (w != null) {
            h.total++;
            dialing++;
            after.add(() -> startDial(w));
        }
    }
}
