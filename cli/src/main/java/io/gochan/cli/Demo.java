package io.gochan.cli;

import com.sun.net.httpserver.HttpServer;
import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.WaitGroup;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;
import io.gochan.select.Select;

import java.io.Console;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The no-argument demo: starts the JDK's HTTP server on loopback, runs a short keep-alive load
 * against it through one {@link Transport} (callers are goroutines taking work from a channel), shows
 * progress on a terminal, and prints the summary. Everything it starts, it stops.
 */
final class Demo {
    /**
     * {@code Console.isTerminal()} (JDK 22+), or null on JDK 21, where it does not exist (and {@code --release 21}
     * cannot compile a call to it).
     */
    static final Method IS_TERMINAL = isTerminalMethod();

    private Demo() {}

    private static Method isTerminalMethod() {
        try {
            return Console.class.getMethod("isTerminal");
        } catch (NoSuchMethodException jdk21) {
            return null;
        }
    }

    /**
     * Whether {@code console} ({@link System#console()}) stands for a terminal (R96). A non-null console means one only
     * on JDK 21 and 25: on 22 to 24 the JLine console is the default and is there with the standard streams
     * redirected, so where {@code isTerminal} exists ({@code isTerminal}, the method it names; null on JDK 21)
     * it decides. A console that cannot be asked is taken for no terminal: a progress line in a log is worse than
     * none on a screen.
     */
    static boolean isTerminal(Object console, Method isTerminal) {
        if (console == null) {
            return false;
        }
        if (isTerminal == null) {
            return true; // JDK 21: System.console() is null unless stdin and stdout are a terminal
        }
        try {
            return Boolean.TRUE.equals(isTerminal.invoke(console));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    static int run(int requests, int callers, PrintStream out, PrintStream err) throws Exception {
        byte[] payload = "hello from the embedded server\n".getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // Not the server's default executor (its one dispatcher thread would run every handler): each
        // exchange gets a virtual thread, so handlers never queue behind each other.
        ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(serverThreads);
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, payload.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(payload);
            }
        });
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hello");
        out.println("gochan demo: " + requests + " keep-alive GETs from " + callers + " goroutines to " + uri
                + " (embedded JDK server), at most 8 connections");
        LoadSummary summary = new LoadSummary(requests);
        try (Transport transport = Transport.builder().maxConnsPerHost(8).maxIdleConnsPerHost(8).build()) {
            Chan<Integer> work = Chan.make(callers);
            WaitGroup wg = new WaitGroup();
            for (int c = 0; c < callers; c++) {
                wg.add(1);
                Go.go("demo-caller-" + c, () -> {
                    try {
                        for (int ignored : work) {
                            one(transport, uri, summary);
                        }
                    } finally {
                        wg.done();
                    }
                });
            }
            Chan<Object> finished = Chan.make();
            Go.go("demo-progress", () -> progress(requests, summary, finished, err));
            for (int i = 0; i < requests; i++) {
                work.send(i);
            }
            work.close();
            wg.await();
            finished.close();
            out.println(summary.render(transport.stats()));
            out.println(limits(Runtime.getRuntime().availableProcessors()));
        } finally {
            server.stop(0);
            serverThreads.shutdownNow();
        }
        return 0;
    }

    /**
     * What the figures measure: client and server together, on the same CPUs. Said in the output so
     * nobody reads them as the client's speed, which the benchmarks measure against nginx.
     */
    static String limits(int cpus) {
        return "what limits these figures: the server is the JDK's com.sun.net.httpserver on loopback (one "
                + "selector thread, each exchange on a virtual thread) running on the same " + cpus
                + (cpus == 1 ? " CPU" : " CPUs") + " as the client, so they include the server's cost; "
                + "the client alone against nginx and other clients: benchmarks/README.md";
    }

    private static void one(Transport t, URI uri, LoadSummary summary) throws InterruptedException {
        long start = System.nanoTime();
        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).build())) {
            summary.record(System.nanoTime() - start, r.body().bytes().length);
        } catch (IOException e) {
            summary.failed(e);
        }
    }

    /** Redraws a progress line on a terminal every 100 ms until {@code finished} closes; nothing without one (R96). */
    private static void progress(int total, LoadSummary summary, Chan<Object> finished, PrintStream err)
            throws InterruptedException {
        if (!isTerminal(System.console(), IS_TERMINAL)) {
            finished.receiveOk();
            return;
        }
        boolean more = true;
        while (more) {
            more = Select.<Boolean>cases()
                    .receiveOk(finished, r -> false)
                    .timeout(Duration.ofMillis(100), () -> true)
                    .select();
            err.print("\r" + summary.done() + "/" + total + " requests");
            err.flush();
        }
        err.print("\r");
    }
}
