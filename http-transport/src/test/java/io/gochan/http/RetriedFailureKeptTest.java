package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * E156 (docs/spec/transport-lifecycle.md): a request that fails after the transport retried it keeps, suppressed under
 * its failure, the failure of the stale connection it was retried after, in a public exception type that says so.
 * The server answers each connection's first request while the pool is warmed, closes any connection on its second
 * request without answering (the stale connection: retried, as a GET on a reused connection), and then does what the
 * test says with the retry's new connection.
 */
@NoGoroutineLeaks
class RetriedFailureKeptTest {
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();

    /** The words E156 gives the retried failure. */
    private static final String RETRIED = "(on a reused connection: retried)";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What the server does with a connection's first request once the pool is warm. */
    private interface RetryConnection {
        void handle(RawServer.Conn c) throws Exception;
    }

    /** Serves as the class says; {@code warm} false once the pool holds the connection the test's request takes. */
    private static RawServer server(AtomicBoolean warm, RetryConnection retry) throws Exception {
        return RawServer.start(c -> {
            if (c.readRequest() == null) {
                return;
            }
            if (!warm.get()) {
                retry.handle(c);
                return;
            }
            c.write(RawServer.OK);
            c.readRequest(); // the second request on this connection (or EOF): closed unanswered, the stale connection
        });
    }

    private void warm(Transport t, RawServer server, AtomicBoolean warm) throws Exception {
        idle.warmUntilIdle(t, () -> {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        });
        warm.set(false);
    }

    /** Sends the test's request, which the server fails on every connection, and returns how it failed. */
    private static HttpProtocolException failureOnItsNewConnection(Transport t, RawServer server) throws Exception {
        HttpProtocolException failure = null;
        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/retried").toString()))) {
            r.body().string();
        } catch (HttpProtocolException e) {
            failure = e;
        }
        assertThat(failure).as("the request failed on its new connection").isNotNull();
        return failure;
    }

    private static void assertKeptOneRetriedFailure(Throwable failure) {
        assertThat(failure.getSuppressed()).as("suppressed under %s", failure).hasSize(1);
        Throwable kept = failure.getSuppressed()[0];
        assertThat(kept).as("the public type, never the transport's internal one")
                .isExactlyInstanceOf(HttpConnectionException.class)
                .hasMessageStartingWith("server closed the connection before sending a response")
                .hasMessageEndingWith(RETRIED);
        Lifecycle.assertExportedType(failure);
    }

    /**
     * The retry's new connection is closed by the server as it reads the request: the request fails with that (a new
     * connection's failure is final, E37), the stale connection's failure kept under it. Before, only the new
     * connection's failure was seen.
     */
    @Test
    void E156_aRetryThatFailsOnItsNewConnectionKeepsTheStaleConnectionsFailure() throws Exception {
        AtomicBoolean warm = new AtomicBoolean(true);
        try (RawServer server = server(warm, c -> { /* read, then closed unanswered */ });
             Transport t = Transport.builder().build()) {
            warm(t, server, warm);
            HttpProtocolException failure = failureOnItsNewConnection(t, server);
            assertThat(failure.reason())
                    .isEqualTo(HttpProtocolException.Reason.SERVER_CLOSED_BEFORE_RESPONSE);
            assertThat(failure).hasMessageContaining("on a new connection: not retried");
            assertThat(t.stats().retries()).isEqualTo(1);
            assertKeptOneRetriedFailure(failure);
        }
    }

    /**
     * The request's context is cancelled while its retry awaits the new connection's answer: the request fails with
     * its cancellation, the stale connection's failure kept under it. Before, the cancellation said nothing of the
     * retry it ended.
     */
    @Test
    void E156_anEndDuringTheRetryKeepsTheStaleConnectionsFailure() throws Exception {
        AtomicBoolean warm = new AtomicBoolean(true);
        CountDownLatch retryArrived = new CountDownLatch(1);
        try (RawServer server = server(warm, c -> {
                 retryArrived.countDown();
                 c.readUntilClosed(); // never answered: the request ends first
             });
             Transport t = Transport.builder().build()) {
            warm(t, server, warm);
            CancellableContext ctx = Context.withCancel(Context.background());
            Caller<Integer> caller = Caller.virtual("retried", () -> {
                HttpRequest req = HttpRequest.newBuilder(server.uri("/retried")).timeout(Duration.ofSeconds(60)).build();
                try (HttpResponse r = t.roundTrip(req, ctx)) {
                    return r.status();
                }
            });
            try {
                assertThat(retryArrived.await(20, TimeUnit.SECONDS)).as("the retry reached its new connection").isTrue();
                ctx.cancel();
                assertThat(caller.join(Lifecycle.BOUND)).as("the request ended").isTrue();
            } finally {
                caller.abandon(() -> { });
            }
            Throwable failure = caller.error();
            assertThat(failure).isInstanceOf(RequestCancelledException.class);
            assertThat(((RequestCancelledException) failure).reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT);
            assertThat(t.stats().retries()).isEqualTo(1);
            assertKeptOneRetriedFailure(failure);
        }
    }

    /**
     * A request retried over more stale connections than E156 keeps (twelve made idle, each closed by the server on
     * its next request) keeps the first 8 of those failures, and the count of retries says how many there were.
     */
    @Test
    void E156_atMostEightRetriedFailuresAreKept() throws Exception {
        AtomicBoolean warm = new AtomicBoolean(true);
        try (RawServer server = server(warm, c -> { /* read, then closed unanswered */ });
             Transport t = Transport.builder().maxIdleConnsPerHost(12).build()) {
            IdleConnections.fill(t, server.uri("/warm"), 12);
            warm.set(false);
            long idleBefore = t.stats().idle();
            HttpProtocolException failure = failureOnItsNewConnection(t, server);
            long retries = t.stats().retries();
            assertThat(retries).as("one retry per stale connection").isEqualTo(idleBefore);
            org.junit.jupiter.api.Assumptions.assumeTrue(retries > 8,
                    "E138 kept too many connections from the pool to go past the bound: " + t.stats());
            assertThat(failure.getSuppressed()).hasSize(8)
                    .allSatisfy(kept -> assertThat(kept).isExactlyInstanceOf(HttpConnectionException.class)
                            .hasMessageEndingWith(RETRIED));
        }
    }

    /** A retry that is answered shows nothing of the failure it followed: the response is the request's outcome. */
    @Test
    void E156_aRetryThatIsAnsweredReturnsItsResponse() throws Exception {
        AtomicBoolean warm = new AtomicBoolean(true);
        try (RawServer server = server(warm, c -> c.write(RawServer.OK));
             Transport t = Transport.builder().build()) {
            warm(t, server, warm);
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/retried").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().retries()).isEqualTo(1);
        }
    }
}
