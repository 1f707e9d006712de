package io.gochan.spi;

import io.gochan.jfr.Emitter;

/**
 * The only door from gochan's code to its JDK Flight Recorder events, which live in a package that
 * no code outside gochan sees. {@code jdk.jfr} is an optional dependency ({@code requires static}):
 * a runtime image built without it, or a module-path application that never resolves it, must still
 * load and run gochan. And loading the first event class makes JFR register its metadata, which
 * costs a fresh JVM 100-400 ms; a program that never records must not pay that on its first
 * {@code Go.go} (benchmark B8).
 *
 * <p>So no event class is loaded until {@link #active()} is true: {@code jdk.jfr} is in the boot
 * layer and the flight recorder has been initialized (by {@code -XX:StartFlightRecording},
 * {@code jcmd JFR.start}, or a {@code jdk.jfr.Recording} created in process). From then on the
 * events behave as plain JFR events: off unless a recording enables them by name. A goroutine
 * started, or a wait begun, before the recorder was initialized emits no event.
 *
 * <p>The {@code begin} methods return an opaque event, or {@code null} while the gate is closed;
 * the {@code end} methods accept {@code null} and then do nothing. Never blocks, never throws.
 * Exported only to gochan's own modules.
 */
public final class JfrGate {
    /** Whether {@code jdk.jfr}'s classes can be linked at all; decided once, when first needed. */
    private static final boolean PRESENT = linkable();

    private JfrGate() {}

    /**
     * Whether events may be created now: one constant and one volatile read once JIT-compiled.
     *
     * @return true if {@code jdk.jfr} is present and the flight recorder has been initialized
     */
    public static boolean active() {
        return PRESENT && jdk.jfr.FlightRecorder.isInitialized();
    }

    /**
     * Begins timing a channel operation that is about to park ({@code io.gochan.ChannelBlocked}).
     *
     * @return the event to pass to {@link #channelBlockedEnd}, or null if the gate is closed
     */
    public static Object channelBlockedBegin() {
        return active() ? Emitter.channelBlockedBegin() : null;
    }

    /**
     * Ends a channel wait and commits its event if a recording wants it.
     *
     * @param event what {@link #channelBlockedBegin()} returned (null: nothing happens)
     * @param operation {@code "send"} or {@code "receive"}
     * @param channel the channel; its {@code toString()} is taken only if the event is committed
     * @param capacity the channel's capacity
     * @param outcome completed, closed, timed out, interrupted or context done
     */
    public static void channelBlockedEnd(Object event, String operation, Object channel, int capacity, String outcome) {
        if (event != null) {
            Emitter.channelBlockedEnd(event, operation, channel, capacity, outcome);
        }
    }

    /**
     * Begins timing a select that is about to park ({@code io.gochan.SelectBlocked}).
     *
     * @return the event to pass to {@link #selectBlockedEnd}, or null if the gate is closed
     */
    public static Object selectBlockedBegin() {
        return active() ? Emitter.selectBlockedBegin() : null;
    }

    /**
     * Ends a select's wait and commits its event if a recording wants it.
     *
     * @param event what {@link #selectBlockedBegin()} returned (null: nothing happens)
     * @param cases the number of cases, disabled ones included
     * @param chosen the index of the case that fired, or -1 if none did (timed out or interrupted)
     * @param select the select; its {@code toString()} is taken only if the event is committed
     * @param outcome completed, closed (the chosen case's channel), context done (a done case fired), timed out
     *     or interrupted
     */
    public static void selectBlockedEnd(Object event, int cases, int chosen, Object select, String outcome) {
        if (event != null) {
            Emitter.selectBlockedEnd(event, cases, chosen, select, outcome);
        }
    }

    /**
     * Begins a goroutine's life ({@code io.gochan.Goroutine}).
     *
     * @return the event to pass to {@link #goroutineEnd}, or null if the gate is closed
     */
    public static Object goroutineBegin() {
        return active() ? Emitter.goroutineBegin() : null;
    }

    /**
     * Ends a goroutine's life and commits its event if a recording wants it.
     *
     * @param event what {@link #goroutineBegin()} returned (null: nothing happens)
     * @param id the goroutine's id
     * @param name the goroutine's name
     * @param failure what ended it, or null if it returned normally
     */
    public static void goroutineEnd(Object event, long id, String name, Throwable failure) {
        if (event != null) {
            Emitter.goroutineEnd(event, id, name, failure);
        }
    }

    /**
     * Links {@code jdk.jfr.FlightRecorder} once. The calls to it here and in {@link #active()} need no
     * holder class of their own: the verifier loads no class for a static call, and the JVM links one
     * only when it first runs, which {@link #active()} does only once this returned true. (A holder cost
     * a fresh JVM one more class on its first {@code Go.go}: cold start, B8.)
     */
    private static boolean linkable() {
        // Not in the boot layer: a jlink image without jdk.jfr, --limit-modules, or a module-path
        // application that never resolved it (requires static adds no module to the graph).
        if (ModuleLayer.boot().findModule("jdk.jfr").isEmpty()) {
            return false;
        }
        try {
            jdk.jfr.FlightRecorder.isInitialized();
            return true;
        } catch (LinkageError e) {
            // jdk.jfr is in the boot layer but not readable from this (child-layer) module:
            // events stay off; nothing else depends on them.
            System.getLogger(JfrGate.class.getName()).log(System.Logger.Level.DEBUG,
                    "jdk.jfr is not readable: gochan's JFR events are off", e);
            return false;
        }
    }
}
