package io.gochan.http.internal;

/**
 * The transport's gate to its JFR events (ADR 0011): true only when {@code jdk.jfr} is in the boot layer
 * and the flight recorder has been initialized, so no event class is loaded, and nothing is paid,
 * until a recording exists. The transport's own copy of the rule {@code io.gochan} applies to its
 * events, so that this module needs nothing from {@code io.gochan.spi} (issue 16: the SPI is select's
 * alone). Never blocks, never throws.
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
        return PRESENT && Recorder.initialized();
    }

    private static boolean linkable() {
        // Not in the boot layer: a jlink image without jdk.jfr, --limit-modules, or a module-path
        // application that never resolved it (requires static adds no module to the graph).
        if (ModuleLayer.boot().findModule("jdk.jfr").isEmpty()) {
            return false;
        }
        try {
            Recorder.initialized(); // links jdk.jfr's FlightRecorder, or fails here
            return true;
        } catch (LinkageError e) {
            System.getLogger(JfrGate.class.getName()).log(System.Logger.Level.DEBUG,
                    "jdk.jfr is not readable: the transport's JFR events are off", e);
            return false;
        }
    }

    /** The only code here that names a {@code jdk.jfr} type, loaded only once jdk.jfr is known to be there. */
    private static final class Recorder {
        static boolean initialized() {
            return jdk.jfr.FlightRecorder.isInitialized();
        }
    }
}
