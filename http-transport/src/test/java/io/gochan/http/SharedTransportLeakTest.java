package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A transport shared by the tests of a class (rule LK4): its idle connection's read and write loops
 * and its idle reaper run across the tests and belong to the transport, so no test fails for them;
 * after {@code @AfterAll} closes the transport, the class's check (LK8) expects them ended. Before the
 * transport owned its goroutines, each test failed with "3 goroutines still running".
 */
@NoGoroutineLeaks
class SharedTransportLeakTest {
    static JdkServer server;
    static Transport transport;

    @BeforeAll
    static void start() throws Exception {
        server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "hello"));
        transport = Transport.builder().build();
    }

    @AfterAll
    static void stop() {
        transport.close();
        server.close();
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void LK4_aTestLeavesTheSharedTransportsConnectionIdle() throws Exception {
        get();
        List<Goroutine> owned = Goroutines.live().stream()
                .filter(g -> g.owner().map(o -> o.name().equals("http-transport")).orElse(false)).toList();
        assertThat(owned).extracting(Goroutine::name)
                .anyMatch(n -> n.startsWith("http-read-loop#"))
                .anyMatch(n -> n.startsWith("http-write-loop#"))
                .contains("http-idle-reaper");
    }

    @Test
    void LK4_anotherTestReusesIt() throws Exception {
        get();
        assertThat(transport.stats().open()).isEqualTo(1);
    }

    private static void get() throws Exception {
        try (HttpResponse r = transport.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
            assertThat(r.body().string()).isEqualTo("hello");
        }
    }
}
