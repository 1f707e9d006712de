package io.gochan.http;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;

/**
 * What the chaos probes (E70 {@link ChaosRaceProbeTest}, E142 {@link WireChaosProbeTest}) share: their requests'
 * plans by token, the listener that records each attempt in its plan and fires the caller's action at its phase, the
 * transports closed after each test, and the checks that do not depend on a probe's own faults. Each probe keeps its
 * own draws (its seeds replay the same mix), server and verdict.
 *
 * @param <C> the probe's plan
 */
abstract class ChaosProbe<C extends ChaosCall<?>> {
    /** Not a schedule: only how long a request may take before we call it hung (its backstop deadline). */
    static final Duration HANG_LIMIT = Duration.ofSeconds(20);

    /** Where in its exchange a caller's action strikes; each probe draws from its own subset. */
    enum Phase { BEFORE, GET_CONN, GOT_CONN, WROTE_HEADERS, FIRST_BYTE, MID_BODY }

    final Map<String, C> plans = new ConcurrentHashMap<>();

    /** Closed after each test even when an assertion failed first, so a failure never leaks into the next test. */
    final List<Transport> opened = new CopyOnWriteArrayList<>();

    final RequestListener listener = new RequestListener() {
        @Override
        public void getConn(HttpRequest request, String hostPort) {
            C p = plan(request);
            if (p != null) {
                p.getConns.incrementAndGet();
                p.fire(Phase.GET_CONN);
            }
        }

        @Override
        public void gotConn(HttpRequest request, boolean reused) {
            C p = plan(request);
            if (p != null) {
                p.reusedAttempts.add(reused);
                p.fire(Phase.GOT_CONN);
            }
        }

        @Override
        public void wroteHeaders(HttpRequest request) {
            C p = plan(request);
            if (p != null) {
                p.fire(Phase.WROTE_HEADERS);
            }
        }

        @Override
        public void gotFirstResponseByte(HttpRequest request) {
            C p = plan(request);
            if (p != null) {
                p.fire(Phase.FIRST_BYTE);
            }
        }

        @Override
        public void done(HttpRequest request, Throwable error) {
            C p = plan(request);
            if (p != null) {
                p.doneError = error;
                p.dones.incrementAndGet();
            }
        }
    };

    private C plan(HttpRequest request) {
        String token = request.headers().get("X-Token");
        return token == null ? null : plans.get(token);
    }

    @AfterEach
    void noLeaks() {
        opened.forEach(Transport::close);
        Leaks.assertNoTransportGoroutines();
    }

    /** Nothing in use, dialing or waiting: every connection left is idle. */
    static boolean settled(TransportStats s) {
        return s.inUse() == 0 && s.dialing() == 0 && s.waiting() == 0 && s.open() == s.idle();
    }

    /** Nothing counted at all, as after {@code close()}. */
    static boolean empty(TransportStats s) {
        return s.open() == 0 && s.idle() == 0 && s.inUse() == 0 && s.dialing() == 0 && s.waiting() == 0;
    }

    /** The counters agree with each other: open is idle plus in use, and none is negative. */
    static boolean consistent(TransportStats s) {
        return s.open() == s.idle() + s.inUse() && s.idle() >= 0 && s.inUse() >= 0 && s.dialing() >= 0 && s.waiting() >= 0;
    }

    /** The value of header {@code name} (lower case) in a raw request head, or null. */
    static String field(String head, String name) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }

    /** The first of {@code verdicts} that is not null (a check's complaint), or null if none complains. */
    static String firstNonNull(String... verdicts) {
        for (String v : verdicts) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    static String describe(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
