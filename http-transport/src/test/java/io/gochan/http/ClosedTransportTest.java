package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule E28: a closed transport refuses a request before anything of it happens. Before the rule the
 * request's body source was opened and a {@code getConn} event reported for a request that could never
 * get a connection.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ClosedTransportTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void E28_aRequestAfterCloseIsRefusedWithoutOpeningItsBodyOrAskingForAConnection() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicInteger opened = new AtomicInteger();
        RequestListener listener = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                events.add("getConn");
            }

            @Override
            public void done(HttpRequest request, Throwable error) {
                events.add("done " + (error == null ? "ok" : error.getClass().getSimpleName()));
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().listener(listener).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            t.close();
            events.clear();
            HttpRequest post = HttpRequest.newBuilder(server.uri("/after-close")).POST(RequestBody.ofStream(() -> {
                opened.incrementAndGet();
                return new ByteArrayInputStream(new byte[] {1, 2, 3});
            }, 3, "application/octet-stream")).build();
            assertThatThrownBy(() -> t.roundTrip(post))
                    .isInstanceOfSatisfying(RequestCancelledException.class,
                            e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
            assertThat(opened).as("the body source was not opened").hasValue(0);
            assertThat(events).containsExactly("done RequestCancelledException");
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialed()).as("no new connection").isEqualTo(1);
        }
    }
}
