package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Context;
import io.gochan.Goroutines;
import io.gochan.testing.nulls.NullTester;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every public constructor and method of {@code io.gochan.http} refuses {@code null} in every reference
 * parameter with a {@link NullPointerException} naming the parameter, before anything changes: a builder
 * keeps its settings, a jar its cookies, no goroutine or connection is started (R72). Checked reflectively
 * by {@link NullTester}; the few parameters that document null as a meaning are listed with the reason.
 */
class NullArgumentRulesTest {
    private static final URI NOWHERE = URI.create("http://127.0.0.1:9/");
    private final List<Transport> transports = new ArrayList<>();

    @AfterEach
    void closeAndCheck() {
        transports.forEach(Transport::close);
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void R72_everyPublicMethodRefusesNullNamingTheParameterBeforeAnythingChanges() throws Exception {
        SSLContext sslContext = SSLContext.getDefault();
        NullTester t = new NullTester(Transport.class)
                .value(String.class, () -> "x")
                .value(Object.class, () -> "x")
                .value(URI.class, () -> NOWHERE)
                .value(Duration.class, () -> Duration.ofSeconds(1))
                .value(Instant.class, () -> Instant.now().plusSeconds(3600))
                .value(Context.class, Context::background)
                .value(HttpRequest.class, () -> HttpRequest.get(NOWHERE.toString()))
                .value(Headers.class, Headers::empty)
                .value(RequestBody.class, () -> RequestBody.of("x"))
                .value(Transport.class, this::transport)
                .value(RoundTripper.class, this::transport)
                .value(Function.class, () -> r -> Optional.empty())
                .value(Resolver.class, Resolver::system)
                .value(Dialer.class, () -> (host, port, timeout) -> new Socket())
                .value(SSLContext.class, () -> sslContext)
                .value(RequestListener.class, () -> RequestListener.NONE)
                .value(ProxyConnectHeaders.class, () -> (proxy, target) -> Headers.empty())
                .value(CookieJar.class, CookieJar::inMemory)
                .value(RedirectCheck.class, () -> (next, via) -> true)
                .value(Clock.class, Clock::systemUTC)
                .value(UnaryOperator.class, () -> s -> s)
                .value(List.class, List::of)
                .value(InputStream.class, () -> new ByteArrayInputStream(new byte[0]))
                .value(OutputStream.class, OutputStream::nullOutputStream)
                .value(Supplier.class, () -> () -> new ByteArrayInputStream(new byte[0]))
                .value(Path.class, () -> Path.of("/nonexistent.sock"))
                .value(ResponseBody.class, () -> new ResponseBody(new ByteArrayInputStream(new byte[0]), null))
                .value(Cookie.class, () -> Cookie.of("n", "v"))
                .value(InetAddress.class, InetAddress::getLoopbackAddress)
                .nullable("Builder.timeout(timeout)", "HttpRequest.Builder: null is no timeout (documented)")
                .nullable("Builder.host(host)", "HttpRequest.Builder: null is the URI's host (documented, R116)")
                .nullable("Builder.cookieJar(jar)", "HttpClient.Builder: null is no jar (documented)")
                .nullable("Builder.checkRedirect(check)", "HttpClient.Builder: null is no check (documented)")
                .nullable("Builder.sslContext(ctx)", "Transport.Builder: null is the JDK's default (documented)")
                .nullable("*(contentType)", "RequestBody, ResponseBody: null is no Content-Type (documented)")
                .nullable("ResponseBody.<init>(uri)", "ResponseBody: null is no URI to name in its limit's failure (documented, P65)")
                .nullable("*(tunnelOutput)", "HttpResponse: null for a response that is no tunnel (documented)")
                .nullable("Cookie.<init>(domain)", "an attribute the Set-Cookie did not carry (documented)")
                .nullable("Cookie.<init>(path)", "an attribute the Set-Cookie did not carry (documented)")
                .nullable("Cookie.<init>(expires)", "an attribute the Set-Cookie did not carry (documented)")
                .nullable("Cookie.<init>(maxAge)", "an attribute the Set-Cookie did not carry (documented)")
                .nullable("Cookie.parse(setCookie)", "a missing field parses to empty (documented)")
                .nullable("*(httpProxy)", "Proxies.of: null or empty is no proxy (documented, as an unset variable)")
                .nullable("*(httpsProxy)", "Proxies.of: null or empty is no proxy (documented, as an unset variable)")
                .nullable("*(noProxy)", "Proxies: null is an empty NO_PROXY list (documented, as an unset variable)")
                .nullable("Dialer.dial(host)", "the user's dialer: called by the transport, never with null")
                .nullable("Dialer.dial(timeout)", "the user's dialer: called by the transport, never with null")
                .nullable("ProxyConnectHeaders.headers(proxy)", "the user's callback: called by the transport, never with null")
                .nullable("ProxyConnectHeaders.headers(target)", "the user's callback: called by the transport, never with null")
                .nullable("RedirectCheck.follow(next)", "the user's callback: called by the client, never with null")
                .nullable("RedirectCheck.follow(via)", "the user's callback: called by the client, never with null")
                .nullable("Resolver.*", "the user's resolver (or the system's): called by the dialer, never with null")
                .nullable("RequestListener.*", "the user's listener: called by the transport, never with a null request")
                .globalState(() -> List.of(Goroutines.startedCount(), transports.stream().map(Transport::stats).toList()))
                .instance(HttpRequest.class, () -> HttpRequest.get(NOWHERE.toString()), HttpRequest::toString)
                .instance(HttpRequest.Builder.class, () -> HttpRequest.newBuilder(NOWHERE).header("a", "1"),
                        b -> describe(b.build()))
                .instance(Headers.class, () -> Headers.of("a", "1"), Headers::toString)
                .instance(Headers.Builder.class, () -> Headers.builder().add("a", "1"), b -> b.build().toString())
                .instance(Transport.class, this::transport, Transport::stats)
                .instance(Transport.Builder.class, Transport::builder, b -> "")
                .instance(HttpClient.class, () -> HttpClient.builder(transport()).build(), c -> "")
                .instance(HttpClient.Builder.class, () -> HttpClient.builder(transport()), b -> "")
                .instance(MemoryCookieJar.class, NullArgumentRulesTest::jarWithOne, j -> j.cookies(NOWHERE).toString())
                .instance(CookieJar.class, NullArgumentRulesTest::jarWithOne, j -> j.cookies(NOWHERE).toString())
                .instance(RoundTripper.class, this::transport, r -> "");
        List<String> failures = t.run();
        assertThat(failures).isEmpty();
        assertThat(t.calls()).as("the check made calls").isGreaterThan(50);
    }

    private Transport transport() {
        Transport tr = Transport.builder().build();
        transports.add(tr);
        return tr;
    }

    private static MemoryCookieJar jarWithOne() {
        MemoryCookieJar jar = new MemoryCookieJar(Clock.systemUTC());
        jar.setCookies(NOWHERE, List.of(Cookie.of("kept", "1")));
        return jar;
    }

    static String describe(HttpRequest r) {
        // The values through value(i), not toString: that hides a credential's value (R94), a change this must see.
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < r.headers().size(); i++) {
            headers.append(r.headers().name(i)).append(": ").append(r.headers().value(i)).append(", ");
        }
        return r.method() + " " + r.uri() + " {" + headers + "} " + r.timeout() + " " + r.body().contentType();
    }
}
