package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the transport's events hold, field by field, in success and failure (JF1, JF7). {@link TransportJfrTest}
 * covers the actions and that some request was reused.
 */
@NoGoroutineLeaks
class TransportJfrContentsTest {

    private static List<RecordedEvent> record(Path file, ThrowingRunnable body) throws Exception {
        try (Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection");
            rec.enable("io.gochan.http.Request");
            rec.start();
            body.run();
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().isEmpty(), "loops ended");
            rec.stop();
            rec.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.gochan.http.")).toList();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static List<RecordedEvent> requests(List<RecordedEvent> events) {
        return events.stream().filter(e -> e.getEventType().getName().equals("io.gochan.http.Request")).toList();
    }

    /** Every field's text of every event, to look for secrets in. */
    private static String allText(List<RecordedEvent> events) {
        StringBuilder b = new StringBuilder();
        for (RecordedEvent e : events) {
            e.getFields().forEach(f -> b.append(f.getName()).append('=').append((Object) e.getValue(f.getName())).append('\n'));
        }
        return b.toString();
    }

    /**
     * JF1 probe: on a keep-alive connection the first request records reused=false and the second reused=true,
     * both status 200, no error, no retry; the request ends at its response head, not its body's end (the body
     * is sent only after roundTrip returned); credentials in the URI's user info, Authorization and Cookie appear
     * in no event.
     */
    @Test
    void JF1_requestEventsOfAKeepAliveConnectionSayReusedAndEndAtTheHead(@TempDir Path dir) throws Exception {
        CountDownLatch sendBody = new CountDownLatch(1);
        Instant[] returned = new Instant[1];
        try (RawServer server = RawServer.start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
            sendBody.await(30, TimeUnit.SECONDS);
            c.write("ok");
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            c.readUntilClosed();
        })) {
            URI uri = URI.create("http://alice:pw-secret-1@127.0.0.1:" + server.port() + "/p?q=1");
            List<RecordedEvent> events = record(dir.resolve("keep.jfr"), () -> {
                try (Transport t = Transport.builder().build()) {
                    for (int i = 0; i < 2; i++) {
                        HttpRequest req = HttpRequest.newBuilder(uri).header("Authorization", "Bearer tok-secret-2")
                                .header("Cookie", "sid=cookie-secret-3").build();
                        try (HttpResponse r = t.roundTrip(req)) {
                            if (i == 0) {
                                returned[0] = Instant.now();
                                sendBody.countDown();
                            }
                            assertThat(r.body().string()).isEqualTo("ok");
                        }
                    }
                }
            });
            List<RecordedEvent> reqs = requests(events);
            assertThat(reqs).extracting(e -> e.getBoolean("reused") + " " + e.getInt("status") + " " + e.getInt("retries")
                    + " " + e.getString("error") + " " + e.getString("method")).containsExactly("false 200 0 null GET", "true 200 0 null GET");
            assertThat(reqs.get(0).getEndTime()).isBeforeOrEqualTo(returned[0]);
            assertThat(reqs.get(0).getString("url")).isEqualTo("http://alice:xxxxx@127.0.0.1:" + server.port() + "/p?q=1");
            assertThat(reqs.get(1).getLong("connectionNanos")).isLessThanOrEqualTo(reqs.get(1).getDuration().toNanos());
            assertThat(allText(events)).doesNotContain("secret");
        }
    }

    /**
     * JF1 probe: a failed request records status 0 and its exception's type and message; a request through a
     * proxy whose URI holds a password records neither that password nor the origin's, in its request event,
     * its error or its connection's events.
     */
    @Test
    void JF1_failedAndProxiedRequestsRecordTheirErrorWithoutSecrets(@TempDir Path dir) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            c.readUntilClosed();
        })) {
            URI proxyUri = URI.create("http://pu:proxy-secret-4@127.0.0.1:" + proxy.port());
            List<RecordedEvent> events = record(dir.resolve("fail.jfr"), () -> {
                try (Transport t = Transport.builder().build()) {
                    assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://u:pw-secret-5@127.0.0.1:" + closedPort + "/x")))
                            .isInstanceOf(IOException.class);
                }
                try (Transport t = Transport.builder().proxy(r -> Optional.of(proxyUri)).build();
                     HttpResponse r = t.roundTrip(HttpRequest.get("http://u:pw-secret-6@example.invalid/y"))) {
                    assertThat(r.status()).isEqualTo(502);
                    r.body().string();
                }
                try (Transport t = Transport.builder().proxy(r -> Optional.of(proxyUri)).build()) {
                    assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://u:pw-secret-7@example.invalid/z")))
                            .isInstanceOf(ProxyException.class);
                }
            });
            List<RecordedEvent> reqs = requests(events);
            assertThat(reqs).hasSize(3);
            assertThat(reqs.get(0).getInt("status")).isZero();
            assertThat(reqs.get(0).getString("error")).startsWith("java.net.ConnectException");
            assertThat(reqs.get(1).getInt("status")).isEqualTo(502);
            assertThat(reqs.get(2).getInt("status")).isZero();
            assertThat(reqs.get(2).getString("error")).startsWith(ProxyException.class.getName());
            assertThat(allText(events)).contains("via http://127.0.0.1:" + proxy.port()).doesNotContain("secret");
        }
    }

    /**
     * JF8: a request refused before anything of it happens because its head is larger than
     * {@code maxRequestHeaderBytes} (E12) records its Request event as every other failed request does: status 0,
     * the {@link IllegalArgumentException} as its error, no connection obtained, no retry; and no Connection event
     * (nothing was dialed). The URI's password appears nowhere.
     */
    @Test
    void JF8_aRequestRefusedForItsHeadSizeRecordsItsFailure(@TempDir Path dir) throws Exception {
        try (ServerSocket never = new ServerSocket(0)) {
            List<RecordedEvent> events = record(dir.resolve("refused.jfr"), () -> {
                try (Transport t = Transport.builder().maxRequestHeaderBytes(1024).build()) {
                    HttpRequest big = HttpRequest.newBuilder(URI.create("http://u:pw-secret-8@127.0.0.1:" + never.getLocalPort() + "/big"))
                            .header("X-Big", "b".repeat(2048)).build();
                    assertThatThrownBy(() -> t.roundTrip(big)).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("more than maxRequestHeaderBytes (1024); nothing was sent");
                }
            });
            List<RecordedEvent> reqs = requests(events);
            assertThat(reqs).as("one Request event for the refused request").hasSize(1);
            RecordedEvent e = reqs.get(0);
            assertThat(e.getInt("status")).isZero();
            assertThat(e.getString("method")).isEqualTo("GET");
            assertThat(e.getString("url")).isEqualTo("http://u:xxxxx@127.0.0.1:" + never.getLocalPort() + "/big");
            assertThat(e.getString("error")).startsWith(IllegalArgumentException.class.getName())
                    .contains("more than maxRequestHeaderBytes (1024); nothing was sent");
            assertThat(e.getBoolean("reused")).isFalse();
            assertThat(e.getInt("retries")).isZero();
            assertThat(e.getLong("connectionNanos")).isZero();
            assertThat(events).as("nothing dialed: no Connection event").hasSize(1);
            assertThat(allText(events)).doesNotContain("secret");
        }
    }

    /**
     * JF11: a request that failed while obtaining its connection records the time it spent there: one that waited for
     * the per-host slot until its timeout has about that timeout as {@code connectionNanos}, one whose dial was refused
     * more than none; neither was reused or retried. Before, the field was set only once a connection was obtained, so
     * such a request said 0, a request whose whole life went into getting a connection.
     */
    @Test
    void JF11_aRequestThatGotNoConnectionRecordsTheTimeItSpentGettingOne(@TempDir Path dir) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
            release.await(30, TimeUnit.SECONDS);
            c.write("ok");
            c.readUntilClosed();
        })) {
            Duration timeout = Duration.ofMillis(300);
            List<RecordedEvent> events = record(dir.resolve("noconn.jfr"), () -> {
                try (Transport t = Transport.builder().maxConnsPerHost(1).build()) {
                    try (HttpResponse first = t.roundTrip(HttpRequest.newBuilder(server.uri("/first")).build())) {
                        // The only connection to the host is busy until its body is read: this request waits for it.
                        HttpRequest waiting = HttpRequest.newBuilder(server.uri("/waiting")).timeout(timeout).build();
                        assertThatThrownBy(() -> t.roundTrip(waiting)).isInstanceOf(IOException.class);
                        release.countDown();
                        assertThat(first.body().string()).isEqualTo("ok");
                    }
                    assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://127.0.0.1:" + closedPort + "/refused")))
                            .isInstanceOf(IOException.class);
                } finally {
                    release.countDown();
                }
            });
            List<RecordedEvent> reqs = requests(events);
            RecordedEvent waited = reqs.stream().filter(e -> e.getString("url").endsWith("/waiting")).findFirst().orElseThrow();
            RecordedEvent refused = reqs.stream().filter(e -> e.getString("url").endsWith("/refused")).findFirst().orElseThrow();
            for (RecordedEvent e : List.of(waited, refused)) {
                assertThat(e.getInt("status")).isZero();
                assertThat(e.getString("error")).isNotNull();
                assertThat(e.getBoolean("reused")).isFalse();
                assertThat(e.getInt("retries")).isZero();
                assertThat(e.getLong("connectionNanos")).as(e.getString("url")).isPositive()
                        .isLessThanOrEqualTo(e.getDuration().toNanos());
            }
            // The wait ends at the request's deadline, not before: most of the timeout went into it.
            assertThat(waited.getLong("connectionNanos")).isGreaterThanOrEqualTo(timeout.toNanos() / 2);
        }
    }

    /**
     * JF12: a request whose failure is an exception with a {@code toString()} and {@code getMessage()} that throw (here
     * a listener's {@code Error}, which reaches the caller: E20) throws that exception as itself, and its event records
     * the exception's type and what its {@code toString()} threw. Before, the event's {@code toString()} threw in
     * {@code roundTrip}'s {@code finally}, and that {@link IllegalStateException} replaced the request's own failure
     * (and the event was lost).
     */
    @Test
    void JF12_aFailureWhoseToStringThrowsIsRecordedByItsTypeAndTheRequestThrowsItAsItself(@TempDir Path dir)
            throws Exception {
        AssertionError broken = HostileExceptions.error(); // an Error of the caller's code
        RequestListener failing = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                throw broken; // before any dial: the request fails with it, holding nothing (E20)
            }
        };
        Throwable[] thrown = new Throwable[1];
        try (ServerSocket never = new ServerSocket(0)) {
            List<RecordedEvent> events = record(dir.resolve("broken.jfr"), () -> {
                try (Transport t = Transport.builder().listener(failing).build()) {
                    try {
                        t.roundTrip(HttpRequest.get("http://127.0.0.1:" + never.getLocalPort() + "/broken"));
                    } catch (Throwable x) {
                        thrown[0] = x;
                    }
                }
            });
            // By identity, and naming only a type: a failed assertion must not format the broken exception.
            assertThat(thrown[0] == broken).as("the request threw its own failure, unchanged; it threw %s",
                    thrown[0] == null ? "nothing" : thrown[0].getClass().getName()).isTrue();
            assertThat(requests(events)).extracting(e -> e.getInt("status") + " " + e.getString("error"))
                    .containsExactly("0 " + broken.getClass().getName() + " (toString() threw java.lang.IllegalStateException)");
        }
    }

    /** An {@link Error} a {@code getConn} listener throws (a test's failed assertion, most often: E20). */
    private static final class RetryRefusedError extends Error {
        private static final long serialVersionUID = 1L;

        RetryRefusedError() {
            super("getConn refused the retry");
        }
    }

    /**
     * JF13: a request's event describes its last attempt. A GET whose pooled connection the server closes as the request
     * arrives is retried on a new connection (E37): answered there, its event says reused false (the answer came over
     * the new connection) and retries 1 (a guard: the old code said so too). A GET whose retry fails at once, its
     * {@code getConn} listener throwing an {@link Error}, says the same of that retry, as {@code TransportStats.retries}
     * counts it (P54). Before, such a retry left the event as the failed first attempt had set it: reused true,
     * retries 0, so "0 reused=true retries=0" was recorded and the assertion on the two events fails.
     */
    @Test
    void JF13_aRequestsEventDescribesItsLastAttemptAlsoARetryThatFailedAtOnce(@TempDir Path dir) throws Exception {
        RetryRefusedError refused = new RetryRefusedError();
        AtomicInteger staleGetConns = new AtomicInteger();
        RequestListener refusingTheRetry = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                if (request.uri().getPath().equals("/stale") && staleGetConns.incrementAndGet() == 2) {
                    throw refused; // the retry's getConn: the request fails with it, holding nothing (E20)
                }
            }
        };
        long[] retries = new long[2];
        Throwable[] thrown = new Throwable[1];
        try (RawServer server = RawServer.start(c -> {
            boolean answered = false;
            for (String head; (head = c.readRequestHead()) != null; ) {
                if (head.startsWith("GET /stale") && answered) {
                    return; // a pooled connection: closed as the request arrives, unanswered (a GET is retried, E37)
                }
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                answered = true;
            }
        })) {
            List<RecordedEvent> events = record(dir.resolve("retried.jfr"), () -> {
                for (int i = 0; i < 2; i++) {
                    try (Transport t = Transport.builder().listener(i == 0 ? RequestListener.NONE : refusingTheRetry).build()) {
                        try (HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                            assertThat(warm.body().string()).isEqualTo("ok"); // its connection goes back to the pool
                        }
                        HttpRequest stale = HttpRequest.get(server.uri("/stale").toString());
                        if (i == 0) {
                            try (HttpResponse r = t.roundTrip(stale)) {
                                assertThat(r.body().string()).isEqualTo("ok");
                            }
                        } else {
                            try {
                                t.roundTrip(stale).close();
                            } catch (Throwable x) {
                                thrown[0] = x;
                            }
                        }
                        retries[i] = t.stats().retries();
                    }
                }
            });
            assertThat(thrown[0] == refused).as("the retry failed with the listener's Error; it threw %s",
                    thrown[0] == null ? "nothing" : thrown[0].getClass().getName()).isTrue();
            assertThat(retries).as("TransportStats.retries: each /stale was retried once").containsExactly(1L, 1L);
            List<RecordedEvent> stale = requests(events).stream().filter(e -> e.getString("url").endsWith("/stale")).toList();
            assertThat(stale).extracting(e -> e.getInt("status") + " reused=" + e.getBoolean("reused") + " retries="
                    + e.getInt("retries")).containsExactlyInAnyOrder("200 reused=false retries=1", "0 reused=false retries=1");
            assertThat(stale).filteredOn(e -> e.getInt("status") == 0).extracting(e -> e.getString("error"))
                    .containsExactly(RetryRefusedError.class.getName() + ": getConn refused the retry");
        }
    }

    /**
     * JF14: a request's URL is recorded as messages name it: its password hidden and, past 200 characters, cut there
     * with its whole length said. A request with a 5,000-character path (sent and answered) and one with a
     * 1,000,000-character path (refused for its head's size, E12, before anything is sent) each record at most that.
     * Before, the event held the URI whole, and the assertion on the URLs' lengths fails (5,000 and a million).
     */
    @Test
    void JF14_aRequestsUrlIsCutAsMessagesCutIt(@TempDir Path dir) throws Exception {
        String sentPath = "/" + "s".repeat(5_000);
        String refusedPath = "/" + "r".repeat(1_000_000);
        try (RawServer server = RawServer.answeringOk()) {
            List<RecordedEvent> events = record(dir.resolve("long.jfr"), () -> {
                try (Transport t = Transport.builder().build()) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get("http://u:pw-secret-9@127.0.0.1:" + server.port() + sentPath))) {
                        assertThat(r.body().string()).isEqualTo("ok");
                    }
                    HttpRequest big = HttpRequest.get("http://u:pw-secret-10@127.0.0.1:" + server.port() + refusedPath);
                    assertThatThrownBy(() -> t.roundTrip(big)).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("more than maxRequestHeaderBytes");
                }
            });
            List<String> urls = requests(events).stream().map(e -> e.getString("url")).toList();
            // Lengths first: a failure must not print a megabyte.
            assertThat(urls.stream().map(String::length).toList()).as("URL lengths").hasSize(2)
                    .allMatch(n -> n <= 200 + "... (1000000 characters)".length());
            String origin = "http://u:xxxxx@127.0.0.1:" + server.port();
            assertThat(urls).containsExactlyInAnyOrder(cut(origin + sentPath), cut(origin + refusedPath));
            assertThat(allText(events)).doesNotContain("secret");
        }
    }

    /** {@code text} as the transport's messages cut a URI: its first 200 characters, then its whole length. */
    private static String cut(String text) {
        return text.substring(0, 200) + "... (" + text.length() + " characters)";
    }
}
