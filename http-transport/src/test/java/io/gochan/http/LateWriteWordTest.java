package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/**
 * Rule E138 (docs/spec/transport-lifecycle.md): a response's end pools its connection only once the write loop has said
 * that the request went out whole, a word awaited 50 ms at most; without it the connection is closed, never left in
 * use. The write loop is held here in its {@code wroteRequest} listener, which runs before it reports the write, as a
 * starved write loop is held by the scheduler (what made {@code LifecycleOrderTest}'s 32 bodies leave 31 connections
 * idle under a load average of 15 on 2 cores).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class LateWriteWordTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the answer's end is reached: with the head, held in memory; streamed after it; no body at all. */
    enum Shape { IN_MEMORY, STREAMED, NO_BODY }

    /**
     * E138: the write loop's word on the request has not come when the answer ends (its body read to its declared
     * length, or a 204 handed over): the end returns with the connection closed, not pooled and not in use; the
     * write loop, released afterwards, reports to nobody, and the next request dials a new connection and is answered.
     */
    @ParameterizedTest
    @EnumSource(Shape.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E138_anAnswerEndingBeforeTheWriteLoopsWordClosesItsConnectionInsteadOfPoolingIt(Shape shape) throws Exception {
        CountDownLatch bodyNow = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     switch (shape) {
                         case IN_MEMORY -> c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         case NO_BODY -> c.write("HTTP/1.1 204 No Content\r\n\r\n");
                         case STREAMED -> {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
                             bodyNow.await(20, TimeUnit.SECONDS); // once the caller has the head: the body is streamed
                             c.write("ok");
                         }
                     }
                 }
             })) {
            HeldWriteWord holdingTheWriteLoop = new HeldWriteWord("/held");
            try (Transport t = Transport.builder().listener(holdingTheWriteLoop).build()) {
                TransportStats atEnd;
                String body;
                try {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/held").toString()))) {
                        bodyNow.countDown();
                        body = r.body().string();
                        atEnd = t.stats();
                    }
                } finally {
                    bodyNow.countDown();
                    holdingTheWriteLoop.release();
                }
                assertThat(holdingTheWriteLoop.held()).as("the write loop was held in its listener").isTrue();
                assertThat(body).isEqualTo(shape == Shape.NO_BODY ? "" : "ok");
                assertThat(atEnd.open()).as("%s: at the answer's end %s", shape, atEnd).isZero();
                assertThat(atEnd.idle()).as("%s", atEnd).isZero();
                assertThat(atEnd.dialed()).as("%s", atEnd).isEqualTo(1);
                Lifecycle.await(holdingTheWriteLoop::released, Lifecycle.BOUND, "the write loop released by the test, not by its timeout");
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                    bodyNow.countDown();
                    assertThat(r.body().string()).isEqualTo(shape == Shape.NO_BODY ? "" : "ok");
                }
                TransportStats after = t.stats();
                assertThat(after.dialed()).as("a new connection for the next request: %s", after).isEqualTo(2);
                assertThat(after.idle()).as("%s", after).isEqualTo(1);
            }
        }
    }
}
