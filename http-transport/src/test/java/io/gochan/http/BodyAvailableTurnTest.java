package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E97: {@code available()} of a streamed body looks at the connection's buffer only from under the body's read turn,
 * which it tries and never waits for. The race it removes (a look beside another thread's read, combining the buffer's
 * new start with its stale end) cannot be made to happen on demand; this shows what the change must keep: the look
 * never waits behind a read that waits on the peer, and counts the buffered bytes when no read is in progress.
 */
@NoGoroutineLeaks
class BodyAvailableTurnTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E97: the server sends a third of a body and waits. While a reader on another thread waits in the socket for more
     * (holding the body's turn), {@code available()} answers 0 at once. Then the second third comes and is read; the
     * last third comes once that read is over, and the test reads 2 of its 5 bytes only once the client's TCP stack has
     * all 5 (acknowledged): that read's one fill takes them all, however they were cut in transit, and
     * {@code available()} answers the 3 still buffered. Passes before the change too (a guard: taking the turn with a
     * waiting {@code lock()} would hang the first look for as long as the peer is silent). Before, the count was taken
     * after the blocked reader's own fill, which holds what had arrived when the read woke: 3 only if the one write came
     * as one segment.
     */
    @Test
    void E97_availableNeverWaitsForAReadInProgressAndCountsTheBufferOtherwise() throws Exception {
        CountDownLatch sendTheSecond = new CountDownLatch(1);
        CountDownLatch sendTheLast = new CountDownLatch(1);
        CountDownLatch lastArrived = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nhello");
                 if (sendTheSecond.await(20, TimeUnit.SECONDS)) {
                     c.write("world");
                 }
                 if (sendTheLast.await(20, TimeUnit.SECONDS)) {
                     c.write("again");
                     c.awaitSentBytesAcknowledged(Duration.ofSeconds(20)); // in the client's socket, not yet read
                     lastArrived.countDown();
                 }
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build();
             HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(20)).build())) {
            InputStream in = r.body().stream();
            assertThat(in.readNBytes(5)).asString().isEqualTo("hello");
            Lifecycle.Caller<Integer> reader = Lifecycle.Caller.start(true, "reader", () -> in.read(new byte[2]));
            try {
                Leaks.awaitTrue(() -> Lifecycle.waitingIn(reader.thread, "ConnInput", "rawRead"),
                        "the reader waits in the socket for the rest of the body");
                assertThat(Leaks.outcomeWithin10s("available() beside a read in progress", in::available)).isEqualTo(0);
            } finally {
                sendTheSecond.countDown();
            }
            assertThat(reader.join(Duration.ofSeconds(20))).as("the reader ended").isTrue();
            assertThat(reader.error()).isNull();
            int first = reader.value();
            assertThat(first).as("the reader's bytes (fewer than 2 if the second third came cut)").isBetween(1, 2);
            // The rest of the second third: the buffer is then empty, nothing more having been sent.
            assertThat(in.readNBytes(5 - first)).asString().isEqualTo("world".substring(first));
            sendTheLast.countDown();
            assertThat(lastArrived.await(20, TimeUnit.SECONDS)).as("the last third in the client's socket").isTrue();
            assertThat(in.read(new byte[2])).as("one fill took all that was there").isEqualTo(2);
            assertThat(in.available()).as("the bytes of the last third still buffered").isEqualTo(3);
            assertThat(in.readAllBytes()).asString().isEqualTo("ain");
        }
    }
}
