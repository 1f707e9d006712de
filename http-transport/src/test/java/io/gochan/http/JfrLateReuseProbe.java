package io.gochan.http;

import io.gochan.http.testing.RawServer;
import java.nio.file.Path;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;

/**
 * Run by {@link JfrLateReuseTest} in a child JVM: a keep-alive connection is opened before the flight recorder
 * exists, then a recording is created in process and a second request reuses that connection.
 */
public final class JfrLateReuseProbe {
    private JfrLateReuseProbe() {}

    /**
     * Runs the probe.
     *
     * @param args the file to dump the recording to
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        try (RawServer server = RawServer.start(c -> {
            for (int i = 0; i < 2; i++) {
                c.readRequest();
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
            c.readUntilClosed();
        })) {
            Transport t = Transport.builder().build();
            get(t, server);
            System.out.println("before, recorder initialized: " + FlightRecorder.isInitialized());
            try (Recording r = new Recording()) {
                r.enable("io.gochan.http.Connection");
                r.enable("io.gochan.http.Request");
                r.start();
                get(t, server);
                System.out.println("stats reused: " + t.stats().reused());
                t.close();
                r.stop();
                r.dump(Path.of(args[0]));
            }
        }
        System.out.println("late reuse probe done");
    }

    private static void get(Transport t, RawServer server) throws Exception {
        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/x")).build())) {
            if (!r.body().string().equals("ok")) {
                throw new AssertionError("body");
            }
        }
    }
}
