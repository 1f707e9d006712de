package io.gochan.http;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.ChaosProbe.Phase;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * One chaos-probe request ({@link ChaosProbe}): its token, the caller's action and the phase it strikes at, how it is
 * sent and read, and everything that happened to it. Each probe's {@code Plan} extends it with what it draws of its
 * own, drawing in its own order so that its seeds replay the same plans.
 *
 * @param <A> the probe's actions
 */
abstract class ChaosCall<A extends Enum<A> & ChaosCall.CallerAction> {
    /**
     * A caller's action as the shared harness acts on it, read from the name both probes give it: {@code
     * CANCEL_AT_PHASE} and {@code INTERRUPT_AT_PHASE} strike at the call's phase, {@code CANCEL_ASYNC} and {@code
     * INTERRUPT_ASYNC} from another thread after its delay, {@code TIMEOUT} is a short deadline.
     */
    interface CallerAction {
        String name();

        default boolean atPhase() {
            return name().endsWith("_AT_PHASE");
        }

        default boolean async() {
            return name().endsWith("_ASYNC");
        }

        /** Cancels its context (else, at its phase or async, interrupts its caller). */
        default boolean cancelling() {
            return name().startsWith("CANCEL_");
        }

        default boolean timesOut() {
            return name().equals("TIMEOUT");
        }
    }

    final String token;
    final A action;
    final Phase phase;
    final Thread caller;
    /** When it began and ended (System.nanoTime()), for faults of a connection rather than a request (E71). */
    final long startNanos = System.nanoTime();
    volatile long endNanos;
    final CancellableContext ctx = Context.withCancel(Context.background());
    final ReentrantLock interruptLock = new ReentrantLock();
    boolean live = true; // guarded by interruptLock: no interrupt once the request ended
    boolean interrupted; // guarded by interruptLock: its one interrupt was delivered
    volatile boolean statusAtEnd; // the caller's interrupt status as the request ended
    final AtomicInteger getConns = new AtomicInteger();
    final List<Boolean> reusedAttempts = new CopyOnWriteArrayList<>();
    final AtomicInteger dones = new AtomicInteger();
    volatile Throwable doneError;
    volatile Throwable roundTripFailure;
    volatile Throwable bodyFailure;
    volatile boolean readToEnd;
    volatile String wrong;
    // Drawn by the probe's plan (in its own order) before the plan is published to another thread.
    boolean idempotencyKey;
    boolean expectContinue;
    long asyncDelayNanos;
    int readChunk;
    int closeAfter;

    ChaosCall(String token, Thread caller, A action, Phase phase) {
        this.token = token;
        this.caller = caller;
        this.action = action;
        this.phase = phase;
    }

    /** Draws how it is read and when it strikes from another thread; the last of every plan's draws. */
    final void drawReading(Random rnd, int maxAsyncDelayNanos, int largeChunk, int closeBound) {
        this.asyncDelayNanos = rnd.nextInt(maxAsyncDelayNanos);
        this.readChunk = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : largeChunk);
        this.closeAfter = rnd.nextInt(closeBound);
    }

    /** The response body the probe's server sends for this call: every byte tells whose it is. */
    abstract String expectedBody();

    void fire(Phase now) {
        if (now != phase || !action.atPhase()) {
            return;
        }
        if (action.cancelling()) {
            ctx.cancel();
        } else {
            interrupt();
        }
    }

    void interrupt() {
        interruptLock.lock();
        try {
            if (live && !interrupted) {
                interrupted = true;
                caller.interrupt();
            }
        } finally {
            interruptLock.unlock();
        }
    }

    /** On the caller's thread: the request is over; its interrupt status is recorded (the first time), then cleared. */
    void end() {
        interruptLock.lock();
        try {
            if (live) {
                statusAtEnd = caller.isInterrupted();
                endNanos = System.nanoTime();
            }
            live = false;
        } finally {
            interruptLock.unlock();
        }
        Thread.interrupted(); // an interrupt meant for this request stays with it
        ctx.cancel();
    }

    Throwable failure() {
        return roundTripFailure != null ? roundTripFailure : bodyFailure;
    }

    /** Its action, with the phase it strikes at. */
    String actionText() {
        return action + (action.atPhase() ? "@" + phase : "");
    }

    /** What it did and how it ended, to count outcomes by. */
    String outcome() {
        Throwable f = failure();
        return action + " " + (f == null ? "ok" : f.getClass().getSimpleName());
    }

    /**
     * A request to {@code target} carrying its token, its deadline (a short one for {@code TIMEOUT}, else the hang
     * limit as a backstop), and the {@code Idempotency-Key} and {@code Expect: 100-continue} it drew.
     */
    HttpRequest.Builder request(URI target) {
        HttpRequest.Builder b = HttpRequest.newBuilder(target).header("X-Token", token)
                .timeout(action.timesOut() ? Duration.ofMillis(1 + asyncDelayNanos / 100_000) : ChaosProbe.HANG_LIMIT);
        if (idempotencyKey) {
            b.header("Idempotency-Key", token);
        }
        if (expectContinue) {
            b.header("Expect", "100-continue");
        }
        return b;
    }

    /**
     * Sends {@code req} through {@code sender} in its context, striking as its action says (at {@link Phase#BEFORE},
     * or from a thread named after {@code probe} after its delay), and hands the response to {@code read}; a
     * {@code roundTrip} failure is recorded.
     */
    void send(RoundTripper sender, HttpRequest req, String probe, Consumer<HttpResponse> read)
            throws InterruptedException {
        Thread helper = null;
        if (action.async()) {
            helper = Thread.ofVirtual().name(probe + "-async-" + token).start(() -> {
                LockSupport.parkNanos(asyncDelayNanos);
                if (action.cancelling()) {
                    ctx.cancel();
                } else {
                    interrupt();
                }
            });
        }
        try {
            fire(Phase.BEFORE);
            HttpResponse r;
            try {
                r = sender.roundTrip(req, ctx);
            } catch (Throwable e) {
                roundTripFailure = e;
                return;
            }
            read.accept(r);
        } finally {
            if (helper != null) {
                end(); // no interrupt after this; then the helper may finish
                helper.join();
            }
        }
    }

    /**
     * Reads {@code r} as the plan says and checks that what was read is its own ({@link #wrong} says what is not): an
     * answer with a status {@code isFinal} refuses or another token echoed is only closed; else its body is read in
     * reads of {@link #readChunk} bytes (firing {@link Phase#MID_BODY} after the first) to its end or, if {@code
     * stopsEarly}, until {@link #closeAfter} bytes; then closed, unless {@code abandons}; if {@code racesClose}, closed
     * from another thread while it is read.
     */
    void read(HttpResponse r, IntPredicate isFinal, boolean stopsEarly, boolean abandons, boolean racesClose) {
        String want = r.status() == 204 ? "" : expectedBody();
        if (!isFinal.test(r.status()) || !token.equals(r.headers().get("X-Echo"))) {
            wrong = "got status " + r.status() + " echoing " + r.headers().get("X-Echo");
            r.close();
            return;
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        Thread racer = !racesClose ? null : Thread.ofVirtual().start(() -> {
            LockSupport.parkNanos(asyncDelayNanos / 4);
            r.close();
        });
        try {
            InputStream in = r.body().stream();
            byte[] buf = new byte[readChunk];
            boolean first = true;
            while (!stopsEarly || got.size() < closeAfter) {
                int n = in.read(buf);
                if (first) {
                    first = false;
                    fire(Phase.MID_BODY);
                }
                if (n < 0) {
                    readToEnd = true;
                    break;
                }
                got.write(buf, 0, n);
            }
        } catch (Throwable e) {
            bodyFailure = e;
        } finally {
            closeAndJoin(r, abandons, racer);
        }
        String s = got.toString(StandardCharsets.ISO_8859_1);
        if (readToEnd ? !s.equals(want) : !want.startsWith(s)) {
            wrong = (readToEnd ? "read to its end " : "read in part ") + got.size() + " bytes that are not "
                    + (readToEnd ? "its body" : "a prefix of its body") + " (" + want.length() + " bytes): "
                    + s.substring(0, Math.min(200, s.length()));
        }
    }

    private void closeAndJoin(HttpResponse r, boolean abandons, Thread racer) {
        try {
            if (!abandons) {
                r.close();
            }
        } catch (Throwable e) {
            wrong = "closing the body threw " + ChaosProbe.describe(e);
        }
        if (racer != null) {
            try {
                racer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Null if it reported exactly one {@code done()}, carrying the exception {@code roundTrip} threw; else what is wrong (E22). */
    String doneOnce(String at) {
        if (dones.get() != 1) {
            return at + ": " + dones + " done() events, not one (E22)";
        }
        if (roundTripFailure != null && doneError != roundTripFailure) {
            return at + ": done() reported " + doneError + ", not the exception roundTrip threw (E22)";
        }
        return null;
    }

    /**
     * Null if the caller's interrupt status is as E62 says: never left set unasked, cleared only with a thrown
     * {@code InterruptedException}, otherwise kept; else what is wrong. {@code call} names what threw.
     */
    String interruptStatus(String at, String call) {
        boolean delivered;
        interruptLock.lock();
        try {
            delivered = interrupted;
        } finally {
            interruptLock.unlock();
        }
        if (!delivered && statusAtEnd) {
            return at + ": the caller's thread was left interrupted, yet nothing interrupted it";
        }
        if (delivered && roundTripFailure instanceof InterruptedException && statusAtEnd) {
            return at + ": " + call + " threw InterruptedException with the interrupt status still set (E62: cleared)";
        }
        if (delivered && !(roundTripFailure instanceof InterruptedException) && !statusAtEnd) {
            return at + ": interrupted, yet the status was cleared without an InterruptedException (E62: an interrupt lost)";
        }
        return null;
    }

    /** Null if every attempt but its last was on a reused connection (P14: Go retries only there); else what is wrong. */
    String retriedOnlyAfterReused(String at) {
        List<Boolean> attempts = reusedAttempts;
        for (int i = 0; i < attempts.size() - 1; i++) {
            if (!attempts.get(i)) {
                return at + ": retried after an attempt on a new connection (P14: Go retries only on a reused one)";
            }
        }
        return null;
    }
}
