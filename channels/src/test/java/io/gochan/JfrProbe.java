package io.gochan;

import java.time.Duration;

/**
 * Run by {@link JfrGateTest} in a child JVM: a fresh JVM's first goroutine, a parked handoff both
 * ways and a timed-out receive — every channel path that can emit a JFR event — then prints whether
 * the flight recorder is initialized. Kept to what a new user's first program does.
 */
public final class JfrProbe {
    private JfrProbe() {}

    /**
     * Runs the probe.
     *
     * @param args unused
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Chan<Integer> ch = Chan.make();
        Goroutine g = Go.go("probe", () -> ch.send(ch.receive() + 1));
        ch.send(1);
        if (ch.receive() != 2) {
            throw new AssertionError("echo");
        }
        g.join();
        // Long enough to be sure to park: a receive whose time is already up when it would queue records no event
        // (JF9), and a fresh JVM under load (first use of the wait path) took more than 1 ms to get there.
        if (!Chan.<Integer>make().receive(Duration.ofMillis(200)).notReady()) {
            throw new AssertionError("timed receive");
        }
        System.out.println("probe done, recorder initialized: " + jdk.jfr.FlightRecorder.isInitialized());
    }
}
