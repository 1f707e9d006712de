package io.gochan.http;

import static io.gochan.http.RequestWireTest.body;
import static io.gochan.http.RequestWireTest.chunks;
import static io.gochan.http.RequestWireTest.get;
import static io.gochan.http.RequestWireTest.req;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Our client over the cases of the request oracle ({@code src/test/go-oracle/request_oracle.go}), for a
 * side-by-side with its output: each case is the request a Java user builds for what the Go case builds, sent
 * through a fresh {@link Transport} (an {@link HttpClient} for the user-info cases, as Go's {@code Client} adds
 * their credentials) whose dialer always reaches a loopback {@link RawServer}, and the line gives the exact
 * bytes the server received, or the exception and whether anything was sent. A tool, not a test: its name
 * keeps it out of the build's test run; run it by hand with
 * {@code mvn -pl http-transport -am test -Dtest=RequestOracleSurveyProbe -Dsurefire.failIfNoSpecifiedTests=false};
 * it writes {@code -Dout} (default /tmp/request-ours.txt).
 */
@NoGoroutineLeaks
class RequestOracleSurveyProbe {
    private static final String U = "http://example.com/";

    interface Build {
        HttpRequest build() throws Exception;
    }

    record Case(String name, Build build, Consumer<Transport.Builder> options, boolean viaClient) {}

    private static final List<Case> CASES = new ArrayList<>();

    private static void c(String name, Build b) {
        CASES.add(new Case(name, b, t -> {}, false));
    }

    private static void c(String name, Build b, Consumer<Transport.Builder> options) {
        CASES.add(new Case(name, b, options, false));
    }

    // The requests are built as RequestWireTest builds its own (get, req, body, chunks).

    static {
        c("plain GET", () -> get(U));
        c("no path", () -> get("http://example.com"));
        c("query only", () -> get("http://example.com?q=1"));
        c("fragment", () -> get("http://example.com/p?q=1#frag"));
        c("escaped slash %2F", () -> get("http://example.com/a%2Fb"));
        c("escape %41 (unreserved)", () -> get("http://example.com/%41"));
        c("bad escape %zz", () -> get("http://example.com/%zz"));
        c("space in path", () -> get("http://example.com/a b"));
        c("space in path, multi-argument URI", () -> HttpRequest.newBuilder(new URI("http", "example.com", "/a b", null)).build());
        c("space in query", () -> get("http://example.com/?a b"));
        c("non-ASCII path and query", () -> get("http://example.com/caf\u00e9?q=\u00fc"));
        c("double slash path", () -> get("http://example.com//evil.example/x"));
        c("opaque URI", () -> get("http:foo"));
        c("CR LF in path", () -> get("http://example.com/a\r\nX-Injected: 1"));
        c("method lower-case get", () -> req("get", U, RequestBody.none()));
        c("method custom token", () -> req("M-SEARCH", U, RequestBody.none()));
        c("method with space", () -> req("GE T", U, RequestBody.none()));
        c("method with CRLF", () -> req("GET / HTTP/1.1\r\nX: y\r\n", U, RequestBody.none()));
        c("method empty", () -> req("", U, RequestBody.none()));
        c("IPv6 literal with port", () -> get("http://[::1]:8080/"));
        c("IPv6 zone", () -> get("http://[fe80::1%25eth0]:8080/"));
        c("default port 80", () -> get("http://example.com:80/"));
        c("empty port", () -> get("http://example.com:/"));
        c("port 8080", () -> get("http://example.com:8080/"));
        c("upper-case host", () -> get("http://EXAMPLE.com/"));
        c("underscore in host", () -> get("http://a_b.example/"));
        c("Host header set", () -> get(U, "Host", "other.example"));
        CASES.add(new Case("userinfo", () -> get("http://us%40er:p%3Ass@example.com/"), t -> {}, true));
        CASES.add(new Case("userinfo, Authorization set", () -> get("http://user:pass@example.com/", "Authorization", "Bearer t"), t -> {}, true));
        c("POST nil body", () -> req("POST", U, RequestBody.none()));
        c("PUT nil body", () -> req("PUT", U, RequestBody.none()));
        c("PATCH nil body", () -> req("PATCH", U, RequestBody.none()));
        c("DELETE nil body", () -> req("DELETE", U, RequestBody.none()));
        c("OPTIONS nil body", () -> req("OPTIONS", U, RequestBody.none()));
        c("post lower-case nil body", () -> req("post", U, RequestBody.none()));
        c("POST empty known body", () -> req("POST", U, body("")));
        c("GET empty known body", () -> req("GET", U, body("")));
        c("GET with body", () -> req("GET", U, body("hi")));
        c("DELETE with body", () -> req("DELETE", U, body("hi")));
        c("POST known length", () -> req("POST", U, body("hello")));
        c("POST unknown length (chunked)", () -> req("POST", U, chunks("hello")));
        c("POST unknown length, empty", () -> req("POST", U, chunks("")));
        c("user Content-Length on GET", () -> get(U, "Content-Length", "5"));
        c("user Content-Length on POST", () -> req("POST", U, body("hello"), "Content-Length", "1"));
        c("user Content-Length list", () -> req("POST", U, body("hello"), "Content-Length", "5, 5"));
        c("user TE chunked, known length", () -> req("POST", U, body("hello"), "Transfer-Encoding", "chunked"));
        c("user TE chunked, GET no body", () -> get(U, "Transfer-Encoding", "chunked"));
        c("user TE gzip, chunked body", () -> req("POST", U, chunks("hello"), "Transfer-Encoding", "gzip"));
        c("user Trailer", () -> req("POST", U, chunks("hello"), "Trailer", "X-T"));
        c("user Trailer, known length", () -> req("POST", U, body("hello"), "Trailer", "Content-Length"));
        c("Expect 100-continue with body", () -> req("POST", U, body("hello"), "Expect", "100-continue"));
        c("Expect 100-continue no body", () -> get(U, "Expect", "100-continue"));
        c("Connection close", () -> get(U, "Connection", "close"));
        c("Connection keep-alive, keep-alives off", () -> get(U, "Connection", "keep-alive"), t -> t.disableKeepAlives(true));
        c("keep-alives off", () -> get(U), t -> t.disableKeepAlives(true));
        c("Upgrade, keep-alives off", () -> get(U, "Connection", "Upgrade", "Upgrade", "websocket"), t -> t.disableKeepAlives(true));
        c("Keep-Alive, TE, Proxy-Connection", () -> get(U, "Keep-Alive", "timeout=5", "TE", "trailers", "Proxy-Connection", "keep-alive"));
        c("duplicates and order", () -> get(U, "X-B", "1", "X-A", "1", "X-B", "2"));
        c("lower-case name, Add", () -> get(U, "x-lower", "1"));
        c("value with outer blanks", () -> get(U, "X-A", "  a b \t"));
        c("empty value", () -> get(U, "X-A", ""));
        c("value with tab", () -> get(U, "X-A", "a\tb"));
        c("value with obs-text 0xE9", () -> get(U, "X-A", "caf\u00e9"));
        c("value with U+4E2D", () -> get(U, "X-A", "\u4e2d"));
        c("value CRLF injection", () -> get(U, "X-A", "a\r\nX-Injected: 1"));
        c("value LF", () -> get(U, "X-A", "a\nb"));
        c("value CR", () -> get(U, "X-A", "a\rb"));
        c("value NUL", () -> get(U, "X-A", "a\u0000b"));
        c("value BEL", () -> get(U, "X-A", "a\u0007b"));
        c("value DEL", () -> get(U, "X-A", "a\u007fb"));
        c("value obs-fold CRLF SP", () -> get(U, "X-A", "a\r\n b"));
        c("name with space", () -> get(U, "X A", "1"));
        c("name with colon", () -> get(U, "X:A", "1"));
        c("name with CRLF", () -> get(U, "X-A\r\nX-Injected", "1"));
        c("name empty", () -> get(U, "", "1"));
        c("name with NUL", () -> get(U, "X-\u0000", "1"));
        c("name with paren", () -> get(U, "X(A)", "1"));
        c("name non-ASCII", () -> get(U, "X-\u00e9", "1"));
        c("Host value with CRLF (header)", () -> get(U, "Host", "a\r\nX: y"));
        c("Content-Length value with CRLF", () -> req("POST", U, body("hello"), "Content-Length", "5\r\nX: y"));
        c("User-Agent set", () -> get(U, "User-Agent", "mine/1"));
        c("User-Agent empty", () -> get(U, "User-Agent", ""));
        c("User-Agent twice", () -> get(U, "User-Agent", "a", "User-Agent", "b"));
        c("Accept-Encoding set", () -> get(U, "Accept-Encoding", "br"));
        c("Accept-Encoding empty", () -> get(U, "Accept-Encoding", ""));
        c("Range set", () -> get(U, "Range", "bytes=0-1"));
        c("Range empty", () -> get(U, "Range", "")); // P88
        c("Range empty, then set", () -> get(U, "Range", "", "Range", "bytes=0-1")); // P88's deliberate difference
        c("HEAD", () -> req("HEAD", U, RequestBody.none()));
        c("compression off", () -> get(U), t -> t.disableCompression(true));
        c("value of 300000 bytes", () -> get(U, "X-Big", "a".repeat(300000)));
        c("path of 30000 U+4E2D (270000 bytes sent)", () -> get(U + "\u4e2d".repeat(30000)));
    }

    @Test
    void survey() throws Exception {
        StringBuilder out = new StringBuilder();
        for (Case k : CASES) {
            AtomicReference<String> got = new AtomicReference<>();
            StringBuilder r = new StringBuilder(String.format("%-40s | ", k.name()));
            try (RawServer server = RawServer.start(c -> {
                     got.set(c.readRawRequest());
                     c.write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                 })) {
                Transport.Builder tb = Transport.builder().dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port()));
                k.options().accept(tb);
                try (Transport t = tb.build()) {
                    try {
                        HttpRequest req = k.build().build();
                        req = req.toBuilder().timeout(Duration.ofSeconds(5)).build();
                        try (HttpResponse resp = k.viaClient() ? HttpClient.builder(t).build().send(req) : t.roundTrip(req)) {
                            resp.body().string();
                        }
                        server.close(); // joins the handler
                        r.append(escape(clip(got.get())));
                    } catch (Exception e) {
                        server.close();
                        r.append("ERR ").append(e.getClass().getSimpleName()).append(' ').append(escape(clip(String.valueOf(e.getMessage()))))
                                .append(server.accepted() == 0 ? " | nothing sent" : " | sent " + escape(clip(String.valueOf(got.get()))));
                    }
                }
            }
            out.append(r).append('\n');
        }
        Files.writeString(Path.of(System.getProperty("out", "/tmp/request-ours.txt")), out);
        Leaks.assertNoTransportGoroutines();
    }

    private static String clip(String s) {
        if (s == null) {
            return "null";
        }
        s = s.replaceAll("a{64,}", "<many a's>");
        return s.length() > 400 ? s.substring(0, 200) + "<" + s.length() + " chars>" : s;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            b.append(ch == '\r' ? "\\r" : ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : ch < 0x20 || ch == 0x7f ? String.format("\\x%02x", (int) ch) : ch == '"' ? "\\\"" : String.valueOf(ch));
        }
        return b.append('"').toString();
    }
}
