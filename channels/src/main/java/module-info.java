/**
 * gochan's ground floor: {@link io.gochan.Chan}, goroutines on virtual threads (with results,
 * {@link io.gochan.GoFuture}, and error groups, {@link io.gochan.ErrGroup}), timers, a cancellation
 * context, a wait group and virtual-time bubbles ({@link io.gochan.Bubble}). Depends on nothing but
 * {@code java.base}.
 *
 * <p>JDK Flight Recorder events ({@code io.gochan.ChannelBlocked}, {@code io.gochan.SelectBlocked},
 * {@code io.gochan.Goroutine}, all disabled by default) are emitted when {@code jdk.jfr} is in the
 * runtime and a recording enables them. {@code jdk.jfr} is optional: a runtime image without it runs
 * gochan unchanged. A module-path application that records with {@code jcmd JFR.start} needs
 * {@code jdk.jfr} resolved ({@code --add-modules jdk.jfr}); {@code -XX:StartFlightRecording} and the
 * class path resolve it already.
 *
 * <p>{@code io.gochan.spi} holds the waiter machinery that {@code select} is built on and the gate to
 * the JFR events; it is exported only to {@code io.gochan.select}.
 */
module io.gochan {
    // Optional (ADR 0011): no gochan API names a jdk.jfr type, and the events are loaded only when
    // jdk.jfr is in the boot layer and the flight recorder has been initialized.
    requires static jdk.jfr;
    exports io.gochan;
    // Only select is built on the waiter machinery (and emits its JFR events through its gate); the
    // stress tests and benchmarks use it from the class path, where qualified exports do not apply.
    // The HTTP transport has its own JFR gate and needs nothing from here.
    exports io.gochan.spi to io.gochan.select;
}
