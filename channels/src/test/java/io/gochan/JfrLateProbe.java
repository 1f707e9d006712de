package io.gochan;

import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Recording;

/**
 * Run by {@link JfrGateTest} in a child JVM: gochan runs first with no flight recorder (the gates see it
 * uninitialized), then a {@link Recording} is created in process and the same operations run again; the
 * recording is dumped to {@code args[0]}. JF1: a recording started after the library already ran gets the events.
 */
public final class JfrLateProbe {
    private JfrLateProbe() {}

    /**
     * Runs the probe.
     *
     * @param args the file to dump the recording to
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        round("before");
        System.out.println("before, recorder initialized: " + jdk.jfr.FlightRecorder.isInitialized());
        try (Recording r = new Recording()) {
            r.enable("io.gochan.Goroutine");
            r.enable("io.gochan.ChannelBlocked").withThreshold(Duration.ZERO);
            r.start();
            round("after");
            r.stop();
            r.dump(Path.of(args[0]));
        }
        System.out.println("late probe done");
    }

    /** A goroutine named {@code name} and a timed-out receive, which surely parks. */
    private static void round(String name) throws InterruptedException {
        Go.go(name, () -> { }).join();
        for (int i = 0; i < 3; i++) {
            Chan.<Integer>make(name.length()).receive(Duration.ofMillis(20));
        }
    }
}
