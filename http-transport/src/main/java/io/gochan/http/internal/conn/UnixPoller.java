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
import java.util.function.Consumer;

/**
 * The one {@link Selector} that the waits of every {@link UnixSocket} share (R95, ADR 0017): a daemon platform
 * thread, {@value #THREAD_NAME}, selects for all of them, and a reader or writer parks ({@link LockSupport}) until
 * the poller finds its channel ready. A virtual thread so never waits in native code: on JDK 21 to 24 a
 * {@code Selector.select()} called on a virtual thread runs {@code EPoll.wait} inside the selector's monitor and
 * holds its carrier for the whole wait (only JDK 25 parks there), so each open Unix connection, whose read loop
 * always keeps a read pending, held a carrier thread.
 *
 * <p>Only the poller thread touches selection keys: a waiter hands itself over through a lock-free queue and
 * {@link Selector#wakeup()}, and the poller drains the queue before each select. A channel is registered only while
 * a read or write of it waits (R105): the poller registers it at a wait and cancels its key once nobody waits on it,
 * just before its next select, which deregisters it; so a socket its owner drops unclosed is held by nothing of the
 * poller once its waits have ended. A close cancels the key of a waiting channel, and the socket wakes the poller
 * ({@link #wakeupRunning()}) so that the next select deregisters it, which is when the JDK releases a registered
 * channel's file descriptor. The poller starts at the first wait and then serves the whole JVM, as gochan's timer
 * thread does (leak-check's LK11 excuses it by name); its thread takes nothing from the wait that starts it (R107).
 * Should it ever end by an unchecked throw, every waiter it holds, has in hand or has queued is failed with that
 * throw as the cause, whatever its own ending meets (R106): none stays parked for ever, and the next wait starts a
 * new poller.
 */
final class UnixPoller {
    /** The poller thread's name. */
    static final String THREAD_NAME = "gochan-unix-poller";
    private static final System.Logger LOG = System.getLogger(UnixPoller.class.getName());
    private static final ReentrantLock START = new ReentrantLock();
    private static volatile UnixPoller current;
    /** The two operations a key's slot holds a waiter for, in the order a ready key wakes them. */
    private static final int[] OPS = {SelectionKey.OP_READ, SelectionKey.OP_WRITE};
    /**
     * The pollers' thread group, a child of the JVM's root group: not the group of whichever thread's wait starts a
     * poller (a virtual thread's, an application's with its own uncaught-exception handling), R107.
     */
    private static final ThreadGroup GROUP = new ThreadGroup(ServiceThreads.rootGroup(), THREAD_NAME);

    private final Selector selector;
    private final Thread thread;
    /** Waiters to add (not cancelled) or to drop (cancelled), in their order; drained by the poller thread. */
    private final ConcurrentLinkedQueue<Waiter> changes = new ConcurrentLinkedQueue<>();
    /** The waiters the poller holds in a key's slot; the poller thread's alone. */
    private final Set<Waiter> waiting = new HashSet<>();
    /** The waiter taken off the queue and not yet held or let go; the poller thread's alone (R106: die() fails it). */
    private Waiter inHand;
    /** Keys whose slot emptied since the last select; the poller thread's alone (R105: cancelled if still empty). */
    private final List<SelectionKey> emptied = new ArrayList<>();
    /** What ended the poller (its loop's throw); null while it runs. Set first when it dies. */
    private volatile Throwable death;
    /** A test's fault, called at the points named in {@link #injectFaultForTest}; null, as always outside tests. */
    private volatile Consumer<String> faultForTest;

    private UnixPoller() throws IOException {
        // Nothing of the wait that starts the poller, which then serves every Unix socket of the JVM (R107): no
        // inherited thread-locals; the system class loader as context loader, not the caller's (an application's
        // loader, which the thread would keep alive and lend to whatever it runs); the pollers' own group and the
        // normal priority, not the caller's (a low-priority caller would slow every socket's wake-ups).
        thread = ServiceThreads.unstarted(THREAD_NAME, GROUP, this::loop);
        selector = Selector.open();
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
                try {
                    p.thread.start();
                } catch (Throwable noThread) {
                    // No thread (no native threads left): the selector just opened must not leak its descriptors.
                    try {
                        p.selector.close();
                    } catch (IOException | RuntimeException e) {
                        noThread.addSuppressed(e);
                    }
                    throw noThread;
                }
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
        Throwable dead = death;
        if (dead != null) {
            // Added after the dying poller drained the queue, or before: either way it wakes no one now.
            throw failed(dead);
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

    /**
     * Makes this poller call {@code fault} with the name of each point where a real failure could strike it:
     * {@code "add"} as it takes a wait in hand, {@code "close"} and {@code "report"} as it ends; {@code fault} may
     * throw there; for tests (R106).
     */
    void injectFaultForTest(Consumer<String> fault) {
        faultForTest = fault;
    }

    /** {@return a poller whose thread is made as {@link #get()} makes it, not started; for tests (R107): close its selector} */
    static UnixPoller unstartedForTest() throws IOException {
        return new UnixPoller();
    }

    /** {@return the keys of the poller's selector, cancelled ones not yet deregistered included; for tests (R105)} */
    int keyCountForTest() {
        return selector.keys().size();
    }

    private void fault(String where) {
        Consumer<String> f = faultForTest;
        if (f != null) {
            f.accept(where);
        }
    }

    private void loop() {
        try {
            while (true) {
                for (Waiter w; (w = changes.poll()) != null; ) {
                    inHand = w; // until it is held or let go: a throw meanwhile fails it with the others (R106)
                    if (w.cancelled) {
                        drop(w);
                    } else {
                        add(w);
                    }
                    inHand = null;
                }
                sweep();
                // Nobody interrupts this thread; a stray interrupt would make every select return at once.
                Thread.interrupted();
                selector.select(); // deregisters the keys sweep() cancelled before it waits
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

    private void add(Waiter w) throws IOException {
        fault("add");
        SelectionKey key = w.channel.keyFor(selector);
        try {
            if (key != null && !key.isValid() && w.channel.isOpen()) {
                // A key this poller cancelled and no select has deregistered yet: register() would throw
                // CancelledKeyException for the open channel. Not expected (sweep() cancels keys only just before a
                // select, which deregisters them); if it happens, a select now deregisters it. What that select finds
                // ready stays selected and is served after the next one, still ready then (level-triggered).
                selector.selectNow();
                key = w.channel.keyFor(selector);
            }
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
        if (slot.isEmpty()) {
            emptied.add(key);
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
                    w.polled = true; // its wait ended here: it need not cancel
                    w.wake();
                    waiting.remove(w); // after the wake: should its unpark throw, the dying poller tries it again (R106)
                }
            }
        }
        try {
            // Level-triggered: an op stays ready until read or written, so interest ends with the wake-up.
            key.interestOps(key.interestOps() & ~ready);
        } catch (CancelledKeyException closed) {
            // closed meanwhile: the key goes at the next select
        }
        if (slot.isEmpty()) {
            // Cancelled at the sweep unless a new wait takes it first (a woken reader's next read often waits at once).
            emptied.add(key);
        }
    }

    /**
     * Cancels the keys of channels nobody waits on any more (R105), just before the select that deregisters them: a
     * channel is registered only while a read or write of it waits, so a socket its owner drops unclosed is held by
     * no key once its waits have ended. A key whose channel a new wait took in the meantime stays.
     */
    private void sweep() {
        for (int i = 0; i < emptied.size(); i++) {
            SelectionKey key = emptied.get(i);
            if (key.isValid() && ((Slot) key.attachment()).isEmpty()) {
                key.cancel();
            }
        }
        emptied.clear();
    }

    /**
     * Ends the poller after {@code t} (R106): {@code t} is published first and every waiter the poller holds, has in
     * hand or has queued is told it and unparked next, allocating no more than an iterator, before anything that may
     * itself fail (the poller may have died for want of memory, and a message or a close may meet the same). A failure
     * met later is thrown once the poller is down, to its thread's uncaught-exception handler: it strands no waiter.
     */
    private void die(Throwable t) {
        death = t; // from here submit() fails instead of queuing a waiter nobody would wake
        Throwable met = failAll(t);
        try {
            fault("close");
            selector.close(); // deregisters every key: closed channels are released, open ones stay open
        } catch (Throwable e) {
            met = also(met, e);
        }
        try {
            fault("report");
            LOG.log(System.Logger.Level.ERROR, "the Unix socket poller failed; its waiters were failed, the next wait starts a new poller", t);
        } catch (Throwable e) {
            met = also(met, e);
        }
        if (met instanceof Error error) {
            throw error;
        }
        if (met instanceof RuntimeException unchecked) {
            throw unchecked;
        }
        if (met != null) {
            throw new IllegalStateException("ending the failed Unix socket poller failed", met);
        }
    }

    /** {@return what failing a waiter threw, or null} Fails the waiter in hand, the queued ones and the held ones with {@code cause}. */
    private Throwable failAll(Throwable cause) {
        Throwable met = null;
        Waiter w = inHand;
        inHand = null;
        if (w != null) {
            met = failOne(w, cause, met);
        }
        while ((w = changes.poll()) != null) {
            met = failOne(w, cause, met);
        }
        for (Waiter held : waiting) {
            met = failOne(held, cause, met);
        }
        waiting.clear();
        return met;
    }

    private static Throwable failOne(Waiter w, Throwable cause, Throwable met) {
        if (w.cancelled) {
            return met; // it waits no more
        }
        try {
            w.fail(cause);
            return met;
        } catch (Throwable e) {
            // Its unpark failed (a virtual thread's scheduler refused it): the other waiters are still told.
            return also(met, e);
        }
    }

    /** {@return {@code first} with {@code next} added to it, or {@code next} if there was no first} */
    private static Throwable also(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        if (next != first) {
            first.addSuppressed(next);
        }
        return first;
    }

    /**
     * {@return the exception of a wait the poller could not serve, {@code cause} (what ended the poller) as its cause}
     * Each waiter makes its own, on its own thread: the dying poller allocates none.
     */
    static SocketException failed(Throwable cause) {
        SocketException e = new SocketException("the Unix socket poller failed: " + cause);
        e.initCause(cause);
        return e;
    }

    /** The reader and the writer waiting on one channel; the poller thread's alone. */
    private static final class Slot {
        private Waiter reader;
        private Waiter writer;

        Waiter get(int op) {
            return op == SelectionKey.OP_READ ? reader : writer;
        }

        boolean isEmpty() {
            return reader == null && writer == null;
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
        /** What ended the poller that could not serve the wait; null unless it died (R106). */
        volatile Throwable failure;

        Waiter(SelectableChannel channel, int op) {
            this.channel = channel;
            this.op = op;
        }

        void wake() {
            woken = true;
            LockSupport.unpark(thread);
        }

        void fail(Throwable cause) {
            failure = cause;
            wake();
        }
    }
}
