package io.gochan.nojfr;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.Received;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;
import io.gochan.select.Select;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Run by {@code NoJfrRuntimeTest} in a child JVM whose runtime has no {@code jdk.jfr} (rule JF3):
 * drives every path that emits a JFR event when JFR is there (a goroutine's life, a parked send and
 * receive, a timed-out receive, a parked select, an HTTP request on a new and on a reused connection,
 * connections closed) and prints {@code no-jfr OK}. Any touch of a JFR class would end it with
 * {@code NoClassDefFoundError}. Only {@code java.base} and gochan are used: the child sees nothing else.
 */
public final class NoJfrProgram {
    private NoJfrProgram() {}

    /**
     * Runs the checks; exits non-zero on failure.
     *
     * @param args unused
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        // The runtime really lacks JFR, or this program would prove nothing.
        check(ModuleLayer.boot().findModule("jdk.jfr").isEmpty(), "jdk.jfr is in the boot layer");
        try {
            Class.forName("jdk.jfr.Event");
            throw new AssertionError("jdk.jfr.Event is loadable");
        } catch (ClassNotFoundException expected) {
            // as it must be
        }

        Chan<Integer> ch = Chan.make();
        Goroutine sender = Go.go("no-jfr-sender", () -> ch.send(7));
        check(ch.receive() == 7, "handoff");
        sender.join();
        Chan<Integer> reply = Chan.make();
        Goroutine receiver = Go.go("no-jfr-receiver", () -> reply.send(reply.receive() + 1));
        reply.send(1);
        check(reply.receive() == 2, "echo");
        receiver.join();
        Received<Integer> none = Chan.<Integer>make().receive(Duration.ofMillis(1));
        check(none.notReady(), "timed receive timed out");

        Chan<String> a = Chan.make();
        Chan<String> b = Chan.make();
        Goroutine late = Go.go(() -> b.send("b"));
        String picked = Select.<String>cases().receive(a, v -> v).receive(b, v -> v).select();
        check(picked.equals("b"), "select picked " + picked);
        late.join();
        String timedOut = Select.<String>cases().receive(a, v -> v).timeout(Duration.ofMillis(1), () -> "timeout").select();
        check(timedOut.equals("timeout"), "select timeout");

        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().start(() -> serve(server));
            String uri = "http://127.0.0.1:" + server.getLocalPort() + "/";
            try (Transport t = Transport.builder().build()) {
                for (int i = 0; i < 2; i++) { // the second request reuses the connection
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(uri))) {
                        check(r.status() == 200 && r.body().string().equals("ok"), "response " + i);
                    }
                }
            }
        }
        System.out.println("no-jfr OK");
    }

    /** A keep-alive server with java.base only: every request gets 200 "ok". */
    private static void serve(ServerSocket server) {
        while (true) {
            try {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().start(() -> answer(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void answer(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int matched = 0;
            for (int c; (c = in.read()) >= 0; ) {
                matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : (c == '\r' ? 1 : 0);
                if (matched == 4) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    matched = 0;
                }
            }
        } catch (IOException e) {
            // the client closed the connection: this connection's work is done
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("failed: " + what);
        }
    }
}
