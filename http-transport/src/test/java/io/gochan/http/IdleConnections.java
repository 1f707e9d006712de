package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/** The pool tests' one way to fill a transport's pool with connections of their own (E49, E138). */
final class IdleConnections {
    private IdleConnections() {}

    /**
     * Makes up to {@code n} connections idle: {@code n} requests at once, each holding its response until all have one,
     * then reading its body to the end; each connection is then idle, or closed (E138), none in use.
     */
    static void fill(Transport t, URI uri, int n) throws Exception {
        CyclicBarrier allHaveOne = new CyclicBarrier(n);
        List<Caller<String>> callers = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            callers.add(Caller.virtual("get-" + k, () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()))) {
                    allHaveOne.await(20, TimeUnit.SECONDS); // so that each takes a connection of its own
                    return r.body().string();
                }
            }));
        }
        for (Caller<String> c : callers) {
            assertThat(c.join(Lifecycle.BOUND)).isTrue();
            assertThat(c.error()).isNull();
        }
        // Each caller's read returned once its connection was back in the pool or closed (E49, P15): none is in use.
        // Not necessarily all n idle: a connection whose write loop had not said within 50 ms that its request went
        // out whole is closed instead of pooled (E138), seen once under a load average of 15 on 2 cores.
        TransportStats s = t.stats();
        assertThat(s.dialed()).as("one connection per caller: %s", s).isEqualTo(n);
        assertThat(s.inUse()).as("connections in use once every body was read to its end: %s", s).isZero();
        assertThat(s.dialing() + s.waiting()).as("%s", s).isZero();
    }
}
