package io.gochan.http;

import io.gochan.http.internal.UriHost;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * An in-memory {@link CookieJar} with RFC 6265's storage and retrieval rules, as Go's
 * {@code net/http/cookiejar} with a nil public suffix list (R12): host-only cookies, domain and path
 * matching, Secure cookies sent only over https, expiry by Max-Age (which wins) or Expires, and a
 * cookie replaced by one with the same name, domain and path. There is no public suffix list: a Domain
 * attribute of a single label ({@code com}, {@code localhost}) is refused unless it is the request's
 * host (then the cookie is host-only), and on an IP address host the Domain attribute must be that
 * address (ADR 0010); {@link #MemoryCookieJar(Clock, UnaryOperator)} takes a public suffix list
 * (R27). Cookies are not persisted. Bounded against a hostile server (R22): a cookie whose
 * name and value exceed 4096 characters is ignored and so is a {@code Path} attribute longer than 1024 (R59),
 * a domain keeps at most 180 cookies and the jar 3000, evicted in RFC 6265bis's order (R126): expired ones first, then
 * a crowded domain's cookies that are not {@code Secure} before its {@code Secure} ones, and over the jar's bound the
 * cookies of domains holding more than 50 before anyone else's, the least recently set or sent first in each; the
 * cookies given for one request make a {@code Cookie} field of at most 64 KiB, those first in the sending order, the
 * {@code Secure} ones given their room first over https (R57, R126); a {@code Max-Age} too large for {@link Instant} means no
 * expiry (R21). As RFC 6265bis and browsers, unlike Go's jar, a response over plain http sets no {@code Secure}
 * cookie, and sets no cookie that would replace, delete or stand beside a stored {@code Secure} cookie of its name
 * (its domain matching that cookie's either way, its path under that cookie's): only https does (R75). Only the
 * {@code https} scheme counts as secure, {@code http://localhost} included.
 *
 * <p>Thread-safe; every method holds a lock only for map work, never across blocking calls.
 */
public final class MemoryCookieJar implements CookieJar {
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    /** Cookies kept per domain (a host for host-only cookies), as browsers keep (RFC 6265 6.1 asks at least 50). */
    static final int PER_DOMAIN = 180;
    /** Cookies kept in all (RFC 6265 6.1 asks at least 3000). */
    static final int TOTAL = 3000;
    /**
     * A domain holding more cookies than this is crowded: over {@link #TOTAL}, its cookies are evicted before those of
     * domains holding fewer (RFC 6265bis 5.7 step 22's "share a domain field with more than a predetermined number of
     * other cookies"; RFC 6265 6.1's least a domain must keep: R126).
     */
    static final int CROWDED = 50;
    /** The longest name plus value kept (RFC 6265 6.1 asks at least 4096 bytes). */
    static final int MAX_COOKIE_CHARS = 4096;
    /** The longest {@code Path} attribute kept; a longer one is ignored (R59), as RFC 6265bis 5.6 ignores it. */
    static final int MAX_PATH_CHARS = 1024;
    /**
     * The longest {@code Cookie} field the cookies chosen for one request make (R57): a quarter of the
     * transport's default {@code maxRequestHeaderBytes}. The counts above let a domain hold 180 cookies of 4 KiB,
     * and a request matches the cookies of its host and of each parent domain: without this bound a hostile
     * server set enough of them, for itself or with {@code Domain=} for its siblings, that every later request
     * to them failed before it was sent.
     */
    static final int MAX_FIELD_CHARS = 64 * 1024;

    private final Clock clock;
    /** The public suffix of a domain (Go's {@code PublicSuffixList}), or null: single labels stand in for one. */
    private final UnaryOperator<String> publicSuffix;
    private final ReentrantLock lock = new ReentrantLock();
    /** Entries by domain, path and name (RFC 6265 5.3 step 11). */
    private final Map<String, Entry> entries = new HashMap<>();
    private long nextSeq;

    /**
     * An empty jar whose "now" is the system clock's ({@link Clock#systemUTC()}; the zone plays no part), as
     * {@link CookieJar#inMemory()} makes it: {@code new MemoryCookieJar(Clock.systemUTC())}.
     */
    public MemoryCookieJar() {
        this(Clock.systemUTC());
    }

    /**
     * An empty jar whose "now" is {@code clock}'s (a test moves time forward without sleeping).
     *
     * @param clock the clock expiry is judged by
     * @throws NullPointerException if clock is null
     */
    public MemoryCookieJar(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.publicSuffix = null;
    }

    /**
     * An empty jar that refuses a {@code Domain} attribute naming a public suffix (R27), as Go's jar with
     * a {@code PublicSuffixList}: a cookie from {@code evil.co.uk} for {@code Domain=co.uk} is refused, one
     * from {@code co.uk} itself is host-only. {@code publicSuffix} is given a lower-case ASCII domain.
     *
     * @param clock the clock expiry is judged by
     * @param publicSuffix the public suffix of a domain ({@code co.uk} for {@code www.bank.co.uk}), e.g.
     *     from the Mozilla list; null or empty for none known. It is called on the thread storing cookies,
     *     never under the jar's lock.
     * @throws NullPointerException if clock or publicSuffix is null
     */
    public MemoryCookieJar(Clock clock, UnaryOperator<String> publicSuffix) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.publicSuffix = Objects.requireNonNull(publicSuffix, "publicSuffix");
    }

    private record Entry(String name, String value, String domain, String path, boolean hostOnly,
                         boolean secure, Instant expires, Instant created, long seq, long touched) {
        Entry touchedAt(long t) {
            return new Entry(name, value, domain, path, hostOnly, secure, expires, created, seq, t);
        }
    }

    /**
     * Stores the cookies a response to {@code uri} set (RFC 6265 5.3); a cookie whose Domain does not
     * domain-match the host, or that is malformed, is ignored; an expired one deletes its stored twin.
     * URIs other than http and https are ignored.
     *
     * @param uri the request URI the response answered
     * @param cookies the cookies parsed from its {@code Set-Cookie} fields
     * @throws NullPointerException if uri or cookies is null
     */
    @Override
    public void setCookies(URI uri, List<Cookie> cookies) {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(cookies, "cookies");
        if (!isHttp(uri) || UriHost.host(uri) == null) {
            return;
        }
        String host = canonicalHost(UriHost.host(uri));
        String defaultPath = defaultPath(uri.getRawPath());
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        Instant now = clock.instant();
        // The list is the caller's code: asked before the lock is taken, never under it (R27).
        Map<String, Boolean> suffixes = new HashMap<>();
        if (publicSuffix != null) {
            for (Cookie c : cookies) {
                String d = c.domain() == null ? "" : Cookie.trimBlanks(c.domain()).toLowerCase(Locale.ROOT);
                d = d.startsWith(".") ? d.substring(1) : d;
                if (d.indexOf('.') > 0) {
                    suffixes.computeIfAbsent(d, this::isPublicSuffix);
                }
            }
        }
        lock.lock();
        try {
            // Over http, the live Secure cookies by name (R75), looked up per cookie: one pass, not one per cookie (a
            // flood of thousands would be quadratic). Plain http cannot add or remove one, so it holds for the call.
            Map<String, List<Entry>> secure = https ? Map.of() : new HashMap<>();
            if (!https) {
                for (Entry e : entries.values()) {
                    if (e.secure() && (e.expires() == null || e.expires().isAfter(now))) {
                        secure.computeIfAbsent(e.name(), n -> new ArrayList<>()).add(e);
                    }
                }
            }
            for (Cookie c : cookies) {
                store(c, host, defaultPath, https, secure, now, suffixes);
            }
            evict(now);
        } finally {
            lock.unlock();
        }
    }

    private void store(Cookie c, String host, String defaultPath, boolean https, Map<String, List<Entry>> secure,
            Instant now, Map<String, Boolean> suffixes) {
        if (c.name().length() + c.value().length() > MAX_COOKIE_CHARS) {
            return; // RFC 6265 6.1: a user agent may refuse what it cannot keep; a hostile server's megabyte cookie
        }
        if (c.secure() && !https) {
            return; // RFC 6265bis 5.7 step 8 (R75): whoever answers plain http must not plant a cookie sent only over https
        }
        String domain;
        boolean hostOnly;
        String d = c.domain() == null ? "" : Cookie.trimBlanks(c.domain());
        if (d.isEmpty()) {
            domain = host;
            hostOnly = true;
        } else if (isIp(host)) {
            // No subdomains of an address: only the address itself, and then host-only (as Go).
            if (!d.equalsIgnoreCase(host)) {
                return;
            }
            domain = host;
            hostOnly = true;
        } else {
            if (d.startsWith(".")) {
                d = d.substring(1);
            }
            if (d.isEmpty() || d.startsWith(".") || d.endsWith(".") || !d.chars().allMatch(ch -> ch < 0x80)) {
                return; // "Domain=.", "..x", "x." or non-ASCII: malformed (RFC 6265 5.1.2, 5.2.3)
            }
            d = d.toLowerCase(Locale.ROOT);
            if (d.indexOf('.') < 0) {
                // No public suffix list: a single label stands in for one (ADR 0010).
                if (!d.equals(host)) {
                    return;
                }
                domain = host;
                hostOnly = true;
            } else if (!d.equals(host) && !host.endsWith("." + d)) {
                return; // does not domain-match the host: www.a.com cannot set cookies for b.com
            } else if (suffixes.getOrDefault(d, false)) {
                // RFC 6265 5.3 step 5: a public suffix is a domain for the host itself only (R27).
                if (!d.equals(host)) {
                    return;
                }
                domain = host;
                hostOnly = true;
            } else {
                domain = d;
                hostOnly = false;
            }
        }
        // A Path longer than MAX_PATH_CHARS is ignored, as RFC 6265bis (5.6) ignores such an attribute (R59): the
        // name and value are bounded, and a path held 256 KiB, 3000 times over.
        String path = c.path() != null && c.path().startsWith("/") && c.path().length() <= MAX_PATH_CHARS ? c.path() : defaultPath;
        if (!https && shadowsSecure(secure.getOrDefault(c.name(), List.of()), domain, path)) {
            return; // RFC 6265bis 5.7 step 16 (R75): plain http neither replaces, deletes nor shadows a Secure cookie
        }
        Instant expires = null;
        if (c.maxAge() != null) {
            if (c.maxAge().isZero() || c.maxAge().isNegative()) {
                entries.remove(domain + ";" + path + ";" + c.name());
                return;
            }
            // A Max-Age past the last Instant means "never expires", not a DateTimeException that fails the send (R21).
            expires = c.maxAge().compareTo(Duration.between(now, Instant.MAX)) >= 0 ? Instant.MAX : now.plus(c.maxAge());
        } else if (c.expires() != null) {
            if (!c.expires().isAfter(now)) {
                entries.remove(domain + ";" + path + ";" + c.name());
                return;
            }
            expires = c.expires();
        }
        String key = domain + ";" + path + ";" + c.name();
        Entry old = entries.get(key);
        Instant created = old != null ? old.created() : now;
        long seq = old != null ? old.seq() : nextSeq++;
        entries.put(key, new Entry(c.name(), c.value(), domain, path, hostOnly, c.secure(), expires, created, seq, nextSeq++));
    }

    /**
     * True if one of {@code secure} (the jar's live Secure cookies of the new cookie's name) has a domain that
     * domain-matches {@code domain} or the other way round, and a path {@code path} path-matches (RFC 6265bis 5.7
     * step 16): a cookie from plain http that would replace it, delete it, or be sent beside it to the same requests
     * (a domain cookie from a subdomain, one under its path) and so stand in for it with a server that reads the
     * first of a name (R75).
     */
    private static boolean shadowsSecure(List<Entry> secure, String domain, String path) {
        for (Entry e : secure) {
            if ((e.domain().equals(domain) || e.domain().endsWith("." + domain) || domain.endsWith("." + e.domain()))
                    && pathMatches(path, e.path())) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6265 5.3 step 12, in RFC 6265bis 5.7 step 22's order (R22, R126): when a domain holds more than
     * {@link #PER_DOMAIN} cookies or the jar more than {@link #TOTAL}, expired cookies go first; then a crowded domain's
     * cookies that are not {@code Secure}, then its {@code Secure} ones; over the jar's bound, the cookies of domains
     * holding more than {@link #CROWDED} (not {@code Secure}, then {@code Secure}) before anyone else's, and only then
     * the rest (not {@code Secure} first); within each tier the least recently set or sent first. Without a bound a
     * hostile server grows the jar, and the {@code Cookie} field of every later request to it, without limit; without
     * the order a flood from plain http evicted a {@code Secure} cookie and then replaced it (R75), and a flood spread
     * over many hosts, none over its own bound, evicted every other site's session.
     */
    private void evict(Instant now) {
        Map<String, Integer> perDomain = countPerDomain();
        boolean overDomain = false;
        for (int n : perDomain.values()) {
            overDomain |= n > PER_DOMAIN;
        }
        if (!overDomain && entries.size() <= TOTAL) {
            return;
        }
        entries.values().removeIf(e -> e.expires() != null && !e.expires().isAfter(now));
        List<Map.Entry<String, Entry>> byAge = new ArrayList<>(entries.entrySet());
        byAge.sort(Comparator.comparingLong(m -> m.getValue().touched()));
        perDomain = countPerDomain();
        // Within a crowded domain, down to its bound: not Secure first. Then, over the jar's bound: the crowded domains'
        // cookies first (not Secure, then Secure), then anyone's.
        evictOldest(byAge, perDomain, false, PER_DOMAIN, false);
        evictOldest(byAge, perDomain, true, PER_DOMAIN, false);
        for (int crowdedAbove : new int[] {CROWDED, 0}) {
            evictOldest(byAge, perDomain, false, crowdedAbove, true);
            evictOldest(byAge, perDomain, true, crowdedAbove, true);
        }
    }

    /**
     * One tier of {@link #evict}: the cookies of {@code byAge} (least recently used first) whose {@code Secure} flag is
     * {@code secure} and whose domain holds more than {@code domainAbove}, removed one by one while their domain does,
     * and, if {@code untilJarFits}, only while the jar holds more than {@link #TOTAL}. {@code perDomain} follows.
     */
    private void evictOldest(List<Map.Entry<String, Entry>> byAge, Map<String, Integer> perDomain, boolean secure,
            int domainAbove, boolean untilJarFits) {
        for (int i = 0; i < byAge.size() && (!untilJarFits || entries.size() > TOTAL); i++) {
            Map.Entry<String, Entry> m = byAge.get(i);
            Entry e = m.getValue();
            if (e.secure() == secure && perDomain.get(e.domain()) > domainAbove && entries.remove(m.getKey()) != null) {
                perDomain.merge(e.domain(), -1, Integer::sum);
            }
        }
    }

    private Map<String, Integer> countPerDomain() {
        Map<String, Integer> perDomain = new HashMap<>();
        for (Entry e : entries.values()) {
            perDomain.merge(e.domain(), 1, Integer::sum);
        }
        return perDomain;
    }

    /** True if the list says {@code d} is a public suffix or lies above one (Go's {@code !hasDotSuffix(d, ps)}). */
    private boolean isPublicSuffix(String d) {
        if (publicSuffix == null) {
            return false;
        }
        String ps = publicSuffix.apply(d);
        return ps != null && !ps.isEmpty() && !d.endsWith("." + ps.toLowerCase(Locale.ROOT));
    }

    /** The number of cookies held, expired ones not yet dropped included (for tests). */
    int size() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The cookies to send to {@code uri} (RFC 6265 5.4): domain and path match, Secure ones only over
     * https, expired ones dropped (and forgotten); longer paths first, then older ones first; in that order as
     * many as make a {@code Cookie} field of at most 64 KiB (R57), over https the {@code Secure} ones taken first
     * (R126), the others kept but not sent this time.
     *
     * @param uri the request URI
     * @return name and value of each cookie to send, possibly empty
     * @throws NullPointerException if uri is null
     */
    @Override
    public List<Cookie> cookies(URI uri) {
        Objects.requireNonNull(uri, "uri");
        if (!isHttp(uri) || UriHost.host(uri) == null) {
            return List.of();
        }
        String host = canonicalHost(UriHost.host(uri));
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        Instant now = clock.instant();
        List<Map.Entry<String, Entry>> chosen = new ArrayList<>();
        List<Cookie> out = new ArrayList<>();
        lock.lock();
        try {
            for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Entry> m = it.next();
                Entry e = m.getValue();
                if (e.expires() != null && !e.expires().isAfter(now)) {
                    it.remove();
                    continue;
                }
                if ((https || !e.secure()) && domainMatches(e, host) && pathMatches(path, e.path())) {
                    chosen.add(m);
                }
            }
            chosen.sort(Comparator.comparingInt((Map.Entry<String, Entry> m) -> -m.getValue().path().length())
                    .thenComparing(m -> m.getValue().created()).thenComparingLong(m -> m.getValue().seq()));
            // The field stays within MAX_FIELD_CHARS (R57): the cookies that come first in the sending order are sent,
            // those past the bound are kept but not sent (a flood, newest and with the shortest paths, comes last).
            // Secure cookies are given their room first (R126): only https set them (R75), and cookies plain http set
            // with longer paths, first in the order, must not crowd them out of the https requests they are for.
            long field = 0;
            boolean[] send = new boolean[chosen.size()];
            for (boolean secureTier : https ? new boolean[] {true, false} : new boolean[] {false}) {
                for (int i = 0; i < chosen.size(); i++) {
                    Entry e = chosen.get(i).getValue();
                    if (e.secure() != secureTier) {
                        continue;
                    }
                    long chars = HttpClient.fieldChars(e.name(), e.value());
                    if (field + chars > MAX_FIELD_CHARS) {
                        break;
                    }
                    field += chars;
                    send[i] = true;
                }
            }
            for (int i = 0; i < chosen.size(); i++) { // in the sending order (R12)
                if (send[i]) {
                    Map.Entry<String, Entry> m = chosen.get(i);
                    Entry e = m.getValue();
                    out.add(Cookie.of(e.name(), e.value()));
                    m.setValue(e.touchedAt(nextSeq++)); // sent: the last to be evicted (R22); one left out is not
                }
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    private static boolean domainMatches(Entry e, String host) {
        if (e.hostOnly()) {
            return host.equals(e.domain());
        }
        return host.equals(e.domain()) || (!isIp(host) && host.endsWith("." + e.domain()));
    }

    /** RFC 6265 5.1.4 path-match. */
    static boolean pathMatches(String requestPath, String cookiePath) {
        if (requestPath.equals(cookiePath)) {
            return true;
        }
        return requestPath.startsWith(cookiePath)
                && (cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length()) == '/');
    }

    /** RFC 6265 5.1.4 default-path: the directory of the request path. */
    static String defaultPath(String requestPath) {
        if (requestPath == null || !requestPath.startsWith("/")) {
            return "/";
        }
        int last = requestPath.lastIndexOf('/');
        return last == 0 ? "/" : requestPath.substring(0, last);
    }

    private static String canonicalHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean isIp(String host) {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }

    private static boolean isHttp(URI uri) {
        String s = uri.getScheme();
        return s != null && (s.equalsIgnoreCase("http") || s.equalsIgnoreCase("https"));
    }
}
