package io.gochan.http.internal.pool;

import io.gochan.Chan;
import io.gochan.Received;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One goroutine per pool that closes idle connections when their idle timeout passes. It exists only
 * while the pool has idle connections: it starts on the first {@link #wake()} and ends when nothing
 * is idle, or on {@link #stop()}.
 */
final class IdleReaper<C extends PooledConnection> {
    private final ConnectionPool<C> pool;
    private final ReentrantLock lock = new ReentrantLock();
    /** Capacity 1: wake-ups coalesce, and a waker never blocks. Closed by stop(). */
    private final Chan<Boolean> wakeups = Chan.make(1);
    private Thread thread; // guarded by lock
    private boolean stopped; // guarded by lock

    IdleReaper(ConnectionPool<C> pool) {
        this.pool = pool;
    }

    /** A connection became idle: make sure the reaper runs and re-reads the earliest expiry. */
    void wake() {
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            wakeups.trySend(Boolean.TRUE);
            if (thread == null) {
                thread = Thread.ofVirtual().name("gochan-http-idle-reaper").start(this::run);
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
            wakeups.close();
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
        try {
            while (true) {
                long next = pool.reapExpired();
                if (next < 0) {
                    lock.lock();
                    try {
                        // Nothing idle: end, unless a wake-up raced in (then go round again).
                        if (wakeups.len() == 0 || stopped) {
                            thread = null;
                            return;
                        }
                    } finally {
                        lock.unlock();
                    }
                    continue;
                }
                Received<Boolean> r = wakeups.receive(Duration.ofNanos(next));
                if (r.closed()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            lock.lock();
            try {
                thread = null;
            } finally {
                lock.unlock();
            }
        }
    }
}
