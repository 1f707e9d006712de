package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The jar (R12), Set-Cookie parsing and the {@code Cookie} field against Go 1.19 as an oracle: each scenario
 * is a row of {@code http-transport/src/test/go-oracle/cookies/cases.txt}, replayed there through Go's
 * {@code readSetCookies}, {@code cookiejar.New(nil)} and {@code Request.AddCookie}; the Cookie field Go sent
 * is written here as a literal (rows printed by {@code go run . -java}). Where we differ on purpose, the row
 * holds Go's answer, ours, and the rule that says why (R12, R18, R21, R22, R25, R35, R59, R75). The rows found R34
 * (blanks and bad characters in {@code Set-Cookie}), R35 ({@code Expires} zones), R36 (quoted values) and
 * R37 (dates that do not exist). Pure jar and parser work, the client's {@code Cookie} field rendering
 * included: no server, no threads.
 */
class CookieOracleTest {

    /**
     * One response ({@code "set"}), one query ({@code "get"}: the Cookie field sent to {@code url}) or one
     * parse ({@code "parse"}: what the Set-Cookie field in {@code url} holds, as {@link #describe} writes it).
     */
    record Step(String kind, String url, List<String> setCookies, String go, String ours, String why) {
        @Override
        public String toString() {
            return kind + " " + url + (kind.equals("set") ? " " + setCookies : "");
        }
    }

    record Scenario(String name, List<Step> steps) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Scenario scenario(String name, Step... steps) {
        return new Scenario(name, List.of(steps));
    }

    private static Step set(String url, String... setCookies) {
        return new Step("set", url, List.of(setCookies), null, null, null);
    }

    /** A query where we send what Go sends. */
    private static Step get(String url, String go) {
        return new Step("get", url, List.of(), go, go, null);
    }

    /** A Set-Cookie field we read as Go reads it. */
    private static Step parse(String field, String go) {
        return new Step("parse", field, List.of(), go, go, null);
    }

    /** A Set-Cookie field we read as {@code ours}, not as Go's {@code go}, on purpose: {@code why} names the rule. */
    private static Step parseDiffers(String field, String go, String ours, String why) {
        return new Step("parse", field, List.of(), go, ours, why);
    }

    /** A query where we send {@code ours}, not Go's {@code go}, on purpose: {@code why} names the rule. */
    private static Step differs(String url, String go, String ours, String why) {
        return new Step("get", url, List.of(), go, ours, why);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void R12_sendsWhatGoSendsOrDiffersOnPurpose(Scenario s) {
        MemoryCookieJar jar = new MemoryCookieJar(new CookieJarTest.ManualClock());
        List<String> wrong = new ArrayList<>();
        for (Step step : s.steps()) {
            if (step.kind().equals("parse")) {
                String read = describe(Cookie.parse(asTheClientReadsIt(step.url())));
                if (!read.equals(step.ours())) {
                    wrong.add(step + ": read [" + read + "], expected [" + step.ours() + "]"
                            + (step.why() == null ? " (as Go)" : " (Go: [" + step.go() + "], " + step.why() + ")"));
                }
                continue;
            }
            URI uri = asTheClientSendsIt(step.url());
            if (step.kind().equals("set")) {
                List<Cookie> cookies = step.setCookies().stream().map(CookieOracleTest::asTheClientReadsIt)
                        .map(Cookie::parse).flatMap(Optional::stream).toList();
                jar.setCookies(uri, cookies);
                continue;
            }
            String sent = HttpClient.cookieHeader(null, jar.cookies(uri));
            if (!sent.equals(step.ours())) {
                wrong.add(step + ": sent [" + sent + "], expected [" + step.ours() + "]"
                        + (step.why() == null ? " (as Go)" : " (Go: [" + step.go() + "], " + step.why() + ")"));
            }
        }
        assertThat(wrong).as(s.name()).isEmpty();
    }

    /** A field as the client reads it: its bytes (UTF-8 here) seen as ISO-8859-1 characters. */
    private static String asTheClientReadsIt(String field) {
        return new String(field.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * What the oracle's {@code describe} writes for Go's cookie: name=value, then Domain and Path as sent
     * (empty if absent), Max-Age {@code unset}, {@code delete} or seconds, Expires in ISO form or
     * {@code unset}; {@code dropped} if the field held no cookie.
     */
    static String describe(Optional<Cookie> parsed) {
        if (parsed.isEmpty()) {
            return "dropped";
        }
        Cookie c = parsed.get();
        String maxAge = c.maxAge() == null ? "unset"
                : c.maxAge().isZero() || c.maxAge().isNegative() ? "delete" : Long.toString(c.maxAge().getSeconds());
        return c.name() + "=" + c.value() + " domain=" + (c.domain() == null ? "" : c.domain())
                + " path=" + (c.path() == null ? "" : c.path()) + " max-age=" + maxAge
                + " expires=" + (c.expires() == null ? "unset" : c.expires()) + " secure=" + c.secure()
                + " httponly=" + c.httpOnly();
    }

    /**
     * {@code url} as the client hands it to the jar: an internationalized host in its IDNA ASCII form (R18).
     * A URI the client cannot send (another scheme, {@code http://0.0.1/}, whose host {@link URI} does not
     * read) goes to the jar as it is, which ignores it.
     */
    private static URI asTheClientSendsIt(String url) {
        URI uri = URI.create(url);
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(java.util.Locale.ROOT);
        boolean sendable = (scheme.equals("http") || scheme.equals("https"))
                && (uri.getHost() != null || !uri.getRawAuthority().chars().allMatch(c -> c < 0x80));
        return sendable ? HttpRequest.newBuilder(uri).build().uri() : uri;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void everyDeliberateDifferenceNamesItsRule(Scenario s) {
        for (Step step : s.steps()) {
            if (!step.kind().equals("set") && !step.ours().equals(step.go())) {
                assertThat(step.why()).as(s.name() + " " + step).matches("R[0-9]+: .+");
            }
        }
    }

    static Stream<Scenario> scenarios() {
        return Arrays.stream(SCENARIOS);
    }

    /**
     * Rows from {@code go run . -java} in {@code src/test/go-oracle/cookies}, Go 1.19, {@code TZ=UTC}; then each
     * deliberate difference turned from {@code get} into {@code differs} by hand.
     */
    private static final Scenario[] SCENARIOS = {
            scenario("host-only",
                    set("http://example.com/",
                            "SID=31d4d96e407aad42"),
                    get("http://example.com/", "SID=31d4d96e407aad42"),
                    get("http://www.example.com/", ""),
                    get("http://EXAMPLE.com/x", "SID=31d4d96e407aad42"),
                    get("http://example.com./", "SID=31d4d96e407aad42"),
                    get("http://example.com:8080/", "SID=31d4d96e407aad42")),
            scenario("domain-leading-dot",
                    set("http://www.example.com/",
                            "a=1; Domain=.example.com",
                            "b=2; Domain=example.com",
                            "c=3; Domain=..example.com"),
                    get("http://example.com/", "a=1; b=2"),
                    get("http://foo.example.com/", "a=1; b=2"),
                    get("http://a.b.example.com/", "a=1; b=2"),
                    get("http://notexample.com/", "")),
            scenario("domain-not-a-suffix",
                    set("http://foo.example.com/",
                            "a=1; Domain=bar.example.com",
                            "b=1; Domain=example.org",
                            "c=1; Domain=oo.example.com",
                            "d=1; Domain=a.foo.example.com",
                            "e=1; Domain=example.com.",
                            "f=1; Domain=.",
                            "g=1; Domain="),
                    get("http://foo.example.com/", "g=1"),
                    get("http://bar.example.com/", ""),
                    get("http://oo.example.com/", ""),
                    get("http://a.foo.example.com/", ""),
                    get("http://example.org/", "")),
            scenario("domain-uppercase-and-spaces",
                    set("http://WWW.Example.COM/",
                            "a=1; Domain=EXAMPLE.com",
                            "b=1; domain=Example.Com ; path=/",
                            "c=1; DOMAIN= example.com"),
                    differs("http://example.com/", "a=1; b=1", "a=1; b=1; c=1",
                            "R12: name, value and attribute are trimmed of blanks (RFC 6265 5.2), Go trims only the field"),
                    differs("http://sub.example.com/", "a=1; b=1", "a=1; b=1; c=1",
                            "R12: name, value and attribute are trimmed of blanks (RFC 6265 5.2), Go trims only the field")),
            scenario("domain-quoted-or-invalid-attribute",
                    set("http://www.example.com/",
                            "q=1; Domain=\"example.com\"",
                            "n=1; Domain=ex\u00e4mple.com",
                            "s=1; Domain=example.com\\"),
                    get("http://www.example.com/", "q=1; n=1; s=1"),
                    get("http://example.com/", "")),
            scenario("control-in-attributes",
                    set("http://www.example.com/a/b",
                            "p=1; Path=/a\u0001",
                            "d=1; Domain=example.com\u0001",
                            "q=1; Path=\"/a\"; Domain=\"example.com\"",
                            "v=1; Path=/a\u000b"),
                    get("http://www.example.com/a", "p=1; d=1; q=1; v=1"),
                    get("http://www.example.com/", ""),
                    get("http://example.com/a", "")),
            scenario("trailing-dot-host",
                    set("http://www.example.com./",
                            "a=1",
                            "b=1; Domain=example.com"),
                    get("http://www.example.com/", "a=1; b=1"),
                    get("http://www.example.com./", "a=1; b=1"),
                    get("http://x.example.com./", "b=1")),
            scenario("ip-host",
                    set("http://127.0.0.1/",
                            "a=1; Domain=127.0.0.1",
                            "b=1; Domain=0.0.1",
                            "c=1; Domain=.127.0.0.1",
                            "d=1"),
                    get("http://127.0.0.1/", "a=1; d=1"),
                    get("http://127.0.0.1:8080/", "a=1; d=1"),
                    get("http://0.0.1/", "")),
            scenario("ip-host-v6",
                    set("http://[::1]:8080/",
                            "a=1"),
                    get("http://[::1]:8080/", "a=1"),
                    get("http://[::1]:9090/", "a=1")),
            scenario("single-label",
                    set("http://foo.example.com/",
                            "a=1; Domain=com"),
                    set("http://localhost/",
                            "b=1; Domain=localhost",
                            "c=1"),
                    differs("http://foo.example.com/", "a=1", "",
                            "R12: no public suffix list, so a single-label Domain other than the host is refused (ADR 0010)"),
                    get("http://bar.com/", ""),
                    get("http://localhost/", "b=1; c=1"),
                    get("http://localhost:8080/", "b=1; c=1"),
                    get("http://x.localhost/", "")),
            scenario("localhost-subdomain",
                    set("http://app.localhost/",
                            "a=1; Domain=localhost",
                            "b=1; Domain=app.localhost"),
                    differs("http://app.localhost/", "a=1; b=1", "b=1",
                            "R12: no public suffix list, so a single-label Domain other than the host is refused (ADR 0010)"),
                    get("http://api.localhost/", ""),
                    get("http://localhost/", "")),
            scenario("idn",
                    set("http://xn--bcher-kva.example/",
                            "a=1; Domain=xn--bcher-kva.example",
                            "b=1"),
                    get("http://xn--bcher-kva.example/", "a=1; b=1"),
                    get("http://www.xn--bcher-kva.example/", "a=1")),
            scenario("idn-unicode",
                    set("http://b\u00fccher.example/",
                            "a=1",
                            "b=1; Domain=b\u00fccher.example"),
                    set("http://www.xn--bcher-kva.example/",
                            "c=1; Domain=xn--bcher-kva.example"),
                    get("http://xn--bcher-kva.example/", "a=1; b=1; c=1"),
                    get("http://b\u00fccher.example/", "a=1; b=1; c=1"),
                    differs("http://B\u00dcCHER.example/", "", "a=1; b=1; c=1",
                            "R18: a host name is made ASCII by IDNA, which folds case first; Go's jar encodes the labels"
                            + " as they are, so B\u00dcCHER and b\u00fccher are two hosts there"),
                    get("http://www.b\u00fccher.example/", "c=1")),
            scenario("path-default-and-match",
                    set("http://example.com/docs/index.html",
                            "d=1"),
                    set("http://example.com/x",
                            "root=1",
                            "p=1; Path=/docs",
                            "bad=1; Path=relative",
                            "empty=1; Path="),
                    get("http://example.com/docs", "d=1; p=1; root=1; bad=1; empty=1"),
                    get("http://example.com/docs/", "d=1; p=1; root=1; bad=1; empty=1"),
                    get("http://example.com/docs/Web/HTTP", "d=1; p=1; root=1; bad=1; empty=1"),
                    get("http://example.com/docsets", "root=1; bad=1; empty=1"),
                    get("http://example.com/fr/docs", "root=1; bad=1; empty=1"),
                    get("http://example.com", "root=1; bad=1; empty=1"),
                    get("http://example.com/?q=1", "root=1; bad=1; empty=1")),
            scenario("path-prefix-boundary",
                    set("http://example.com/",
                            "ab=1; Path=/a/b",
                            "abs=1; Path=/a/b/"),
                    get("http://example.com/a/b", "ab=1"),
                    get("http://example.com/a/bc", ""),
                    get("http://example.com/a/b/", "abs=1; ab=1"),
                    get("http://example.com/a/b/c", "abs=1; ab=1"),
                    get("http://example.com/a", "")),
            scenario("path-default-no-slash",
                    set("http://example.com",
                            "a=1"),
                    set("http://example.com/a/b/",
                            "b=1"),
                    set("http://example.com/one",
                            "c=1"),
                    get("http://example.com/", "a=1; c=1"),
                    get("http://example.com/a/b", "b=1; a=1; c=1"),
                    get("http://example.com/a/b/x", "b=1; a=1; c=1")),
            scenario("path-attribute-odd",
                    set("http://example.com/",
                            "a=1; Path=/A",
                            "b=1; Path=/a?x",
                            "c=1; path = /a",
                            "d=1; Path=\"/a\""),
                    get("http://example.com/a", "c=1; d=1"),
                    differs("http://example.com/A/x", "a=1; c=1; d=1", "a=1; d=1",
                            "R12: name, value and attribute are trimmed of blanks (RFC 6265 5.2), Go trims only the field")),
            scenario("path-percent-encoded",
                    set("http://example.com/a%2Fb/c",
                            "a=1"),
                    set("http://example.com/",
                            "b=1; Path=/admin"),
                    get("http://example.com/a%2Fb/x", "a=1"),
                    differs("http://example.com/a/b/x", "a=1", "",
                            "R12: paths are matched as sent, percent-encoded (RFC 6265 5.1.4 uri-path), Go decodes them first"),
                    differs("http://example.com/%61dmin/x", "b=1", "",
                            "R12: paths are matched as sent, percent-encoded (RFC 6265 5.1.4 uri-path), Go decodes them first")),
            scenario("max-age",
                    set("http://example.com/",
                            "zero=1; Max-Age=0",
                            "neg=1; Max-Age=-1",
                            "future=1; Max-Age=3600",
                            "soon=1; Max-Age=soon",
                            "plus=1; Max-Age=+60",
                            "lead=1; Max-Age=060",
                            "lead0=1; Max-Age=00",
                            "negzero=1; Max-Age=-0",
                            "space=1; Max-Age= 60",
                            "frac=1; Max-Age=1.5",
                            "empty=1; Max-Age="),
                    get("http://example.com/", "future=1; soon=1; plus=1; lead=1; space=1; frac=1; empty=1")),
            scenario("max-age-huge",
                    set("http://example.com/",
                            "y100=1; Max-Age=3153600000",
                            "d11=1; Max-Age=99999999999",
                            "d18=1; Max-Age=999999999999999999",
                            "d19=1; Max-Age=9223372036854775807",
                            "d20=1; Max-Age=99999999999999999999"),
                    differs("http://example.com/", "y100=1; d11=1; d20=1", "y100=1; d11=1; d18=1; d19=1; d20=1",
                            "R21: a Max-Age past what Go's time.Duration holds overflows there into a past expiry"
                            + " and the cookie is gone; here it never expires")),
            scenario("max-age-deletes",
                    set("http://example.com/",
                            "a=1",
                            "b=1",
                            "c=1",
                            "d=1"),
                    set("http://example.com/",
                            "a=; Max-Age=0",
                            "b=; Max-Age=-100",
                            "c=; Max-Age=bogus",
                            "d=x; Max-Age=0; Path=/other"),
                    get("http://example.com/", "c=; d=1"),
                    get("http://example.com/other", "c=; d=1")),
            scenario("expires",
                    set("http://example.com/",
                            "past=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
                            "future=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
                            "netscape=1; Expires=Fri, 01-Jan-2100 00:00:00 GMT",
                            "garbage=1; Expires=garbage",
                            "empty=1; Expires=",
                            "twodigit=1; Expires=Fri, 01-Jan-00 00:00:00 GMT"),
                    get("http://example.com/", "future=1; netscape=1; garbage=1; empty=1; twodigit=1")),
            scenario("expires-deletes",
                    set("http://example.com/",
                            "gmt=1",
                            "utc=1",
                            "pst=1",
                            "lower=1",
                            "noday=1",
                            "wrongday=1",
                            "netscape=1",
                            "unparsable=1",
                            "numeric=1",
                            "oneday=1"),
                    set("http://example.com/",
                            "gmt=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                            "utc=; Expires=Thu, 01 Jan 1970 00:00:00 UTC",
                            "pst=; Expires=Thu, 01 Jan 1970 00:00:00 PST",
                            "lower=; Expires=thu, 01 jan 1970 00:00:00 gmt",
                            "noday=; Expires=01 Jan 1970 00:00:00 GMT",
                            "wrongday=; Expires=Mon, 01 Jan 1970 00:00:00 GMT",
                            "netscape=; Expires=Thu, 01-Jan-1970 00:00:01 GMT",
                            "unparsable=; Expires=yesterday",
                            "numeric=; Expires=Thu, 01 Jan 1970 00:00:00 +0000",
                            "oneday=; Expires=Thu, 1 Jan 1970 00:00:00 GMT"),
                    differs("http://example.com/", "lower=; noday=; unparsable=; oneday=", "unparsable=",
                            "R25: a date without its weekday, with a one-digit day or in lower case is read"
                            + " (RFC 6265 5.1.1 reads them), Go's time.Parse refuses it and the deletion is lost")),
            scenario("expires-future-zones",
                    set("http://example.com/",
                            "utc=1; Expires=Fri, 01 Jan 2100 00:00:00 UTC",
                            "pst=1; Expires=Fri, 01 Jan 2100 00:00:00 PST",
                            "cet=1; Expires=Fri, 01-Jan-2100 00:00:00 CET"),
                    get("http://example.com/", "utc=1; pst=1; cet=1")),
            scenario("max-age-wins-over-expires",
                    set("http://example.com/",
                            "a=1; Max-Age=3600; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
                            "b=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=3600",
                            "c=1; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
                            "d=1; Max-Age=junk; Expires=Sun, 06 Nov 1994 08:49:37 GMT"),
                    get("http://example.com/", "a=1; b=1")),
            scenario("secure",
                    set("https://example.com/",
                            "s=1; Secure",
                            "p=1",
                            "s2=1; secure=false"),
                    set("http://example.com/",
                            "h=1; Secure"),
                    differs("https://example.com/", "s=1; p=1; s2=1; h=1", "s=1; p=1; s2=1",
                            "R75: a Secure cookie set over http is ignored (RFC 6265bis); Go keeps it"),
                    get("http://example.com/", "p=1"),
                    differs("HTTPS://EXAMPLE.COM/", "s=1; p=1; s2=1; h=1", "s=1; p=1; s2=1",
                            "R75: a Secure cookie set over http is ignored (RFC 6265bis); Go keeps it")),
            scenario("secure-over-http-replaces",
                    set("https://example.com/",
                            "a=secure; Secure"),
                    set("http://example.com/",
                            "a=plain"),
                    differs("https://example.com/", "a=plain", "a=secure",
                            "R75: http never replaces a Secure cookie (RFC 6265bis); Go replaces it"),
                    differs("http://example.com/", "a=plain", "",
                            "R75: http never replaces a Secure cookie (RFC 6265bis); Go replaces it")),
            scenario("httponly-samesite",
                    set("http://example.com/",
                            "a=1; HttpOnly",
                            "b=1; SameSite=Strict",
                            "c=1; SameSite=None",
                            "d=1; SameSite=bogus",
                            "e=1; SameSite",
                            "f=1; HttpOnly=no; SameSite=Lax"),
                    get("http://example.com/", "a=1; b=1; c=1; d=1; e=1; f=1")),
            scenario("names",
                    set("http://example.com/",
                            "=x",
                            "novalue",
                            "a b=1",
                            "a\"b=1",
                            "a,b=1",
                            "a;b=1",
                            "$Version=1",
                            "a.b-c_d~e!f=1",
                            "x:y=1",
                            "n\u00e9=1",
                            "tab\u0009name=1",
                            "\u0001ctl=1",
                            "\u000bvt=1",
                            "trailctl=1\u0001",
                            "nbsp=1\u00a0"),
                    get("http://example.com/", "$Version=1; a.b-c_d~e!f=1")),
            scenario("name-value-whitespace",
                    set("http://example.com/",
                            "lang = en",
                            "trail =1",
                            "lead= 1",
                            "sp=a b",
                            "both=  x  "),
                    differs("http://example.com/", "lead=\" 1\"; sp=\"a b\"; both=\"  x\"", "lang=en; trail=1; lead=1; sp=\"a b\"; both=x",
                            "R12: name, value and attribute are trimmed of blanks (RFC 6265 5.2), Go trims only the field")),
            scenario("values",
                    set("http://example.com/",
                            "q=\"quoted\"",
                            "qe=\"\"",
                            "q1=\"",
                            "qm=\"a\"b\"",
                            "semi=a\\;b",
                            "bs=a\\b",
                            "comma=a,b",
                            "space=a b",
                            "eq=a=b=c",
                            "empty=",
                            "ctl=a\u0001b",
                            "del=a\u007fb",
                            "hi=a\u00e9b",
                            "json={\"a\":1}",
                            "tab=a\u0009b"),
                    get("http://example.com/", "q=quoted; qe=; comma=\"a,b\"; space=\"a b\"; eq=a=b=c; empty=")),
            scenario("duplicate-names-paths",
                    set("http://example.com/",
                            "n=root",
                            "n=a; Path=/a",
                            "n=ab; Path=/a/b",
                            "m=1"),
                    get("http://example.com/a/b/c", "n=ab; n=a; n=root; m=1"),
                    get("http://example.com/a", "n=a; n=root; m=1"),
                    get("http://example.com/", "n=root; m=1")),
            scenario("order-and-replacement",
                    set("http://example.com/",
                            "b=1",
                            "a=1"),
                    set("http://example.com/",
                            "deep=1; Path=/a/b",
                            "mid=1; Path=/a"),
                    set("http://example.com/",
                            "b=2"),
                    get("http://example.com/a/b/c", "deep=1; mid=1; b=2; a=1"),
                    get("http://example.com/", "b=2; a=1")),
            scenario("host-only-vs-domain-same-name",
                    set("http://example.com/",
                            "a=host"),
                    set("http://example.com/",
                            "a=domain; Domain=example.com"),
                    get("http://example.com/", "a=domain"),
                    get("http://www.example.com/", "a=domain")),
            scenario("domain-then-host-only",
                    set("http://www.example.com/",
                            "a=domain; Domain=example.com"),
                    set("http://example.com/",
                            "a=host"),
                    get("http://example.com/", "a=host"),
                    get("http://www.example.com/", "")),
            scenario("many-attributes",
                    set("http://example.com/",
                            "a=1; Path=/; Path=/x; Domain=example.com; Domain=; Secure; HttpOnly; SameSite=Lax; Max-Age=60; Max-Age=0; Foo=bar; ; ;; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
                            "b=1;;;;;Path=/;;;",
                            "c=1; Max-Age=0; Max-Age=60"),
                    get("http://example.com/", "b=1; c=1"),
                    get("http://example.com/x", "b=1; c=1"),
                    get("http://www.example.com/", "")),
            scenario("last-attribute-wins",
                    set("http://www.example.com/",
                            "a=1; Domain=other.org; Domain=example.com",
                            "b=1; Domain=example.com; Domain=other.org"),
                    get("http://www.example.com/", "a=1"),
                    get("http://example.com/", "a=1")),
            scenario("scheme-other",
                    set("ftp://example.com/",
                            "a=1"),
                    set("ws://example.com/",
                            "b=1"),
                    set("http://example.com/",
                            "c=1"),
                    get("ftp://example.com/", ""),
                    get("ws://example.com/", ""),
                    get("http://example.com/", "c=1")),
            scenario("localhost",
                    set("http://localhost:8080/",
                            "a=1",
                            "b=1; Domain=localhost",
                            "c=1; Domain=.localhost"),
                    get("http://localhost/", "a=1; b=1; c=1"),
                    get("http://LOCALHOST:9/", "a=1; b=1; c=1"),
                    get("http://127.0.0.1:8080/", "")),
            scenario("long-values",
                    set("http://example.com/",
                            "long=" + "v".repeat(4090),
                            "longer=" + "v".repeat(4091),
                            "huge=" + "v".repeat(100000),
                            "k".repeat(4094) + "=1",
                            "short=1"),
                    differs("http://example.com/", "long=" + "v".repeat(4090) + "; longer=" + "v".repeat(4091) + "; huge=" + "v".repeat(100000) + "; " + "k".repeat(4094) + "=1; short=1",
                            "long=" + "v".repeat(4090) + "; " + "k".repeat(4094) + "=1; short=1",
                            "R22: a cookie whose name and value pass 4096 characters is ignored; Go keeps any")),
            scenario("many-attributes-long",
                    set("http://example.com/",
                            "a=1" + "; Foo=bar".repeat(2000) + "; Path=/p; Max-Age=60",
                            "b=1; Path=" + "/x".repeat(3000),
                            "c=1" + "; Secure".repeat(500),
                            "d=1" + "; Max-Age=0; Max-Age=60".repeat(500)),
                    differs("http://example.com/p", "a=1; d=1", "a=1; b=1; d=1",
                            "R59: a Path over 1024 characters is ignored (the default path, /); Go keeps any"),
                    differs("https://example.com/", "c=1; d=1", "b=1; d=1",
                            "R59: a Path over 1024 characters is ignored (the default path, /); Go keeps any; "
                                    + "R75: c is Secure, set over http, and ignored"),
                    get("http://example.com" + "/x".repeat(3000), "b=1; d=1")),
            scenario("parse-max-age",
                    parse("a=1; Max-Age=60",
                            "a=1 domain= path= max-age=60 expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=0",
                            "a=1 domain= path= max-age=delete expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=00",
                            "a=1 domain= path= max-age=delete expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=-0",
                            "a=1 domain= path= max-age=delete expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=-5",
                            "a=1 domain= path= max-age=delete expires=unset secure=false httponly=false"),
                    parseDiffers("a=1; Max-Age=+60",
                            "a=1 domain= path= max-age=60 expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "R12: Max-Age is RFC 6265 5.2.2's, an optional minus then digits; Go reads a plus sign and ignores a leading zero"),
                    parseDiffers("a=1; Max-Age=060",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=60 expires=unset secure=false httponly=false",
                            "R12: Max-Age is RFC 6265 5.2.2's, an optional minus then digits; Go reads a plus sign and ignores a leading zero"),
                    parseDiffers("a=1; Max-Age= 60 ",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=60 expires=unset secure=false httponly=false",
                            "R12: name, value and attribute are trimmed of blanks (RFC 6265 5.2), Go trims only the field"),
                    parse("a=1; Max-Age=1.5",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=0x10",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; max-age=99999999999",
                            "a=1 domain= path= max-age=99999999999 expires=unset secure=false httponly=false"),
                    parseDiffers("a=1; Max-Age=9223372036854775807",
                            "a=1 domain= path= max-age=9223372036854775807 expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "R21: up to 18 digits are read; Go reads 19, then overflows adding them to now"),
                    parse("a=1; Max-Age=99999999999999999999",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=-99999999999999999999",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=60; Max-Age=junk",
                            "a=1 domain= path= max-age=60 expires=unset secure=false httponly=false"),
                    parse("a=1; Max-Age=60; Max-Age=0",
                            "a=1 domain= path= max-age=delete expires=unset secure=false httponly=false")),
            scenario("parse-expires",
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 UTC",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 PST",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT+1",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 ChST",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parseDiffers("a=1; Expires=Thu, 01 Jan 1970 01:00:00 +0100",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R35: a numeric offset is the offset it says; Go reads only +0000"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 +0000",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parseDiffers("a=1; Expires=Thu, 01 Jan 1970 00:00:00 Z",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R35: a zone named by letters is UTC, Z included; Go refuses a one-letter zone"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Expires=Mon, 01 Jan 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parseDiffers("a=1; Expires=Xyz, 01 Jan 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R25: the weekday is skipped, whatever it is; Go checks it is a day's short name"),
                    parseDiffers("a=1; Expires=Thursday, 01 Jan 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R25: the weekday is skipped, whatever it is; Go checks it is a day's short name"),
                    parseDiffers("a=1; Expires=01 Jan 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R25: a date without its weekday, with a one-digit day or in lower case is read (RFC 6265 5.1.1); Go refuses it"),
                    parseDiffers("a=1; Expires=Thu, 1 Jan 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R25: a date without its weekday, with a one-digit day or in lower case is read (RFC 6265 5.1.1); Go refuses it"),
                    parseDiffers("a=1; Expires=thu, 01 jan 1970 00:00:00 gmt",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false",
                            "R25: a date without its weekday, with a one-digit day or in lower case is read (RFC 6265 5.1.1); Go refuses it"),
                    parse("a=1; Expires=Thu, 01-Jan-1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=1970-01-01T00:00:00Z secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 01-Jan-70 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
                            "a=1 domain= path= max-age=unset expires=9999-12-31T23:59:59Z secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 01 Jan 1970 24:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Expires=Thu, 31 Feb 1970 00:00:00 GMT",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Expires=1970-01-01T00:00:00Z",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Expires=\"Thu, 01 Jan 1970 00:00:00 GMT\"",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false")),
            scenario("parse-attributes",
                    parse("a=1; Domain=.Example.COM; Path=/A/; SECURE; httponly",
                            "a=1 domain=.Example.COM path=/A/ max-age=unset expires=unset secure=true httponly=true"),
                    parse("a=1; Secure=no; HttpOnly=0",
                            "a=1 domain= path= max-age=unset expires=unset secure=true httponly=true"),
                    parse("a=1; Domain=\"example.com\"; Path=\"/p\"",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Domain=; Path=",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Path=/a; Path=/b; Domain=a.com; Domain=b.com",
                            "a=1 domain=b.com path=/b max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Path=/a b, c",
                            "a=1 domain= path=/a b, c max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Path=/\u00e9",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; Unknown; =x; ==; Foo=bar",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=1; \u00e9=1; Secure",
                            "a=1 domain= path= max-age=unset expires=unset secure=true httponly=false"),
                    parseDiffers(" a = 1 ; Path = /p ",
                            "dropped",
                            "a=1 domain= path=/p max-age=unset expires=unset secure=false httponly=false",
                            "R12: name, value and attribute are trimmed of blanks (RFC 6265 5.2), Go trims only the field")),
            scenario("parse-pairs",
                    parse("a=\"b\"",
                            "a=b domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=\"\"",
                            "a= domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=\"",
                            "dropped"),
                    parse("a=\"b",
                            "dropped"),
                    parse("a=b\"",
                            "dropped"),
                    parse("a=\"\"b\"\"",
                            "dropped"),
                    parse("a=b c",
                            "a=b c domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a=b=c",
                            "a=b=c domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("a",
                            "dropped"),
                    parse("=",
                            "dropped"),
                    parse("=1",
                            "dropped"),
                    parse(";a=1",
                            "dropped"),
                    parse("a=1;",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false"),
                    parse("\u0009a=1\u0009",
                            "a=1 domain= path= max-age=unset expires=unset secure=false httponly=false")),
    };
}
