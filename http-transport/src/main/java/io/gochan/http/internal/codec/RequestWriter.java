package io.gochan.http.internal.codec;

import io.gochan.http.internal.UriHost;
import io.gochan.http.ContentLengthMismatchException;
import io.gochan.http.Headers;
import io.gochan.http.HttpRequest;
import io.gochan.http.RequestBody;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Writes a request: the head (request line, Host, the caller's headers, framing) and then the body,
 * separately so that {@code Expect: 100-continue} can wait in between. Framing is the transport's:
 * a known length is sent as Content-Length (a length of 0 only for POST, PUT and PATCH, P45), an
 * unknown one chunked (a {@code CONNECT}'s unframed, R66; none at all for a body a look found empty, E133); the caller's own Content-Length, Transfer-Encoding, Trailer (P44) and Host
 * headers are replaced or dropped, and User-Agent is sent once (P46).
 */
public final class RequestWriter {
    private static final byte[] CRLF = {'\r', '\n'};
    /** Go's bufio bound (maxConsecutiveEmptyReads): a source may return 0 bytes this often in a row. */
    private static final int MAX_CONSECUTIVE_EMPTY_READS = 100;
    private static final String USER_AGENT = "gochan-http/0.1";

    private RequestWriter() {}

    /**
     * Whether the request waits for a 100 before its body: the caller set {@code Expect: 100-continue} and there is a
     * body of a length other than 0. A body declared empty has nothing to wait for, and its head alone is a complete
     * request, kept in the buffer until the body's source is seen to end (E159, E160), as Go's transport waits only
     * for a body whose outgoing length is not 0.
     */
    public static boolean expectsContinue(HttpRequest req) {
        return !req.body().isEmpty() && req.body().length() != 0 && req.headers().hasToken("Expect", "100-continue");
    }

    /**
     * Writes the request head (not flushed).
     *
     * @param acceptGzip add {@code Accept-Encoding: gzip} (the transport then un-gzips the response)
     * @param close add {@code Connection: close}
     */
    public static void writeHead(OutputStream out, HttpRequest req, boolean acceptGzip, boolean close) throws IOException {
        writeHead(out, req, acceptGzip, close, false, null);
    }

    /**
     * Writes the request head (not flushed), for a proxy if asked: plain http through an HTTP proxy
     * sends the absolute URI as request target and the proxy's credentials (R7). The caller's own
     * {@code Proxy-Authorization} is written only then, or on a {@code CONNECT} of the caller's: any other head that is
     * not forwarded goes to the origin (R92). {@link #headSize(HttpRequest, boolean, String)} counts what this writes
     * of the caller's, field for field.
     *
     * @param acceptGzip add {@code Accept-Encoding: gzip} (the transport then un-gzips the response)
     * @param close add {@code Connection: close}
     * @param absoluteForm send {@code scheme://authority/path?query} as the request target (the head is forwarded
     *     to an HTTP proxy); when false, a {@code Proxy-Authorization} of the request's is not written, unless the
     *     request is a {@code CONNECT}
     * @param proxyAuthorization a {@code Proxy-Authorization} value to add unless the caller set one; or null
     */
    public static void writeHead(OutputStream out, HttpRequest req, boolean acceptGzip, boolean close, boolean absoluteForm,
            String proxyAuthorization) throws IOException {
        writeHead(out, req, acceptGzip, close, absoluteForm, proxyAuthorization, false);
    }

    /**
     * {@link #writeHead(OutputStream, HttpRequest, boolean, boolean, boolean, String)}, for a body a look found empty
     * if {@code bodyFoundEmpty} (E133): the head then says nothing of a body, as for a request without one.
     *
     * @param bodyFoundEmpty the request's body of unknown length was found empty before the head ({@link #probesBody})
     */
    public static void writeHead(OutputStream out, HttpRequest req, boolean acceptGzip, boolean close, boolean absoluteForm,
            String proxyAuthorization, boolean bodyFoundEmpty) throws IOException {
        // java.net.URI allows non-ASCII characters unescaped; on the wire they are UTF-8 percent-escapes
        // (as Go's URL.RequestURI does), never raw bytes or '?' from an ISO-8859-1 encoder.
        URI uri = asciiOnly(req.uri());
        StringBuilder b = new StringBuilder(256);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        b.append(req.method()).append(' ');
        String host = hostField(req, uri);
        if (isAuthorityForm(req.method(), uri)) {
            b.append(authority(req, uri)); // also to a proxy: a CONNECT's target is never absolute-form (R65)
        } else {
            if (absoluteForm) {
                // The Host field's authority, as Go writes it (R121): a proxy takes the target's over the field (RFC 9112
                // section 3.2.2), so the URI's here would drop a Host override before it reached the origin.
                b.append(uri.getScheme().toLowerCase(java.util.Locale.ROOT)).append("://").append(host);
            }
            b.append(path);
            if (uri.getRawQuery() != null) {
                b.append('?').append(uri.getRawQuery());
            }
        }
        b.append(" HTTP/1.1\r\n");
        b.append("Host: ").append(host).append("\r\n");
        Headers h = req.headers();
        for (int i = 0; i < h.size(); i++) {
            String name = h.name(i);
            if (writesInPlace(name, req.method(), absoluteForm)) {
                b.append(name).append(": ").append(h.value(i)).append("\r\n");
            }
        }
        String userAgent = h.get("User-Agent"); // the first; an empty one means none (Go's rule)
        if (userAgent == null || !userAgent.isEmpty()) {
            b.append("User-Agent: ").append(userAgent == null ? USER_AGENT : userAgent).append("\r\n");
        }
        if (addsProxyAuthorization(h, proxyAuthorization)) {
            b.append("Proxy-Authorization: ").append(proxyAuthorization).append("\r\n");
        }
        if (acceptGzip) {
            b.append("Accept-Encoding: gzip\r\n");
        }
        if (close && !h.hasToken("Connection", "close")) {
            b.append("Connection: close\r\n");
        }
        RequestBody body = bodyFoundEmpty ? RequestBody.none() : req.body();
        if (!body.isEmpty()) {
            if (body.contentType() != null && !h.contains("Content-Type")) {
                b.append("Content-Type: ").append(body.contentType()).append("\r\n");
            }
            if (body.length() > 0 || (body.length() == 0 && methodExpectsBody(req.method()))) {
                b.append("Content-Length: ").append(body.length()).append("\r\n");
            } else if (body.length() < 0 && !req.method().equals("CONNECT")) {
                // A CONNECT's body of unknown length is the tunnel's first bytes, sent as they are (R66): no framing.
                b.append("Transfer-Encoding: chunked\r\n");
            }
        } else if (methodExpectsBody(req.method())) {
            b.append("Content-Length: 0\r\n");
        }
        b.append("\r\n");
        out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * The size of the request head the caller controls (request line and the caller's headers), in
     * bytes as sent (a non-ASCII character of the URI counted as its UTF-8 escapes, P43), for the
     * transport's request-head limit, for a head that is not forwarded to an HTTP proxy (sent direct, through a tunnel
     * or SOCKS5); the few headers the transport adds are not counted, nor is the {@code Host} field unless a Host
     * override of the caller's ({@link HttpRequest#host()}, R116) is its value: then it is (R123). The caller's fields
     * are counted as {@link #writeHead} writes them, by the same test: one it leaves out or replaces (its {@code Host}, framing
     * fields, a second {@code User-Agent}, a {@code Proxy-Authorization} R92 does not send) is not counted, so a field
     * never sent never makes the request too large (E12).
     *
     * @param req the request
     * @return the size in bytes
     */
    public static long headSize(HttpRequest req) {
        return callersHeadSize(req, false);
    }

    /**
     * {@link #headSize(HttpRequest)} for a head written with these arguments of
     * {@link #writeHead(OutputStream, HttpRequest, boolean, boolean, boolean, String)}: for a head sent to an HTTP
     * proxy (plain http forwarded, R7, R56), with the absolute-form target's {@code scheme://authority}, the caller's
     * own {@code Proxy-Authorization} (sent then, R92) and the one the transport adds from the proxy URI's
     * credentials, all of them the caller's as much as its URI and headers are.
     *
     * @param req the request
     * @param absoluteForm whether the target is sent in absolute form (the head is forwarded to an HTTP proxy)
     * @param proxyAuthorization the {@code Proxy-Authorization} value added unless the request sets one; or null
     * @return the size in bytes
     */
    public static long headSize(HttpRequest req, boolean absoluteForm, String proxyAuthorization) {
        long n = callersHeadSize(req, absoluteForm);
        if (absoluteForm && !isAuthorityForm(req.method(), req.uri())) { // whether a path is there needs no ASCII form
            URI uri = asciiOnly(req.uri());
            n += uri.getScheme().length() + 3 + hostField(req, uri).length();
        }
        if (addsProxyAuthorization(req.headers(), proxyAuthorization)) {
            n += "Proxy-Authorization: ".length() + proxyAuthorization.length() + 2;
        }
        return n;
    }

    /**
     * The request line without an absolute-form {@code scheme://authority}, the caller's fields as
     * {@link #writeHead} writes them for {@code absoluteForm}, a Host override's field (R123), and the blank line.
     */
    private static long callersHeadSize(HttpRequest req, boolean absoluteForm) {
        URI uri = asciiOnly(req.uri()); // as sent: a non-ASCII character is up to 12 bytes of escapes (P43)
        long target = isAuthorityForm(req.method(), uri) ? authority(req, uri).length()
                : (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? 1 : uri.getRawPath().length())
                        + (uri.getRawQuery() == null ? 0 : 1 + uri.getRawQuery().length());
        long n = req.method().length() + 1 + target + 11;
        Headers h = req.headers();
        for (int i = 0; i < h.size(); i++) {
            String name = h.name(i);
            if (writesInPlace(name, req.method(), absoluteForm)) {
                n += name.length() + 2 + h.value(i).length() + 2;
            }
        }
        String userAgent = h.get("User-Agent");
        if (userAgent != null && !userAgent.isEmpty()) {
            n += "User-Agent: ".length() + userAgent.length() + 2; // the caller's, written once (P46); the default is ours
        }
        if (req.host().isPresent()) {
            // A Host override (R116) is the caller's field as much as its headers are, and it is what goes out (R123);
            // the URI's own authority in the field is the transport's, as the fields it adds are.
            n += "Host: ".length() + req.host().get().length() + 2;
        }
        return n + 2;
    }

    /**
     * Whether {@link #writeHead} writes the caller's field {@code name} where it stands among the caller's fields: the
     * one test the writer and {@link #headSize} share, so the size held against the head limit counts exactly the
     * caller's fields that go out (E12, R56, R92). Framing is the transport's (P44: no {@code Trailer}, there are never
     * trailers), {@code Host} is the URI's, {@code User-Agent} goes once, after these (P46), and a
     * {@code Proxy-Authorization} only where R92 sends it.
     */
    private static boolean writesInPlace(String name, String method, boolean absoluteForm) {
        if (name.equalsIgnoreCase("Host") || name.equalsIgnoreCase("Content-Length")
                || name.equalsIgnoreCase("Transfer-Encoding") || name.equalsIgnoreCase("Trailer")
                || name.equalsIgnoreCase("User-Agent")) {
            return false;
        }
        return !name.equalsIgnoreCase("Proxy-Authorization") || sendsCallersProxyAuthorization(method, absoluteForm);
    }

    /**
     * Whether a caller's own {@code Proxy-Authorization} goes out (R92): only to a proxy. A head forwarded to an HTTP
     * proxy (absolute form) is read by that proxy. A {@code CONNECT} the caller writes itself (R65) is addressed to a
     * proxy, the server its URI names, and only that server reads its head on any route (a SOCKS5 proxy or a
     * {@code CONNECT} tunnel of the transport's carries the head unread), so its credential goes with it, as Go sends
     * it. Any other head that is not forwarded goes to the origin, which would receive the proxy's credential: through
     * a redirect that changed the route (http to https on one host and port), or on any https request sent with the
     * field through a tunnel. Go writes it on every head.
     */
    private static boolean sendsCallersProxyAuthorization(String method, boolean absoluteForm) {
        return absoluteForm || method.equals("CONNECT");
    }

    /** Whether the head adds {@code proxyAuthorization}, the proxy URI's credential: only if the caller set none (R23). */
    private static boolean addsProxyAuthorization(Headers h, String proxyAuthorization) {
        return proxyAuthorization != null && !h.contains("Proxy-Authorization");
    }

    /**
     * Whether the body's first byte is looked at before the head is written (E133), as Go's transport looks
     * ({@code probeRequestBody}): a body of unknown length sent with a method that usually has none ({@code GET},
     * {@code HEAD}, {@code DELETE}, {@code OPTIONS}, {@code PROPFIND}, {@code SEARCH}, compared exactly, as Go's
     * {@code requestMethodUsuallyLacksBody}), never a {@code CONNECT}'s. Such a body found empty is sent as none: a
     * {@code GET} with {@code Transfer-Encoding: chunked} is refused by some servers (411, 501), and a proxy or a
     * generic caller forwarding a request often hands over an empty stream of unknown length.
     *
     * @param req the request
     * @return true if the body's first byte is to be looked at
     */
    public static boolean probesBody(HttpRequest req) {
        if (req.body().isEmpty() || req.body().length() >= 0) {
            return false;
        }
        return switch (req.method()) {
            case "GET", "HEAD", "DELETE", "OPTIONS", "PROPFIND", "SEARCH" -> true;
            default -> false;
        };
    }

    /**
     * Reads the first byte of a body, as the writer reads any of its bytes (E16, E48): what the source throws, or a
     * broken count, becomes a {@link BodySourceException}.
     *
     * @param source the body's stream
     * @return the byte (0 to 255), or -1 at the end
     * @throws BodySourceException if the source failed
     */
    public static int readFirstByte(InputStream source) throws BodySourceException {
        byte[] one = new byte[1];
        return read(source, one, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /**
     * Whether the head must be flushed on its own before the body (E91): decided by the body's kind, as Go decides it
     * (transfer.go sets {@code FlushHeaders} for every body but a known in-memory reader, {@code isKnownInMemoryReader}).
     * Only a {@link ByteArrayInputStream} (of that very class: a subclass may override {@code read} to block) is known
     * never to block a read, so only its head stays in the buffer with it: head and body go out in one write, and a
     * body shorter or longer than its declared length is refused before a byte is sent. Any other body (a stream, a
     * pipe, a socket's input, a buffered wrapper over one, a chunked or tunnel body) may block any read, the first or
     * a later one, so its head goes out first and a server that answers on the head alone (an early 401, 413 or 417)
     * has it while the source blocks. What the source says it holds ({@code available()}) decides nothing: a stream
     * with some bytes ready and then a stall (a {@link java.io.BufferedInputStream} over a pipe) kept its head in the
     * 8 KiB buffer until its end or 8 KiB of body, and the server answering on the head never saw it. A body declared
     * empty ({@code length()} 0) keeps its head whatever its stream (E159): there the head alone is a complete request,
     * which a server would act on before the byte more is found.
     *
     * @param req the request
     * @param source the stream opened from the request's body (what {@code RequestBody.open()} returned, never a
     *     wrapper of the transport's), or null for none
     * @return true if the head should be flushed before the first byte of the body is read
     */
    public static boolean flushesHeadFirst(HttpRequest req, InputStream source) {
        if (source == null || req.body().isEmpty()) {
            return false;
        }
        // A body declared empty keeps its head in the buffer too, whatever its stream: that head alone is a complete
        // request, so the byte more it must not yield is looked for before anything is sent (E159, P45, E132).
        return req.body().length() != 0 && !readFromMemory(source);
    }

    /**
     * Whether the body's opened stream is known to be read from memory, so that no read of it ever blocks: a
     * {@link ByteArrayInputStream} of that very class (a subclass may override {@code read} to block), what
     * {@code RequestBody.of} opens. The body's kind decides both the head's flush before it (E91) and the flush
     * after each chunk of a chunked body (E19), as Go's transport decides by the body's kind, never by what a
     * stream says it holds.
     *
     * @param source the stream opened from the request's body (never a wrapper of the transport's), or null
     * @return true for a {@code ByteArrayInputStream}
     */
    public static boolean readFromMemory(InputStream source) {
        return source != null && source.getClass() == ByteArrayInputStream.class;
    }

    /**
     * Writes the body from {@code source}, the stream the transport opened from the request's
     * {@link RequestBody} (not flushed at its end, not closed). A body not read from memory is flushed after each
     * chunk when chunked (E19), after each read when of a known length (E132).
     *
     * @param out the connection's output
     * @param req the request
     * @param source the body's bytes
     * @param fromMemory whether the stream the body opened is read from memory ({@link #readFromMemory}): its
     *     bytes then go out in full buffers, with its head, instead of one flush per chunk or read
     * @throws BodySourceException if reading {@code source} failed, with what it threw as the cause
     *     (the caller's failure, never the connection's)
     * @throws ContentLengthMismatchException if the body yields more or fewer bytes than its declared
     *     length (then the connection must be closed)
     * @throws IOException if writing to the connection failed (then the connection must be closed)
     */
    public static void writeBody(OutputStream out, HttpRequest req, InputStream source, boolean fromMemory)
            throws IOException {
        RequestBody body = req.body();
        if (body.isEmpty()) {
            return;
        }
        byte[] buf = new byte[8192];
        if (body.length() >= 0) {
            writeKnownLength(out, source, body.length(), buf, fromMemory);
        } else if (req.method().equals("CONNECT")) {
            writeUnframed(out, source, buf);
        } else {
            for (int n; (n = read(source, buf, buf.length)) > 0; ) {
                out.write(Integer.toHexString(n).getBytes(StandardCharsets.ISO_8859_1));
                out.write(CRLF);
                out.write(buf, 0, n);
                out.write(CRLF);
                if (!fromMemory) {
                    // Each chunk goes out as it is read, before the source is read again (E19), as Go's transport
                    // flushes after each chunk of a request body (its chunked writer over a FlushAfterChunkWriter):
                    // a source may block on any read, whatever its available() said, and a server that answers on
                    // what it has received must have it meanwhile. The head went out before the first read (E91).
                    out.flush();
                }
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    /**
     * A {@code CONNECT}'s body of unknown length (R66): the bytes the caller sends into the tunnel it asks for, as Go
     * sends them (no {@code Transfer-Encoding}, each read flushed: its {@code bufioFlushWriter}). A CONNECT has no
     * content (RFC 9110 §9.3.6): what follows its head is the tunnel's, so chunk framing would reach the peer as
     * data. What is buffered (the head, the bytes so far) goes out before each read, so a source that waits for the
     * tunnel's answer before it produces anything never holds the head back.
     */
    private static void writeUnframed(OutputStream out, InputStream source, byte[] buf) throws IOException {
        while (true) {
            out.flush();
            int n = read(source, buf, buf.length);
            if (n < 0) {
                return;
            }
            out.write(buf, 0, n);
        }
    }

    /**
     * Reads the caller's body; whatever it throws ({@link Error}s included, E48) becomes a {@link BodySourceException}. A read that
     * returns 0 bytes for a non-empty buffer breaks {@link InputStream#read(byte[], int, int)}'s contract
     * (it blocks until a byte is available), but is never taken for the end, which would cut a chunked
     * body short (a zero-size chunk ends it): the source is asked again, and after 100 such reads in a
     * row (Go's bound for a reader that makes no progress) it has failed (E16).
     */
    private static int read(InputStream source, byte[] buf, int len) throws BodySourceException {
        for (int empty = 0; empty < MAX_CONSECUTIVE_EMPTY_READS; empty++) {
            int n;
            try {
                n = source.read(buf, 0, len);
            } catch (Throwable e) { // an Error too: the caller's own failure, never the connection's (E48)
                throw new BodySourceException(e);
            }
            if (n < -1 || n > len) {
                // Never trusted: bytes past those asked for would go out past the declared Content-Length (the
                // server reading them as the start of another request), and a negative count other than -1 ended a
                // chunked body with its last chunk, a complete request cut short (E16).
                throw new BodySourceException(new IOException("the request body's stream (" + source.getClass().getName()
                        + ") returned " + n + " from a read of at most " + len + " bytes (InputStream.read returns -1,"
                        + " or the count of bytes it read)"));
            }
            if (n != 0) {
                return n;
            }
        }
        throw new BodySourceException(new IOException("the request body's stream (" + source.getClass().getName()
                + ") returned 0 bytes " + MAX_CONSECUTIVE_EMPTY_READS + " times in a row (InputStream.read must block"
                + " until a byte is available)"));
    }

    /**
     * Copies exactly {@code length} bytes. One byte too many is looked for before the last bytes are
     * written, so a server never receives a complete request whose body lied about its length. A body not read from
     * memory has each read's bytes flushed as they are written, before the source is read again (E132), as E19 does
     * for a chunked body's chunks: its source may block on any read, and a server that answers on what it has
     * received (or that bounds the silence between two reads of a body) must have what was produced meanwhile. Go
     * writes such a body's reads straight to the connection once its head is flushed (its buffered writer hands the
     * copy to the connection's {@code ReadFrom}).
     */
    private static void writeKnownLength(OutputStream out, InputStream in, long length, byte[] buf, boolean fromMemory)
            throws IOException {
        long left = length;
        while (true) {
            int n = left == 0 ? 0 : read(in, buf, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new ContentLengthMismatchException("request body ended " + left
                        + " bytes short of its declared length " + length, length);
            }
            left -= n;
            if (left == 0 && read(in, new byte[1], 1) > 0) {
                throw new ContentLengthMismatchException("request body is longer than its declared length " + length, length);
            }
            out.write(buf, 0, n);
            if (left == 0) {
                return; // the caller flushes the whole request
            }
            if (!fromMemory) {
                out.flush();
            }
        }
    }

    /** {@code uri}, or its UTF-8 percent-escaped form if it holds non-ASCII characters. */
    private static URI asciiOnly(URI uri) {
        String s = uri.toString();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7e) {
                return URI.create(uri.toASCIIString());
            }
        }
        return uri;
    }

    private static boolean methodExpectsBody(String method) {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    }

    /**
     * Whether the request-target is the authority-form {@code host:port} (RFC 9112 §3.2.3): a {@code CONNECT} whose
     * URI has neither a path nor a query, as Go writes one whose URL has no path (R65). A CONNECT with a path sends
     * it, as Go does (net/rpc's {@code CONNECT /_goRPC_}).
     *
     * @param method the request's method
     * @param uri the request's URI
     * @return true for authority-form
     */
    private static boolean isAuthorityForm(String method, URI uri) {
        return method.equals("CONNECT") && (uri.getRawPath() == null || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null;
    }

    /**
     * {@code host:port}, the port always given (authority-form has no default port), an IPv6 host in brackets: the
     * request's {@code Host} override if it has one, as Go writes a CONNECT's target from {@code Request.Host} (R121),
     * the URI's default port added when the override names none; else the URI's authority.
     */
    private static String authority(HttpRequest req, URI uri) {
        String defaultPort = uri.getScheme().equalsIgnoreCase("https") ? "443" : "80";
        if (req.host().isPresent()) {
            String host = req.host().get();
            boolean hasPort = host.lastIndexOf(':') > host.lastIndexOf(']');
            return hasPort ? host : host + ":" + defaultPort;
        }
        String port = portAsWritten(uri);
        return bracketedHost(uri) + ":" + (port == null ? defaultPort : port);
    }

    /**
     * The {@code Host} field's value: the request's override (R116), else the URI's host (never an IPv6 zone, R20)
     * with its port as the URI writes it, {@code :80} and {@code :443} included, as Go writes {@code URL.Host} (R122);
     * an empty port ({@code http://h:/}) is none, as Go's {@code removeEmptyPort} drops it.
     */
    private static String hostField(HttpRequest req, URI uri) {
        if (req.host().isPresent()) {
            return req.host().get();
        }
        String port = portAsWritten(uri);
        return port == null ? bracketedHost(uri) : bracketedHost(uri) + ":" + port;
    }

    /** The URI's port as its authority writes it ({@code 080} stays {@code 080}, as Go sends it), or null for none. */
    private static String portAsWritten(URI uri) {
        int port = UriHost.port(uri);
        if (port == -1) {
            return null;
        }
        String hostPort = uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1);
        String digits = hostPort.substring(hostPort.lastIndexOf(':') + 1);
        return !digits.isEmpty() && digits.chars().allMatch(c -> c >= '0' && c <= '9') ? digits : Integer.toString(port);
    }

    /** The URI's host as a header or authority-form writes it: never an IPv6 zone (R20), an IPv6 literal in brackets. */
    private static String bracketedHost(URI uri) {
        String host = HostLiteral.forHostField(UriHost.host(uri));
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
