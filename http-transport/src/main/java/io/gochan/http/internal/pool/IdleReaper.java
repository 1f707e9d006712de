package io.gochan.http.internal.pool;

import io.gochan.Chan;
import io.gochan.http.internal.ThrowableText;
import io.gochan.select.Select;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One goroutine per pool that closes idle connections when their idle timeout passes.
 *
 * <p>It exists only while the pool has idle connections: {@link #wake()} starts it when none runs,
 * and it ends when a scan finds nothing idle, or on {@link #stop()}. Every connection has the same
 * idle timeout, so a connection that becomes idle while the reaper sleeps expires no earlier than
 * the deadline the reaper already sleeps towards: {@code wake()} then only marks the pool dirty (so a
 * reaper about to end scans again) and never hands anything to the reaper. A steady keep-alive
 * workload, where every request releases a connection, therefore costs the reaper nothing; an earlier
 * version sent a wake-up per release and restarted the goroutine whenever the only idle connection was
 * taken, which was most of the allocation of a sequential request (measured with JFR, H1).
 *
 * <p>When the pool's idle connections are closed rather than taken ({@code closeIdleConnections()}, or the
 * last idle one closing because its server ended it), {@link #rescan()} has the reaper scan at once: it
 * finds nothing idle and ends, so no goroutine of the transport is left once it holds nothing (P8, P106).
 * Taking the last idle connection for a request does not: that is the steady workload above.
 */
final class IdleReaper<C extends PooledConnection> {
    private static final System.Logger LOG = System.getLogger(IdleReaper.class.getName());
    private final ConnectionPool<C> pool;
    private final ReentrantLock lock = new ReentrantLock();
    /** Never sent on: the reaper sleeps on it with a timeout, and stop() closes it to end the sleep. */
    private final Chan<Boolean> stopSignal = Chan.make();
    /**
     * Capacity 1, so {@link #rescan()} never blocks: a token asks the sleeping reaper to scan now (P106). A token left
     * by a reaper that ended first costs the next reaper one extra scan.
     */
    private final Chan<Boolean> rescanSignal = Chan.make(1);
    private Thread thread; // guarded by lock
    private boolean dirty; // guarded by lock: a connection became idle since the running reaper's last scan began
    private boolean stopped; // guarded by lock

    IdleReaper(ConnectionPool<C> pool) {
        this.pool = pool;
    }

    /**
     * A connection became idle: make sure a reaper runs (its deadline can only be earlier than this one's). Never throws:
     * a reaper whose goroutine cannot start (its thread refused: an {@code OutOfMemoryError}) is the pool's failure, not
     * that of whoever put the connection back (a body's reader, a read loop serving the connection), so it is logged and
     * the idle connections it would have watched are closed now, as {@link #endAbnormally()} closes them; the next
     * connection that becomes idle tries again (E120).
     */
    void wake() {
        Throwable refused = null;
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            if (thread == null) {
                try {
                    thread = pool.go("http-idle-reaper", this::run).thread(); // a goroutine of the pool's owner
                } catch (Throwable e) {
                    refused = e; // thread stays null: the next wake starts one
                }
            } else {
                dirty = true;
            }
        } finally {
            lock.unlock();
        }
        if (refused != null) {
            // Before, it was thrown out of put(): a body's read threw it in the body's place, its request's done() never
            // reported; a read loop died of it and closed the connection under the request that had just taken it (E120).
            ThrowableText.log(LOG, System.Logger.Level.ERROR, "the idle reaper could not start: idle connections are"
                    + " closed now instead of at their idle timeout", refused);
            pool.reapAll();
        }
    }

    /**
     * The idle connections were closed, not taken (P106): a running reaper scans now instead of sleeping on towards
     * an expiry nobody waits for any more, and so ends if nothing is idle (a connection put back meanwhile keeps it
     * running, as before). Never blocks; no-op when no reaper runs.
     */
    void rescan() {
        lock.lock();
        try {
            if (thread != null && !stopped) {
                rescanSignal.trySend(Boolean.TRUE);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends the reaper; returns once its goroutine has ended. */
    void stop() {
        Thread t;
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            stopped = true;
            stopSignal.close();
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t != null) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        boolean ended = false; // ended as the pool asked: nothing idle, or stop()
        try {
            while (true) {
                lock.lock();
                try {
                    dirty = false;
                } finally {
                    lock.unlock();
                }
                long next = pool.reapExpired();
                if (next < 0) {
                    lock.lock();
                    try {
                        // Nothing idle: end, unless a connection became idle during the scan.
                        if (!dirty || stopped) {
                            thread = null;
                            ended = true;
                            rescanSignal.tryReceive(); // a token for this scan is spent: the next reaper sleeps at once
                            return;
                        }
                    } finally {
                        lock.unlock();
                    }
                    continue;
                }
                // Until the next expiry, stop(), or a rescan() asked for because the idle connections were closed.
                boolean stop = Select.<Boolean>cases()
                        .receiveOk(stopSignal, r -> true)
                        .receive(rescanSignal, r -> false)
                        .timeout(Duration.ofNanos(next), () -> false)
                        .select();
                if (stop) {
                    ended = true;
                    return;
                }
            }
        } catch (InterruptedException e) {
            // Interrupted (a Goroutine.interrupt(), a stopping bubble): it ends, below.
        } finally {
            if (!ended) {
                endAbnormally();
            }
        }
    }

    /**
     * The reaper ended otherwise than the pool asked (an interrupt, or what a connection's close threw): the next
     * connection that becomes idle starts another, and the idle connections it watched are closed now, as a connection
     * loop that ends takes its connection with it (E85). Before, they stayed open past their idle timeout until a
     * connection was put back (never, in a pool no longer used), and an unchecked end left the reaper counted as
     * running, so none ever started again.
     */
    private void endAbnormally() {
        lock.lock();
        try {
            if (thread == Thread.currentThread()) {
                thread = null;
            }
        } finally {
            lock.unlock();
        }
        pool.reapAll();
    }
}
