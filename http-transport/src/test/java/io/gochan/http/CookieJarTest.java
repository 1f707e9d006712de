package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-memory jar's RFC 6265 rules (R12), on RFC 6265's own examples where it gives them. */
class CookieJarTest {

    /** A clock a test moves by hand, so expiry is tested without sleeping. */
    static final class ManualClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final MemoryCookieJar jar = new MemoryCookieJar(clock);

    private void set(String uri, String... setCookies) {
        List<Cookie> cs = java.util.Arrays.stream(setCookies).map(s -> Cookie.parse(s).orElseThrow()).toList();
        jar.setCookies(URI.create(uri), cs);
    }

    private String sent(String uri) {
        return String.join("; ", jar.cookies(URI.create(uri)).stream().map(c -> c.name() + "=" + c.value()).toList());
    }

    @Test
    void R12_hostOnlyCookieGoesToItsHostOnly() {
        // RFC 6265 section 3.1: without Domain, the cookie is returned only to the origin server.
        set("http://example.com/", "SID=31d4d96e407aad42");
        assertThat(sent("http://example.com/")).isEqualTo("SID=31d4d96e407aad42");
        assertThat(sent("http://www.example.com/")).isEmpty();
        assertThat(sent("http://EXAMPLE.com/x")).isEqualTo("SID=31d4d96e407aad42");
    }

    @Test
    void R40_aHostWithAnUnderscoreKeepsItsCookies() {
        // java.net.URI finds no host in these (a registry authority); the jar reads it as the transport does.
        set("http://my_service:8080/", "sid=1");
        assertThat(sent("http://my_service:8080/x")).isEqualTo("sid=1");
        assertThat(sent("http://MY_SERVICE/")).isEqualTo("sid=1"); // host-only: any port, any case
        assertThat(sent("http://other_service:8080/")).isEmpty();
        set("http://a_b.example.com/", "d=2; Domain=example.com");
        assertThat(sent("http://c_d.example.com/")).isEqualTo("d=2");
        assertThat(sent("http://example.com/")).isEqualTo("d=2");
        // Still no host, so no cookies, for an authority the transport refuses.
        set("http://my_service:99999/", "bad=1");
        assertThat(sent("http://my_service:99999/")).isEmpty();
    }

    @Test
    void R12_domainCookieGoesToTheDomainAndItsSubdomains() {
        // RFC 6265 section 3.1: Domain=example.com from www.example.com covers example.com and subdomains.
        set("http://www.example.com/", "SID=31d4d96e407aad42; Path=/; Domain=example.com");
        assertThat(sent("http://example.com/")).isEqualTo("SID=31d4d96e407aad42");
        assertThat(sent("http://a.b.example.com/")).isEqualTo("SID=31d4d96e407aad42");
        assertThat(sent("http://notexample.com/")).isEmpty();
        assertThat(sent("http://example.org/")).isEmpty();
        // A leading dot is ignored (RFC 6265 5.2.3).
        set("http://www.example.com/", "lang=en; Domain=.example.com");
        assertThat(sent("http://foo.example.com/")).contains("lang=en");
    }

    @Test
    void R12_domainThatDoesNotMatchTheHostOrIsASingleLabelIsRefused() {
        set("http://foo.example.com/", "a=1; Domain=bar.example.com");
        set("http://foo.example.com/", "b=1; Domain=example.org");
        set("http://foo.example.com/", "c=1; Domain=com"); // no public suffix list: a bare TLD is refused
        set("http://foo.example.com/", "d=1; Domain=..example.com");
        set("http://foo.example.com/", "e=1; Domain=example.com.");
        assertThat(sent("http://bar.example.com/")).isEmpty();
        assertThat(sent("http://example.org/")).isEmpty();
        assertThat(sent("http://other.com/")).isEmpty();
        assertThat(sent("http://foo.example.com/")).isEmpty();
        // A single label equal to the host is kept, as a host-only cookie.
        set("http://localhost/", "f=1; Domain=localhost");
        assertThat(sent("http://localhost/")).isEqualTo("f=1");
    }

    @Test
    void R12_anIpAddressHostTakesOnlyItselfAsDomain() {
        set("http://127.0.0.1/", "a=1; Domain=127.0.0.1", "b=1; Domain=0.0.1", "c=1; Domain=.127.0.0.1");
        assertThat(sent("http://127.0.0.1/")).isEqualTo("a=1");
        set("http://[::1]/", "v6=1");
        assertThat(sent("http://[::1]/")).isEqualTo("v6=1");
        assertThat(sent("http://127.0.0.1/")).isEqualTo("a=1");
    }

    @Test
    void R12_pathMatchingAndTheDefaultPath() {
        // RFC 6265 5.1.4: default-path is the request path up to its last '/'.
        set("http://example.com/docs/index.html", "d=1");
        set("http://example.com/x", "root=1", "p=1; Path=/docs", "bad=1; Path=relative");
        // A Path that does not start with '/' is the default path ("/" for "/x").
        assertThat(sent("http://example.com/docs")).isEqualTo("d=1; p=1; root=1; bad=1");
        assertThat(sent("http://example.com/docs/")).isEqualTo("d=1; p=1; root=1; bad=1");
        assertThat(sent("http://example.com/docs/Web/HTTP")).isEqualTo("d=1; p=1; root=1; bad=1");
        assertThat(sent("http://example.com/docsets")).isEqualTo("root=1; bad=1");
        assertThat(sent("http://example.com/fr/docs")).isEqualTo("root=1; bad=1");
        assertThat(sent("http://example.com")).isEqualTo("root=1; bad=1");
    }

    @Test
    void R12_longerPathsFirstThenOlderFirst() {
        set("http://example.com/", "b=1", "a=1");
        set("http://example.com/", "deep=1; Path=/a/b", "mid=1; Path=/a");
        assertThat(sent("http://example.com/a/b/c")).isEqualTo("deep=1; mid=1; b=1; a=1");
        // Replacing keeps the creation time, so the order stays.
        set("http://example.com/", "b=2");
        assertThat(sent("http://example.com/")).isEqualTo("b=2; a=1");
    }

    @Test
    void R12_secureCookiesGoOnlyOverHttps() {
        set("https://example.com/", "s=1; Secure", "p=1");
        assertThat(sent("https://example.com/")).isEqualTo("s=1; p=1");
        assertThat(sent("http://example.com/")).isEqualTo("p=1");
    }

    @Test
    void R75_aPlainHttpResponseSetsNoSecureCookie() {
        // RFC 6265bis 5.7 step 8: Secure set over http is ignored; a network attacker on http could plant it for https.
        set("http://example.com/", "planted=1; Secure", "plain=1");
        assertThat(sent("https://example.com/")).isEqualTo("plain=1");
        set("http://www.example.com/", "wide=1; Secure; Domain=example.com");
        assertThat(sent("https://example.com/")).isEqualTo("plain=1");
        set("https://example.com/", "s=1; Secure");
        assertThat(sent("https://example.com/")).isEqualTo("plain=1; s=1");
    }

    @Test
    void R75_aPlainHttpResponseNeitherReplacesNorDeletesNorShadowsASecureCookie() {
        set("https://example.com/", "sid=good; Secure");
        set("https://example.com/", "deep=good; Secure; Path=/app");
        // Same name, domain and path: replacing or deleting it over http is ignored (RFC 6265bis 5.7 step 16).
        set("http://example.com/", "sid=evil");
        set("http://example.com/", "sid=gone; Max-Age=0");
        set("http://example.com/", "sid=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        // A domain cookie from a subdomain, or one whose path lies under the secure one's, would be sent beside it.
        set("http://www.example.com/", "sid=evil; Domain=example.com");
        set("http://example.com/", "sid=evil; Path=/app");
        assertThat(sent("https://example.com/app/x")).isEqualTo("deep=good; sid=good");
        assertThat(sent("http://example.com/app/x")).isEmpty();
        // A path the secure cookie does not cover, another name, and https itself are not held back.
        set("http://example.com/", "deep=other");
        set("http://example.com/", "other=1");
        assertThat(sent("http://example.com/app/x")).isEqualTo("deep=other; other=1");
        set("https://example.com/", "sid=new");
        assertThat(sent("http://example.com/")).isEqualTo("sid=new; deep=other; other=1");
    }

    @Test
    void R12_expiryByMaxAgeWhichWinsOverExpires() {
        set("http://example.com/", "m=1; Max-Age=60; Expires=Wed, 09 Jun 2021 10:18:14 GMT",
                "e=1; Expires=Thu, 01-Jan-2026 00:02:00 GMT", "s=1");
        assertThat(sent("http://example.com/")).isEqualTo("m=1; e=1; s=1");
        clock.advance(Duration.ofSeconds(61));
        assertThat(sent("http://example.com/")).isEqualTo("e=1; s=1");
        clock.advance(Duration.ofSeconds(60));
        assertThat(sent("http://example.com/")).isEqualTo("s=1");
    }

    @Test
    void R12_maxAgeZeroOrAPastExpiresDeletesTheCookie() {
        set("http://example.com/", "a=1", "b=1", "c=1");
        set("http://example.com/", "a=x; Max-Age=0", "b=x; Max-Age=-1", "c=x; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
        assertThat(sent("http://example.com/")).isEmpty();
        // An invalid Max-Age is ignored, not taken as zero.
        set("http://example.com/", "d=1; Max-Age=soon");
        assertThat(sent("http://example.com/")).isEqualTo("d=1");
    }

    @Test
    void R21_aMaxAgeBeyondTheLastInstantKeepsTheCookieInsteadOfFailing() {
        // 10^17 seconds is past Instant.MAX: now + Max-Age threw DateTimeException out of setCookies, so a
        // server's "forever" cookie failed the whole send.
        set("http://example.com/", "forever=1; Max-Age=99999999999999999", "max=1; Max-Age=999999999999999999");
        clock.advance(Duration.ofDays(365L * 1000));
        assertThat(sent("http://example.com/")).isEqualTo("forever=1; max=1");
    }

    @Test
    void R22_aHostileServerCannotGrowTheJarWithoutBound() {
        // Thousands of cookies, as a hostile server sends over a few responses: the jar keeps the newest
        // PER_DOMAIN of one domain, and at most TOTAL over all domains, evicting the oldest first.
        for (int batch = 0; batch < 10; batch++) {
            String[] many = new String[500];
            for (int i = 0; i < many.length; i++) {
                many[i] = "c" + (batch * 500 + i) + "=v";
            }
            set("http://evil.example/", many);
        }
        List<Cookie> sent = jar.cookies(URI.create("http://evil.example/"));
        assertThat(sent).hasSize(MemoryCookieJar.PER_DOMAIN);
        assertThat(sent.get(0).name()).isEqualTo("c" + (5000 - MemoryCookieJar.PER_DOMAIN)); // the newest kept
        assertThat(sent.get(sent.size() - 1).name()).isEqualTo("c4999");
        assertThat(sent).extracting(Cookie::name).doesNotContain("c0", "c" + (5000 - MemoryCookieJar.PER_DOMAIN - 1));
        // Many domains: the total is bounded too.
        for (int d = 0; d < MemoryCookieJar.TOTAL / MemoryCookieJar.PER_DOMAIN + 5; d++) {
            String[] many = new String[MemoryCookieJar.PER_DOMAIN];
            for (int i = 0; i < many.length; i++) {
                many[i] = "x" + i + "=v";
            }
            set("http://h" + d + ".evil.example/", many);
        }
        assertThat(jar.size()).isLessThanOrEqualTo(MemoryCookieJar.TOTAL);
    }

    @Test
    void R57_theCookiesForOneRequestMakeAFieldOfAtMost64KiBTheFirstInSendingOrder() {
        // 180 cookies of 4 KiB for the host and 180 for its parent domain: 1.4 MB of Cookie field, which the
        // transport refused to send (more than maxRequestHeaderBytes), for the host and for every sibling.
        set("http://www.example.com/", "session=1; Path=/app");
        set("http://www.example.com/", "old=1");
        String filler = "v".repeat(MemoryCookieJar.MAX_COOKIE_CHARS - 8);
        for (int i = 0; i < MemoryCookieJar.PER_DOMAIN; i++) {
            set("http://evil.example.com/", "h" + i + "=" + filler, "d" + i + "=" + filler + "; Domain=example.com");
        }
        List<Cookie> sent = jar.cookies(URI.create("http://www.example.com/app"));
        String field = HttpClient.cookieHeader(null, sent);
        assertThat(field.length()).isLessThanOrEqualTo(MemoryCookieJar.MAX_FIELD_CHARS)
                .isGreaterThan(MemoryCookieJar.MAX_FIELD_CHARS - MemoryCookieJar.MAX_COOKIE_CHARS - 3);
        // The longer path first, then the older: the site's own cookies go, the flood's newest do not.
        assertThat(sent).extracting(Cookie::name).startsWith("session", "old", "d0", "d1")
                .doesNotContain("d" + (MemoryCookieJar.PER_DOMAIN - 1));
        assertThat(HttpClient.cookieHeader(null, jar.cookies(URI.create("http://evil.example.com/"))).length())
                .isLessThanOrEqualTo(MemoryCookieJar.MAX_FIELD_CHARS);
        // Those left out stay in the jar, and are not counted as sent: the next flood evicts them first (R22).
        assertThat(jar.size()).isEqualTo(2 * MemoryCookieJar.PER_DOMAIN + 2);
    }

    @Test
    void R59_aPathLongerThan1024CharactersIsIgnored() {
        // The name and value are bounded (R22), the Path was not: a response head holds a 250 KB Path, and the jar
        // kept 3000 of them (750 MB). RFC 6265bis 5.6 ignores an attribute value over 1024 octets: the default path.
        String keptPath = "/" + "p".repeat(MemoryCookieJar.MAX_PATH_CHARS - 1);
        set("http://example.com/dir/x", "long=1; Path=" + keptPath + "p", "ok=1; Path=" + keptPath);
        assertThat(sent("http://example.com/dir/y")).isEqualTo("long=1");
        assertThat(sent("http://example.com" + keptPath + "/z")).isEqualTo("ok=1");
        assertThat(sent("http://example.com/")).isEmpty();
    }

    @Test
    void R22_aCookieLongerThan4096BytesIsIgnored() {
        String big = "x".repeat(4096);
        set("http://example.com/", "big=" + big, "ok=" + "y".repeat(4093));
        assertThat(sent("http://example.com/")).isEqualTo("ok=" + "y".repeat(4093));
    }

    @Test
    void R25_aWrongWeekdayInExpiresIsSkippedAsGoDoes() {
        // 1970-01-01 was a Thursday. The JDK's RFC 1123 parser refused the date ("Conflict found"), so the
        // Expires was ignored and a logout's deletion cookie left the session cookie in place.
        set("http://example.com/", "session=1", "old=1", "later=1");
        set("http://example.com/", "session=; Expires=Mon, 01 Jan 1970 00:00:00 GMT",
                "old=; Expires=Fri, 01-Jan-1970 00:00:01 GMT", "later=2; Expires=Mon, 01 Jan 2026 00:01:00 GMT");
        assertThat(sent("http://example.com/")).isEqualTo("later=2");
        clock.advance(Duration.ofMinutes(2));
        assertThat(sent("http://example.com/")).isEmpty();
        assertThat(Cookie.parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT").orElseThrow().expires()).isEqualTo(Instant.EPOCH);
        assertThat(Cookie.parse("a=1; Expires=01 Jan 1970 00:00:00 GMT").orElseThrow().expires()).isEqualTo(Instant.EPOCH);
    }

    @Test
    void R27_aPublicSuffixListRefusesCookiesForAPublicSuffix() {
        java.util.Set<String> suffixes = java.util.Set.of("uk", "co.uk", "io", "github.io", "com");
        java.util.function.UnaryOperator<String> list = d -> {
            for (String s = d; ; s = s.substring(s.indexOf('.') + 1)) {
                if (suffixes.contains(s)) {
                    return s;
                }
                if (s.indexOf('.') < 0) {
                    return s; // the default rule: an unknown top-level label is a suffix
                }
            }
        };
        MemoryCookieJar guarded = new MemoryCookieJar(clock, list);
        put(guarded, "http://evil.co.uk/", "toss=1; Domain=co.uk");
        put(guarded, "http://evil.github.io/", "toss=1; Domain=.GitHub.io");
        put(guarded, "http://www.bank.co.uk/", "ok=1; Domain=bank.co.uk");
        put(guarded, "http://github.io/", "own=1; Domain=github.io");
        assertThat(sent(guarded, "http://bank.co.uk/")).isEqualTo("ok=1");
        assertThat(sent(guarded, "http://x.bank.co.uk/")).isEqualTo("ok=1");
        assertThat(sent(guarded, "http://victim.github.io/")).isEmpty();
        assertThat(sent(guarded, "http://github.io/")).isEqualTo("own=1"); // a public-suffix host: host-only
        // Without a list (Go's nil list) the multi-label suffix is not caught: the documented limit.
        set("http://evil.co.uk/", "toss=1; Domain=co.uk");
        assertThat(sent("http://bank.co.uk/")).isEqualTo("toss=1");
    }

    @Test
    void R34_onlySpacesAndTabsAreBlanksAndAnAttributeWithABadCharacterIsIgnored() {
        // String.trim() took control characters for blanks, so a name or value with one at its edge was kept,
        // cut; Go (textproto.TrimString) and RFC 6265 (WSP) strip only spaces and tabs, and refuse the pair.
        assertThat(Cookie.parse("\u0001ctl=1")).isEmpty();
        assertThat(Cookie.parse("\u000bvt=1")).isEmpty();
        assertThat(Cookie.parse("trailing=1\u0001")).isEmpty();
        assertThat(Cookie.parse(" \tname\t= 1\t; Path=/p ").orElseThrow())
                .returns("name", Cookie::name).returns("1", Cookie::value).returns("/p", Cookie::path);
        // An attribute whose value holds a control character, a quote or a backslash is malformed and ignored,
        // as Go ignores it: the path is the default one, the cookie host-only (a quoted Domain refused it).
        set("http://www.example.com/a/b", "p=1; Path=/a\u0001", "d=1; Domain=\"example.com\"", "v=1; Path=/a\u000b",
                "s=1; Domain=example.com\\");
        assertThat(sent("http://www.example.com/a")).isEqualTo("p=1; d=1; v=1; s=1");
        assertThat(sent("http://www.example.com/")).isEmpty();
        assertThat(sent("http://example.com/a")).isEmpty();
    }

    @Test
    void R35_anExpiresZoneNamedByLettersIsReadAsUtc() {
        // The JDK's RFC 1123 reader knows only GMT: a logout's "Expires=... UTC" was ignored and the session
        // cookie stayed. Netscape dates went through the JDK's zone names, so CET moved the expiry an hour.
        set("http://example.com/", "utc=1", "pst=1", "cet=1");
        set("http://example.com/", "utc=; Expires=Thu, 01 Jan 1970 00:00:00 UTC",
                "pst=; Expires=Thu, 01 Jan 1970 00:00:00 PST", "cet=2; Expires=Thu, 01-Jan-2026 00:00:30 CET");
        assertThat(sent("http://example.com/")).isEqualTo("cet=2");
        clock.advance(Duration.ofSeconds(31));
        assertThat(sent("http://example.com/")).isEmpty();
        for (String zone : List.of("UTC", "PST", "GMT+1", "ChST", "GMT")) {
            assertThat(Cookie.parse("a=1; Expires=Thu, 01 Jan 1970 00:00:00 " + zone).orElseThrow().expires())
                    .as(zone).isEqualTo(Instant.EPOCH);
        }
        // A numeric offset is still the offset it says.
        assertThat(Cookie.parse("a=1; Expires=Thu, 01 Jan 1970 01:00:00 +0100").orElseThrow().expires()).isEqualTo(Instant.EPOCH);
    }

    @Test
    void R37_anExpiresDateThatDoesNotExistIsIgnored() {
        // The JDK's default (smart) resolver read 31 February as 28 February and 24:00:00 as the next midnight,
        // so these cookies expired early; Go and RFC 6265 5.1.1 find no date there and the cookie is a session's.
        set("http://example.com/", "feb=1; Expires=Sat, 31 Feb 2026 00:00:00 GMT",
                "h24=1; Expires=Thu, 01-Jan-2026 24:00:00 GMT", "leap=1; Expires=Tue, 29 Feb 2028 00:00:00 GMT");
        clock.advance(Duration.ofDays(60));
        assertThat(sent("http://example.com/")).isEqualTo("feb=1; h24=1; leap=1");
        assertThat(Cookie.parse("a=1; Expires=Thu, 31 Feb 1970 00:00:00 GMT").orElseThrow().expires()).isNull();
        assertThat(Cookie.parse("a=1; Expires=Thu, 01 Jan 1970 24:00:00 GMT").orElseThrow().expires()).isNull();
        assertThat(Cookie.parse("a=1; Expires=Tue, 29-Feb-2028 00:00:00 GMT").orElseThrow().expires())
                .isEqualTo(Instant.parse("2028-02-29T00:00:00Z"));
    }

    private static void put(CookieJar j, String uri, String setCookie) {
        j.setCookies(URI.create(uri), List.of(Cookie.parse(setCookie).orElseThrow()));
    }

    private static String sent(CookieJar j, String uri) {
        return String.join("; ", j.cookies(URI.create(uri)).stream().map(c -> c.name() + "=" + c.value()).toList());
    }

    @Test
    void R12_setCookieParsing() {
        Cookie c = Cookie.parse(" lang = \"en-US\" ; path=/docs; DOMAIN=Example.com; secure; HttpOnly; SameSite=Lax").orElseThrow();
        assertThat(c.name()).isEqualTo("lang");
        assertThat(c.value()).isEqualTo("en-US");
        assertThat(c.path()).isEqualTo("/docs");
        assertThat(c.domain()).isEqualTo("Example.com");
        assertThat(c.secure()).isTrue();
        assertThat(c.httpOnly()).isTrue();
        assertThat(Cookie.parse("novalue")).isEmpty();
        assertThat(Cookie.parse("=x")).isEmpty();
        assertThat(Cookie.parse("bad name=x")).isEmpty();
        assertThat(Cookie.parse("a=b\\c")).isEmpty();
        assertThat(Cookie.parse("empty=").orElseThrow().value()).isEmpty();
        assertThat(Cookie.parse("a=1; Expires=garbage").orElseThrow().expires()).isNull();
    }

    /**
     * R126 (with R75): plain http cannot evict a Secure cookie to replace it. A plain-http answer for the host sets
     * {@code PER_DOMAIN} other cookies; the domain's eviction takes the cookies that are not Secure first (RFC 6265bis
     * 5.7 step 22), so the Secure one stays and the next plain-http answer still cannot plant its own of that name.
     * (Found by session 44's client audit: eviction by last use alone removed the Secure cookie first.)
     */
    @Test
    void R126_R75_aPlainHttpFloodOfTheHostEvictsItselfNotTheSecureCookieItWouldThenReplace() {
        set("https://www.bank.example/", "sid=real; Secure");
        assertThat(sent("https://www.bank.example/")).isEqualTo("sid=real");
        String[] flood = new String[MemoryCookieJar.PER_DOMAIN];
        for (int i = 0; i < flood.length; i++) {
            flood[i] = "f" + i + "=x";
        }
        set("http://www.bank.example/", flood);
        set("http://www.bank.example/", "sid=attacker");
        assertThat(jar.cookies(URI.create("https://www.bank.example/"))).extracting(c -> c.name() + "=" + c.value())
                .contains("sid=real").doesNotContain("sid=attacker").hasSize(MemoryCookieJar.PER_DOMAIN);
        assertThat(jar.size()).isEqualTo(MemoryCookieJar.PER_DOMAIN);
    }

    /**
     * R126 (with R22): a flood spread over many hosts of one site, none over its own bound, that pushes the jar over
     * {@code TOTAL} evicts the crowded domains' cookies, not another site's session cookie the client just used.
     */
    @Test
    void R126_R22_aFloodOverManyHostsEvictsCrowdedDomainsNotAnotherSitesSession() {
        set("https://www.bank.example/", "sid=real; Secure");
        set("http://shop.example/", "cart=1");
        assertThat(sent("https://www.bank.example/")).isEqualTo("sid=real");
        int hosts = MemoryCookieJar.TOTAL / MemoryCookieJar.PER_DOMAIN + 1;
        for (int d = 0; d < hosts; d++) {
            String[] many = new String[MemoryCookieJar.PER_DOMAIN];
            for (int i = 0; i < many.length; i++) {
                many[i] = "x" + i + "=v";
            }
            set("http://h" + d + ".evil.example/", many);
        }
        assertThat(jar.size()).isEqualTo(MemoryCookieJar.TOTAL);
        assertThat(sent("https://www.bank.example/")).isEqualTo("sid=real");
        assertThat(sent("http://shop.example/")).as("not Secure, but in an uncrowded domain").isEqualTo("cart=1");
        int over = 2 + hosts * MemoryCookieJar.PER_DOMAIN - MemoryCookieJar.TOTAL;
        assertThat(jar.cookies(URI.create("http://h0.evil.example/"))).as("the flood's oldest went")
                .hasSize(MemoryCookieJar.PER_DOMAIN - over).first().extracting(Cookie::name).isEqualTo("x" + over);
    }

    /**
     * R126 (with R57): over https the Secure cookies get their room in the 64 KiB field first, so cookies plain http
     * set with a longer path (first in the sending order) cannot crowd the session cookie out of the https requests
     * it is for; the field keeps the sending order (R12).
     */
    @Test
    void R126_R57_cookiesPlainHttpSetCannotCrowdASecureCookieOutOfTheField() {
        set("https://www.bank.example/", "sid=real; Secure");
        String filler = "v".repeat(MemoryCookieJar.MAX_COOKIE_CHARS - 8);
        for (int i = 0; i < 17; i++) {
            set("http://www.bank.example/", "p" + i + "=" + filler + "; Path=/app");
        }
        List<Cookie> https = jar.cookies(URI.create("https://www.bank.example/app/transfer"));
        assertThat(https).extracting(Cookie::name).contains("sid").last().isEqualTo("sid"); // shortest path, sent last
        assertThat(https.stream().mapToLong(c -> HttpClient.fieldChars(c.name(), c.value())).sum())
                .isLessThanOrEqualTo(MemoryCookieJar.MAX_FIELD_CHARS);
        List<Cookie> http = jar.cookies(URI.create("http://www.bank.example/app/transfer"));
        assertThat(http).extracting(Cookie::name).doesNotContain("sid"); // over http as before: as many as fit, in order
        assertThat(http).extracting(Cookie::name).startsWith("p0", "p1")
                .containsAll(https.stream().map(Cookie::name).filter(n -> !n.equals("sid")).toList());
        assertThat(http.stream().mapToLong(c -> HttpClient.fieldChars(c.name(), c.value())).sum()
                + HttpClient.fieldChars("p", filler)).as("the next one would not fit").isGreaterThan(MemoryCookieJar.MAX_FIELD_CHARS);
    }
}
