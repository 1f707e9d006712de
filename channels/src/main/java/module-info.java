/**
 * gochan's ground floor: {@link io.gochan.Chan}, goroutines on virtual threads (with results,
 * {@link io.gochan.GoFuture}, and error groups, {@link io.gochan.ErrGroup}), timers, a cancellation
 * context, a wait group and virtual-time bubbles ({@link io.gochan.Bubble}). Depends on nothing but
 * {@code java.base}.
 *
 * <p>JDK Flight Recorder events ({@code io.gochan.ChannelBlocked}, {@code io.gochan.SelectBlocked},
 * {@code io.gochan.Goroutine}, all disabled by default) are emitted when {@code jdk.jfr} is in the
 * runtime and a recording enables them. {@code jdk.jfr} is optional: a runtime image without it runs
 * gochan unchanged. On a full JDK {@code jdk.jfr} is resolved for a class-path and a module-path
 * application alike (on the module path through service binding: {@code java.management} binds
 * {@code jdk.management.jfr}, which requires it), so {@code jcmd JFR.start} records gochan's events with
 * no flag. A module-path application in a runtime image that holds {@code jdk.jfr} without
 * {@code jdk.management.jfr} needs {@code --add-modules jdk.jfr} for them (or a recording started with
 * {@code -XX:StartFlightRecording}, which resolves {@code jdk.jfr} itself).
 *
 * <p>{@code io.gochan.spi} holds the waiter machinery that {@code select} is built on, the gate to the JFR events and
 * the Go-style duration text a context's description and a leak report share. It is gochan's own, not an API: no
 * release promises anything of it, and code outside gochan must not use it. It is exported to every module all the same
 * (rule M1), because a qualified export reaches only named modules, and a build may put gochan's other modules on the
 * class path beside a named {@code io.gochan}: Maven Surefire does so with a modular project's test libraries
 * ({@code leak-check} always, {@code channels-select} when only the tests use it), which then failed to link.
 */
module io.gochan {
    // Optional (ADR 0011): no gochan API names a jdk.jfr type, and the events are loaded only when
    // jdk.jfr is in the boot layer and the flight recorder has been initialized.
    requires static jdk.jfr;
    exports io.gochan;
    // Select is built on the waiter machinery (and emits its JFR events through its gate); leak-check writes
    // durations as a context's description does (GoDurations, rules LK37, CX27); the stress tests and benchmarks use
    // it from the class path. The HTTP transport has its own JFR gate and needs nothing from here. Exported to all
    // (M1): a qualified export does not reach select or leak-check on the class path beside this named module, the
    // layout Surefire gives a modular project's test libraries; it is internal all the same (see above).
    exports io.gochan.spi;
}
