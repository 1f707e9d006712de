package io.gochan.http.internal.conn;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one {@link Selector} that the waits of every {@link UnixSocket} share (R95, ADR 0017): a daemon platform
 * thread, {@value #THREAD_NAME}, selects for all of them, and a reader or writer parks ({@link LockSupport}) until
 * the poller finds its channel ready. A virtual thread so never waits in native code: on JDK 21 to 24 a
 * {@code Selector.select()} called on a virtual thread runs {@code EPoll.wait} inside the selector's monitor and
 * holds its carrier for the whole wait (only JDK 25 parks there), so each open Unix connection, whose read loop
 * always keeps a read pending, held a carrier thread.
 *
 * <p>Only the poller thread touches selection keys: a waiter hands itself over through a lock-free queue and
 * {@link Selector#wakeup()}, and the poller drains the queue before each select. A channel stays registered
 * (interest 0 while nobody waits) until it is closed; its close cancels the key, and the socket wakes the poller
 * ({@link #wakeupRunning()}) so that the next select deregisters it, which is when the JDK releases a registered
 * channel's file descriptor. The poller starts at the first wait and then serves the whole JVM, as gochan's timer
 * thread does (leak-check's LK11 excuses it by name). Should it ever end by an unchecked throw, every waiter it
 * knows is failed with a {@link SocketException} (none stays parked for ever), and the next wait starts a new one.
 */
final class UnixPoller {
    /** The poller thread's name. */
    static final String THREAD_NAME = "gochan-unix-poller";
    private static final System.Logger LOG = System.getLogger(UnixPoller.class.getName());
    private static final ReentrantLock START = new ReentrantLock();
    private static volatile UnixPoller current;
    /** The two operations a key's slot holds a waiter for, in the order a ready key wakes them. */
    private static final int[] OPS = {SelectionKey.OP_READ, SelectionKey.OP_WRITE};

    private final Selector selector;
    private final Thread thread;
    /** Waiters to add (not cancelled) or to drop (cancelled), in their order; drained by the poller thread. */
    private final ConcurrentLinkedQueue<Waiter> changes = new ConcurrentLinkedQueue<>();
    /** The waiters the poller holds in a key's slot; the poller thread's alone. */
    private final Set<Waiter> waiting = new HashSet<>();
    /** Why the poller ended; null while it runs. */
    private volatile SocketException death;

    private UnixPoller() throws IOException {
        selector = Selector.open();
        // No inherited thread-locals: the thread serves every socket of the JVM, whoever's wait started it.
        thread = Thread.ofPlatform().name(THREAD_NAME).daemon().inheritInheritableThreadLocals(false)
                .unstarted(this::loop);
    }

    /**
     * {@return the running poller, started now if there is none (the first wait, or the last one died)}
     *
     * @throws IOException if no selector can be opened
     */
    static UnixPoller get() throws IOException {
        UnixPoller p = current;
        if (p != null && p.death == null) {
            return p;
        }
        START.lock();
        try {
            p = current;
            if (p == null || p.death != null) {
                p = new UnixPoller();
                p.thread.start();
                current = p;
            }
            return p;
        } finally {
            START.unlock();
        }
    }

    /** {@return the poller now running, or null; no poller is started} */
    static UnixPoller running() {
        UnixPoller p = current;
        return p == null || p.death != null ? null : p;
    }

    /** Wakes the running poller, if any, so that it deregisters the keys closed channels cancelled. */
    static void wakeupRunning() {
        UnixPoller p = current;
        if (p != null) {
            p.selector.wakeup(); // a no-op on a closed selector
        }
    }

    /**
     * Hands {@code w} to the poller; it is woken once its channel is ready for its operation.
     *
     * @throws SocketException if the poller has died (the waiter must not park: nobody would wake it)
     */
    void submit(Waiter w) throws SocketException {
        changes.add(w);
        SocketException dead = death;
        if (dead != null) {
            // Added after the dying poller drained the queue, or before: either way it wakes no one now.
            throw copy(dead);
        }
        selector.wakeup();
    }

    /** Tells the poller that {@code w} no longer waits (a timeout, an interrupt, a close, available()'s wake). */
    void cancel(Waiter w) {
        w.cancelled = true;
        if (death == null) {
            changes.add(w);
            selector.wakeup();
        }
    }

    /** The thread that polls; for tests. */
    Thread thread() {
        return thread;
    }

    /** Closes the poller's selector, as a failure of the poller would end it; for tests (the poller then dies). */
    void closeSelectorForTest() throws IOException {
        selector.close();
    }

    private void loop() {
        try {
            while (true) {
                for (Waiter w; (w = changes.poll()) != null; ) {
                    if (w.cancelled) {
                        drop(w);
                    } else {
                        add(w);
                    }
                }
                // Nobody interrupts this thread; a stray interrupt would make every select return at once.
                Thread.interrupted();
                selector.select();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    ready(key);
                }
            }
        } catch (Throwable t) {
            die(t);
        }
    }

    private void add(Waiter w) {
        SelectionKey key = w.channel.keyFor(selector);
        try {
            if (key == null) {
                key = w.channel.register(selector, 0, new Slot());
            }
            Slot slot = (Slot) key.attachment();
            Waiter before = slot.swap(w.op, w);
            if (before != null) {
                // The socket lets one reader and one writer wait at a time; one still here has stopped waiting
                // (its cancel is still queued): woken, it only looks again.
                waiting.remove(before);
                before.wake();
            }
            key.interestOps(key.interestOps() | w.op);
            waiting.add(w);
        } catch (ClosedChannelException | CancelledKeyException e) {
            // Closed (or closing) under the wait: the waiter sees that when it looks.
            Slot slot = key == null ? null : (Slot) key.attachment();
            if (slot != null && slot.get(w.op) == w) {
                slot.swap(w.op, null);
            }
            waiting.remove(w);
            w.wake();
        }
    }

    private void drop(Waiter w) {
        waiting.remove(w);
        SelectionKey key = w.channel.keyFor(selector);
        if (key == null) {
            return;
        }
        Slot slot = (Slot) key.attachment();
        if (slot.get(w.op) != w) {
            return; // already woken and taken, or never added
        }
        slot.swap(w.op, null);
        try {
            key.interestOps(key.interestOps() & ~w.op); // a ready channel nobody waits for must not spin the poller
        } catch (CancelledKeyException closed) {
            // closed meanwhile: the key goes at the next select
        }
    }

    private void ready(SelectionKey key) {
        Slot slot = (Slot) key.attachment();
        int ready;
        try {
            ready = key.readyOps();
        } catch (CancelledKeyException closed) {
            ready = SelectionKey.OP_READ | SelectionKey.OP_WRITE; // closed: whoever waits looks and sees it
        }
        for (int op : OPS) {
            if ((ready & op) != 0) {
                Waiter w = slot.swap(op, null);
                if (w != null) {
                    waiting.remove(w);
                    w.polled = true; // its wait ended here: it need not cancel
                    w.wake();
                }
            }
        }
        try {
            // Level-triggered: an op stays ready until read or written, so interest ends with the wake-up.
            key.interestOps(key.interestOps() & ~ready);
        } catch (CancelledKeyException closed) {
            // closed meanwhile: the key goes at the next select
        }
    }

    /** Ends the poller after {@code t}: no waiter it knows or will be given stays parked. */
    private void die(Throwable t) {
        SocketException dead = new SocketException("the Unix socket poller failed: " + t);
        dead.initCause(t);
        death = dead; // from here submit() fails instead of queuing a waiter nobody would wake
        List<Waiter> failed = new ArrayList<>(waiting);
        waiting.clear();
        for (Waiter w; (w = changes.poll()) != null; ) {
            failed.add(w);
        }
        for (Waiter w : failed) {
            w.fail(copy(dead));
        }
        try {
            selector.close(); // deregisters every key: closed channels are released, open ones stay open
        } catch (IOException | RuntimeException e) {
            dead.addSuppressed(e);
        }
        LOG.log(System.Logger.Level.ERROR, "the Unix socket poller failed; its waiters were failed, the next wait starts a new poller", t);
    }

    /** One exception per waiter: each caller may add to what it throws. */
    private static SocketException copy(SocketException dead) {
        SocketException e = new SocketException(dead.getMessage());
        e.initCause(dead.getCause());
        return e;
    }

    /** The reader and the writer waiting on one channel; the poller thread's alone. */
    private static final class Slot {
        private Waiter reader;
        private Waiter writer;

        Waiter get(int op) {
            return op == SelectionKey.OP_READ ? reader : writer;
        }

        /** Sets the waiter for {@code op} and returns the one it replaces. */
        Waiter swap(int op, Waiter w) {
            Waiter before;
            if (op == SelectionKey.OP_READ) {
                before = reader;
                reader = w;
            } else {
                before = writer;
                writer = w;
            }
            return before;
        }
    }

    /** One wait of the calling thread for one operation ({@link SelectionKey#OP_READ} or {@code OP_WRITE}) on one channel. */
    static final class Waiter {
        final Thread thread = Thread.currentThread();
        final SelectableChannel channel;
        final int op;
        /** Set (then the thread unparked) when the wait should end: ready, closed, the stash filled, the poller dead. */
        volatile boolean woken;
        /** Set by the poller when it woke the waiter from its key: nothing of the wait is left there to cancel. */
        volatile boolean polled;
        /** Set by the waiter when it stopped waiting without the poller. */
        volatile boolean cancelled;
        /** Why the poller could not serve the wait; null unless the poller died. */
        volatile SocketException failure;

        Waiter(SelectableChannel channel, int op) {
            this.channel = channel;
            this.op = op;
        }

        void wake() {
            woken = true;
            LockSupport.unpark(thread);
        }

        void fail(SocketException e) {
            failure = e;
            wake();
        }
    }
}
