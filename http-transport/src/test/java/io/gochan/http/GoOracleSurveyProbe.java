package io.gochan.http;

import io.gochan.http.testing.RawServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import io.gochan.leakcheck.NoGoroutineLeaks;
import org.junit.jupiter.api.Test;

/**
 * Our client over the Go oracle's corpus, for a side-by-side with {@code src/test/go-oracle/go1.19.8.txt}
 * (see that directory's README): each case is the answer to the first request on a connection (the oracle's
 * {@code NEXT} tail replaced by a real second answer on the same connection), and the line says what the caller
 * got and whether a second request reused the connection. A tool, not a test: its name keeps it out of the
 * build's test run; run it by hand with
 * {@code mvn -pl http-transport -am test -Dtest=GoOracleSurveyProbe -Dcorpus=/tmp/corpus.tsv -Dsurefire.failIfNoSpecifiedTests=false}
 * after {@code go run response_oracle.go -dump > /tmp/corpus.tsv}; it writes {@code -Dout} (default /tmp/hostile-ours.txt).
 */
@NoGoroutineLeaks
class GoOracleSurveyProbe {
    @Test
    void survey() throws Exception {
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(System.getProperty("corpus", "/tmp/hostile-corpus.tsv")))) {
            String[] f = line.split("\t");
            String name = f[0], method = f[1];
            String raw = new String(Base64.getDecoder().decode(f[2]), StandardCharsets.ISO_8859_1);
            boolean closes = !raw.endsWith("NEXT");
            String first = closes ? raw : raw.substring(0, raw.length() - 4);
            StringBuilder r = new StringBuilder(String.format("%-38s | %-4s | ", name, method));
            try (RawServer server = RawServer.start(c -> { // the case on the first request of the first connection
                     for (int i = 0; c.readRequest() != null; i++) {
                         if (c.index == 0 && i == 0) {
                             c.write(first);
                             if (closes) {
                                 return;
                             }
                         } else {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                         }
                     }
                 });
                 Transport t = Transport.builder().build()) {
                HttpRequest req = HttpRequest.newBuilder(server.uri("/")).method(method, RequestBody.none())
                        .timeout(Duration.ofSeconds(3)).build();
                try (HttpResponse resp = t.roundTrip(req)) {
                    r.append(resp.version()).append(' ').append(resp.status()).append(" | ");
                    try {
                        String body = new String(resp.body().stream().readAllBytes(), StandardCharsets.ISO_8859_1);
                        r.append("body ").append(escape(body));
                    } catch (Exception e) {
                        r.append("BODYERR ").append(describe(e));
                    }
                } catch (Exception e) {
                    r.append("ERR ").append(describe(e));
                }
                try (HttpResponse resp = t.roundTrip(HttpRequest.newBuilder(server.uri("/n")).timeout(Duration.ofSeconds(3)).build())) {
                    resp.body().string();
                    r.append(" | keep=").append(t.stats().dialed() == 1);
                } catch (Exception e) {
                    r.append(" | second ERR ").append(describe(e));
                }
            }
            out.append(r).append('\n');
        }
        Files.writeString(Path.of(System.getProperty("out", "/tmp/hostile-ours.txt")), out);
        Leaks.assertNoTransportGoroutines();
    }

    private static String describe(Exception e) {
        return e instanceof HttpProtocolException p ? p.reason() + " \"" + escape(p.getMessage()) + "\"" : e.getClass().getSimpleName() + " \"" + escape(String.valueOf(e.getMessage())) + "\"";
    }

    private static String escape(String s) {
        return '"' + s.replace("\r", "\\r").replace("\n", "\\n") + '"';
    }
}
