package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.Goroutines;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/** Helpers of the exchange-lifecycle (E) rule tests: callers on either thread kind, bounded waits, racing moments. */
final class Lifecycle {
    /**
     * Not a schedule: the longest we wait before calling something hung. 15 s, not 5: on two cores beside other
     * builds (load average 7) one round of RequestBodyFailureTest's E39 race took longer than 5 s to end, and its
     * abandoned caller then failed the class's later tests. Only a hang ever waits this long.
     */
    static final Duration BOUND = Duration.ofSeconds(15);

    private Lifecycle() {}

    /** Spins for {@code nanos}: the knob that moves one side of a race across the other's moment, never an order. */
    static void spin(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    /** How many times its rounds a probe runs at most while the race it needs was not met (see {@link #goOn}). */
    static final int MOST_ROUNDS_FACTOR = 10;

    /**
     * Whether a probe that sweeps a race runs round {@code i}: every one of its {@code rounds}, then more only while
     * the race it needs was not {@code met} (a loaded machine can keep one side off a core through every round, the
     * race then not run), at most {@link #MOST_ROUNDS_FACTOR} times the rounds and only until {@code extraUntil}
     * ({@link System#nanoTime()}; the test's own timeout must not end it first). The rule is still checked in every
     * round; a race never met fails at the probe's own assertion, which says so.
     */
    static boolean goOn(int i, int rounds, boolean met, long extraUntil) {
        return i < rounds || (!met && i < MOST_ROUNDS_FACTOR * rounds && System.nanoTime() < extraUntil);
    }

    /** {@link System#nanoTime()} after {@code d} from now: the end of a probe's extra rounds (see {@link #goOn}). */
    static long nanosFromNow(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    /** Waits at {@code b} (at most {@link #BOUND}); a broken or timed-out barrier fails the test. */
    static void await(java.util.concurrent.CyclicBarrier b) {
        try {
            b.await(BOUND.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("barrier broken", e);
        }
    }

    /**
     * From a spinning loop, leaves the CPU to other threads for a moment: a platform thread yields, a
     * virtual thread parks for a microsecond. Two virtual threads that only yield on one carrier hand
     * it to each other forever (JDK 25 runs a carrier's own queue until it is empty), and a virtual
     * thread woken from outside (a platform thread, a timer) then never runs: channels' Threads
     * explains the measurement.
     */
    static void letOthersRun() {
        if (Thread.currentThread().isVirtual()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000);
        } else {
            Thread.yield();
        }
    }

    /** Waits (bounded) for {@code c}, spinning; fails with {@code what} if the bound passes. */
    static void await(BooleanSupplier c, Duration bound, String what) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out (" + bound + ") waiting for " + what);
            }
            Thread.onSpinWait();
            letOthersRun();
        }
    }

    /** True once {@code c} holds, false if {@code bound} passed first. */
    static boolean within(BooleanSupplier c, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
            letOthersRun();
        }
        return true;
    }

    /**
     * True if a connection's write loop is parked inside a socket write: its request is partly in the
     * kernel and the peer does not read. Found from the goroutine's stack, so a test can act exactly
     * while the write is blocked.
     */
    static boolean writeLoopBlockedInSocketWrite() {
        for (Goroutine g : Goroutines.live()) {
            if (!g.name().startsWith("http-write-loop")) {
                continue;
            }
            Thread t = g.thread();
            Thread.State s = t.getState();
            if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
                continue;
            }
            boolean parked = false;
            boolean writing = false;
            for (StackTraceElement e : t.getStackTrace()) {
                parked |= e.getMethodName().contains("park");
                writing |= e.getClassName().contains("NioSocketImpl") && e.getMethodName().contains("Write")
                        || e.getClassName().contains("SocketOutputStream") && e.getMethodName().contains("write");
            }
            if (parked && writing) {
                return true;
            }
        }
        return false;
    }

    /** True if {@code t} waits (parked, timed or not). */
    static boolean waiting(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    /** True if {@code t} is inside a socket read (the JDK's {@code NioSocketImpl}), blocked or about to be. */
    static boolean inSocketRead(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().contains("NioSocketImpl") && e.getMethodName().contains("ead")) {
                return true;
            }
        }
        return false;
    }

    /**
     * True if {@code t} waits in a socket write: parked by the JDK's socket ({@code NioSocketImpl}) for room in its send
     * buffer, the peer reading nothing.
     */
    static boolean inSocketWrite(Thread t) {
        boolean parked = false;
        boolean writing = false;
        for (StackTraceElement e : t.getStackTrace()) {
            parked |= e.getClassName().contains("NioSocketImpl") && e.getMethodName().equals("park");
            writing |= e.getClassName().contains("NioSocketImpl") && e.getMethodName().contains("Write");
        }
        return parked && writing;
    }

    /**
     * True if {@code t}'s stack has a frame of {@code method} in a class whose name ends with {@code classSuffix}
     * ({@code ""}: any class), whether it waits there or runs.
     */
    static boolean inMethod(Thread t, String classSuffix, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().endsWith(classSuffix) && e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    /** True if {@code t} waits (parked, timed or not) inside {@code method} of a class ending with {@code classSuffix}. */
    static boolean waitingIn(Thread t, String classSuffix, String method) {
        return waiting(t) && inMethod(t, classSuffix, method);
    }

    /** True if {@code t} is parked inside {@code PersistConn.<method>}: a test acts exactly while a request waits there. */
    static boolean parkedIn(Thread t, String method) {
        return waitingIn(t, "PersistConn", method);
    }

    /**
     * True if {@code caller} waits in a tunnel's {@code writeTunnel} for a tunnel-write goroutine that is itself blocked
     * in a socket write: the tunnel's write waits on a peer that reads nothing.
     */
    static boolean tunnelWriteBlocked(Thread caller) {
        return waitingIn(caller, "", "writeTunnel") && Goroutines.live().stream()
                .anyMatch(g -> g.name().startsWith("http-tunnel-write") && inSocketWrite(g.thread()));
    }

    /**
     * Waits (at most 30 s, then fails) for {@code latch} on a thread whose interrupt must not end the wait: a socket's
     * or listener's hook that holds a transport thread at a moment. An interrupt that comes meanwhile is kept: the
     * flag is set again for the code after the hook, as an interrupt arriving just then would find it.
     */
    static void awaitUninterruptibly(java.util.concurrent.CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                if (!latch.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new AssertionError("never released");
                }
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
     * True if a connection's write loop waits inside a Unix socket's write (R4): the peer does not read. The wait is a
     * park in {@code UnixSocket.await} (R95: the shared poller selects, the writer parks), once a select of its own.
     */
    static boolean writeLoopBlockedInUnixWrite() {
        for (Goroutine g : Goroutines.live()) {
            if (!g.name().startsWith("http-write-loop")) {
                continue;
            }
            boolean inWrite = false;
            boolean waiting = false;
            boolean parked = false;
            for (StackTraceElement e : g.thread().getStackTrace()) {
                inWrite |= e.getClassName().endsWith("UnixSocket$Out") && e.getMethodName().equals("write");
                waiting |= e.getClassName().endsWith("UnixSocket") && e.getMethodName().equals("await");
                parked |= e.getClassName().equals("java.util.concurrent.locks.LockSupport") && e.getMethodName().startsWith("park");
            }
            if (inWrite && waiting && parked) {
                return true;
            }
        }
        return false;
    }

    /** The top of a failure escaping the transport: an exported type or a JDK one, never an internal class. */
    static void assertExportedType(Throwable e) {
        String pkg = e.getClass().getPackageName();
        assertThat(pkg.equals("io.gochan.http") || pkg.startsWith("java.") || pkg.startsWith("javax."))
                .as("exception type %s escaped from an internal package: %s", e.getClass().getName(), e)
                .isTrue();
    }

    /** Something that a caller thread runs. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Exception;
    }

    /** A caller on its own thread (virtual or platform), with its single outcome. */
    static final class Caller<T> {
        final Thread thread;
        private final AtomicReference<T> value = new AtomicReference<>();
        private final AtomicReference<Throwable> error = new AtomicReference<>();
        private volatile boolean ended;

        private Caller(boolean virtual, String name, Work<T> work) {
            Runnable r = () -> {
                try {
                    value.set(work.run());
                } catch (Throwable e) {
                    error.set(e);
                } finally {
                    ended = true;
                }
            };
            this.thread = virtual ? Thread.ofVirtual().name(name).unstarted(r) : Thread.ofPlatform().name(name).daemon().unstarted(r);
        }

        static <T> Caller<T> start(boolean virtual, String name, Work<T> work) {
            Caller<T> c = new Caller<>(virtual, name, work);
            c.thread.start();
            return c;
        }

        static <T> Caller<T> virtual(String name, Work<T> work) {
            return start(true, name, work);
        }

        /** True if it ended within {@code bound}. */
        boolean join(Duration bound) throws InterruptedException {
            return thread.join(bound) && ended;
        }

        T value() {
            return value.get();
        }

        Throwable error() {
            return error.get();
        }

        /** Ends a caller that hung (so a failing test leaves no thread behind): interrupt, then wait. */
        void abandon(Runnable unblock) throws InterruptedException {
            if (!ended) {
                thread.interrupt();
                unblock.run();
                thread.join(Duration.ofSeconds(20));
            }
        }
    }
}
