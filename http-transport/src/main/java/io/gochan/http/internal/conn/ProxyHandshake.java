package io.gochan.http.internal.conn;

import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.ProxyException;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.BodyFraming;
import io.gochan.http.internal.codec.ConnInput;
import io.gochan.http.internal.codec.HostLiteral;
import io.gochan.http.internal.codec.HttpLimits;
import io.gochan.http.internal.codec.ResponseHead;
import io.gochan.http.internal.codec.ResponseHeadReader;
import io.gochan.http.internal.codec.StreamContractException;
import io.gochan.http.internal.pool.ConnectKey;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.IDN;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Sets up the way to the origin through a proxy on an open connection to it (R8, R9): an HTTP
 * {@code CONNECT} tunnel, or a SOCKS5 {@code CONNECT} (RFC 1928, with RFC 1929 username/password when
 * the proxy URI has user info). Every exchange is bounded as a whole by the dial timeout (R28) and, for
 * HTTP, read with the response-head limits and checks of an origin's response (ADR 0006): a proxy is as
 * untrusted as an origin. Any failure is a {@link ProxyException} naming the proxy and what it said (R10).
 */
final class ProxyHandshake {
    private ProxyHandshake() {}

    /**
     * The {@code Proxy-Authorization} value for {@code proxy}'s user info (Basic), or null if it has none.
     *
     * @param proxy the proxy URI
     * @return the header value, or null
     */
    static String basicAuthorization(URI proxy) {
        String info = proxy.getRawUserInfo();
        if (info == null || info.isEmpty()) {
            return null;
        }
        // user ":" password, each percent-decoded to the bytes it names as Go's url.User does (R76); always with the
        // colon (RFC 7617): "token@proxy" is user "token" with an empty password, base64("token:") as Go's proxyAuth (R23).
        return io.gochan.http.internal.UserInfo.basic(info);
    }

    /**
     * Sends CONNECT for {@code key}'s origin through {@code socket} and reads the proxy's answer, the whole
     * exchange bounded by {@code timeout} (R28); returns once the tunnel is open.
     *
     * @param tcp the TCP socket under {@code socket} (the same for an http:// proxy), closed if time runs out
     * @param extra asked for the request's extra fields (R54), or null for none
     * @param maxHeadBytes {@code maxRequestHeaderBytes}: a larger CONNECT head is not written (R56)
     * @throws HeadTooLargeException if the head is larger than {@code maxHeadBytes}; nothing was written
     */
    static void connect(Socket socket, Socket tcp, ConnectKey key, HttpLimits limits, Duration timeout,
            io.gochan.http.ProxyConnectHeaders extra, int maxHeadBytes) throws IOException {
        URI proxy = key.proxy();
        String authority = authority(key.host(), key.port());
        StringBuilder head = new StringBuilder(128)
                .append("CONNECT ").append(authority).append(" HTTP/1.1\r\n")
                .append("Host: ").append(authority).append("\r\n");
        String auth = basicAuthorization(proxy);
        // Asked before anything is written: its failure is the request's, the proxy told nothing (R54).
        Headers fields = extra == null ? null : io.gochan.http.internal.pool.DialPhase.userStep(() -> extra.headers(proxy, authority));
        if (fields != null) {
            appendFields(head, fields, auth != null);
        }
        if (auth != null) {
            head.append("Proxy-Authorization: ").append(auth).append("\r\n");
        }
        head.append("\r\n");
        String who = "proxy " + ConnectKey.redacted(proxy) + " (CONNECT " + authority + ")";
        // The caller's limit holds for every head the transport writes (R56): the CONNECT's fields and the proxy URI's
        // credentials are the caller's too. One byte a char: the fields were validated, and ISO-8859-1 writes each
        // char as one byte.
        if (head.length() > maxHeadBytes) {
            throw new HeadTooLargeException("CONNECT request head to " + who, head.length(), maxHeadBytes);
        }
        try {
            DialGuard.bounded(timeout, tcp, who + "'s answer", () -> {
                OutputStream out = socket.getOutputStream();
                out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                ConnInput in = new ConnInput(socket.getInputStream());
                ResponseHead answer;
                try {
                    answer = ResponseHeadReader.read(in, limits);
                } catch (HttpProtocolException e) {
                    throw new ProxyException(proxy, -1, who + " answered with a malformed response: " + e.getMessage(), e);
                } catch (StreamContractException e) {
                    // The socket to the proxy broke InputStream.read's contract (P80): a ProxyException as every failure
                    // of the setup (R10), never the internal type, which no caller can name (E10).
                    throw brokenStream(proxy, who, e);
                }
                checkAnswer(answer, in, proxy, who);
            });
        } catch (SocketTimeoutException e) {
            throw new HttpTimeoutException(HttpTimeoutException.Kind.CONNECT, who + " did not answer; timed out after " + timeout, e);
        } catch (IOException e) {
            throw asProxyFailure(e, proxy, who);
        }
    }

    /**
     * What a failure of the proxy's setup is to the caller (R10, R127): a {@link ProxyException} naming the proxy and the
     * target, whatever the socket said (a reset, a broken pipe, an https proxy's TLS layer refusing to renegotiate), as
     * Go's "proxyconnect" errors name it; before, such a failure reached the caller as the JDK's bare
     * {@code SocketException: Connection reset}, which named neither the proxy nor the origin. An interrupt's
     * {@link java.io.InterruptedIOException} stays what it is (the request's cancellation), an
     * {@link java.net.UnknownHostException} too (an origin address refused before the proxy is asked, R110), and so does
     * what is a {@code ProxyException} already.
     */
    private static IOException asProxyFailure(IOException e, URI proxy, String who) {
        if (e instanceof ProxyException || e instanceof java.io.InterruptedIOException
                || e instanceof java.net.UnknownHostException) {
            return e; // a name the request's origin has not (R110) is the request's failure, found before the proxy is asked
        }
        return new ProxyException(proxy, -1, who + " failed: " + ThrowableText.messageOrType(e), e);
    }

    /**
     * The caller's CONNECT fields (R54), validated when their {@link Headers} were built: never {@code Host} (ours,
     * the target) nor framing ({@code Content-Length}, {@code Transfer-Encoding}, {@code Trailer}: a CONNECT has no
     * body, and a proxy reading one would take the tunnel's first bytes for it), as a request's own fields; one
     * {@code User-Agent}, the first, none if it is empty (Go's rule; without one, none: the transport has no default
     * for a proxy); no {@code Proxy-Authorization} when the proxy URI has user info, whose Basic value is then the one
     * sent, as Go's {@code hdr.Set} replaces the fields' own.
     */
    private static void appendFields(StringBuilder head, Headers fields, boolean uriCredentials) {
        for (int i = 0; i < fields.size(); i++) {
            String name = fields.name(i);
            if (name.equalsIgnoreCase("Host") || name.equalsIgnoreCase("Content-Length")
                    || name.equalsIgnoreCase("Transfer-Encoding") || name.equalsIgnoreCase("Trailer")
                    || name.equalsIgnoreCase("User-Agent")
                    || (uriCredentials && name.equalsIgnoreCase("Proxy-Authorization"))) {
                continue;
            }
            head.append(name).append(": ").append(fields.value(i)).append("\r\n");
        }
        String userAgent = fields.get("User-Agent");
        if (userAgent != null && !userAgent.isEmpty()) {
            head.append("User-Agent: ").append(userAgent).append("\r\n");
        }
    }

    /** Refuses a CONNECT answer that did not open the tunnel, or that came with more than the answer (R10). */
    private static void checkAnswer(ResponseHead answer, ConnInput in, URI proxy, String who) throws ProxyException {
        if (answer == null) {
            throw new ProxyException(proxy, -1, who + " closed the connection without an answer", null);
        }
        if (answer.status() / 100 != 2) {
            throw new ProxyException(proxy, answer.status(), who + " refused: " + answer.status()
                    + (answer.reason().isEmpty() ? "" : " " + ResponseHeadReader.shorten(answer.reason())), null);
        }
        try {
            // Its Content-Length and a lone chunked are ignored (R55), but a transfer coding the client cannot read is
            // refused, as Go's ReadResponse refuses it before its dial looks at the status (P82). A refusal above stays
            // one, with its status, whatever its fields: no tunnel opens either way.
            BodyFraming.requireReadableTransferCoding(answer);
        } catch (HttpProtocolException e) {
            throw new ProxyException(proxy, answer.status(), who + " answered " + answer.status()
                    + " with a malformed response: " + e.getMessage(), e);
        }
        if (in.buffered() > 0) {
            // A tunnel carries the origin's bytes only after our TLS ClientHello: anything the proxy sent
            // past its answer would be lost below TLS, or smuggled into it.
            throw new ProxyException(proxy, answer.status(), who + " sent bytes after its " + answer.status()
                    + " answer: '" + ResponseHeadReader.shorten(in.bufferedAscii(40)) + "'",
                    new HttpProtocolException(HttpProtocolException.Reason.UNSOLICITED_RESPONSE, "bytes after the CONNECT answer"));
        }
    }

    private static String authority(String host, int port) {
        // An IPv6 host keeps the brackets URI.getHost() gives it, and loses its zone: the zone names an interface of
        // this machine, meaningless to the proxy and not allowed in an authority (R20, R42).
        return HostLiteral.forHostField(host) + ":" + port;
    }

    private static final String[] SOCKS_REPLIES = {
        "succeeded", "general SOCKS server failure", "connection not allowed by ruleset", "network unreachable",
        "host unreachable", "connection refused", "TTL expired", "command not supported", "address type not supported",
    };

    /**
     * SOCKS5 CONNECT to {@code key}'s origin (RFC 1928), with RFC 1929 authentication if the proxy has user
     * info, the whole exchange bounded by {@code timeout} (R28).
     *
     * @param tcp the TCP socket under {@code socket}, closed if time runs out
     */
    static void socks5(Socket socket, Socket tcp, ConnectKey key, Duration timeout) throws IOException {
        URI proxy = key.proxy();
        String target = authority(key.host(), key.port());
        String who = "SOCKS5 proxy " + ConnectKey.redacted(proxy) + " (CONNECT " + target + ")";
        try {
            DialGuard.bounded(timeout, tcp, who + "'s answer", () -> socks5Exchange(socket, key, proxy, who));
        } catch (SocketTimeoutException e) {
            throw new HttpTimeoutException(HttpTimeoutException.Kind.CONNECT, who + " did not answer; timed out after " + timeout, e);
        } catch (IOException e) {
            throw asProxyFailure(e, proxy, who);
        }
    }

    private static void socks5Exchange(Socket socket, ConnectKey key, URI proxy, String who) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        String info = proxy.getRawUserInfo();
        boolean creds = info != null && !info.isEmpty();
        out.write(creds ? new byte[] {5, 2, 0, 2} : new byte[] {5, 1, 0});
        out.flush();
        byte[] choice = readN(in, 2, who, proxy);
        if (choice[0] != 5) {
            throw new ProxyException(proxy, -1, who + " is not a SOCKS5 server: version byte " + (choice[0] & 0xff), null);
        }
        int method = choice[1] & 0xff;
        if (method == 2 && creds) {
            authenticate(out, in, info, proxy, who);
        } else if (method == 0xff) {
            throw new ProxyException(proxy, -1, who + " accepts none of our authentication methods"
                    + (creds ? " (none, username/password)" : " (none; the proxy URI has no user info)"), null);
        } else if (method != 0) {
            throw new ProxyException(proxy, -1, who + " chose an authentication method we did not offer: " + method, null);
        }
        out.write(connectRequest(key.host(), key.port(), who, proxy));
        out.flush();
        byte[] reply = readN(in, 4, who, proxy);
        if (reply[0] != 5) {
            throw new ProxyException(proxy, -1, who + " answered CONNECT with version byte " + (reply[0] & 0xff), null);
        }
        int rep = reply[1] & 0xff;
        if (rep != 0) {
            String what = rep < SOCKS_REPLIES.length ? SOCKS_REPLIES[rep] : "unknown reply code";
            throw new ProxyException(proxy, rep, who + " failed: " + what + " (reply " + rep + ")", null);
        }
        if (reply[2] != 0) {
            // RFC 1928's reply has a reserved byte that is 0, and Go's socks client refuses any other ("non-zero reserved
            // field"), after the reply code as here: bytes that break the reply's layout are no word that the tunnel is up.
            throw new ProxyException(proxy, -1, who + " answered CONNECT with a non-zero reserved byte " + (reply[2] & 0xff)
                    + " (RFC 1928: 0)", null);
        }
        int skip = switch (reply[3] & 0xff) {
            case 1 -> 4;
            case 4 -> 16;
            case 3 -> readN(in, 1, who, proxy)[0] & 0xff;
            default -> throw new ProxyException(proxy, -1, who + " answered with an unknown address type " + (reply[3] & 0xff), null);
        };
        readN(in, skip + 2, who, proxy); // bound address and port: not needed
    }

    private static void authenticate(OutputStream out, InputStream in, String rawInfo, URI proxy, String who) throws IOException {
        byte[] user = io.gochan.http.internal.UserInfo.user(rawInfo); // the bytes each %XX names (R76)
        byte[] pass = io.gochan.http.internal.UserInfo.password(rawInfo);
        if (user.length == 0 || user.length > 255 || pass.length > 255) {
            throw new ProxyException(proxy, -1, who + ": username must be 1 to 255 bytes and password at most 255 (RFC 1929)", null);
        }
        byte[] msg = new byte[3 + user.length + pass.length];
        msg[0] = 1;
        msg[1] = (byte) user.length;
        System.arraycopy(user, 0, msg, 2, user.length);
        msg[2 + user.length] = (byte) pass.length;
        System.arraycopy(pass, 0, msg, 3 + user.length, pass.length);
        out.write(msg);
        out.flush();
        byte[] status = readN(in, 2, who, proxy);
        if (status[0] != 1) {
            // RFC 1929's reply starts with its version, 1 (Go's socks client checks it too): anything else is not
            // an answer to our username and password, whatever its status byte says.
            throw new ProxyException(proxy, -1, who + " answered the username and password with authentication reply version "
                    + (status[0] & 0xff) + " (RFC 1929: 1)", null);
        }
        if (status[1] != 0) {
            throw new ProxyException(proxy, status[1] & 0xff, who + " rejected the username and password (status " + (status[1] & 0xff) + ")", null);
        }
    }

    private static byte[] connectRequest(String host, int port, String who, URI proxy) throws IOException {
        // Without the zone (R42): the proxy dials the address, and the zone is an interface name of this machine,
        // which the JDK's parser would also look up here ("no such interface") and fail the request for.
        String noZone = HostLiteral.forHostField(host);
        String bare = noZone.startsWith("[") ? noZone.substring(1, noZone.length() - 1) : noZone;
        byte[] addr;
        byte type;
        if (bare.indexOf(':') >= 0) {
            // ::ffff:0177.0.0.1: the JDK reads its end as 177.0.0.1, Go's ParseIP finds no address in it (R110).
            HostLiteral.refuseNumericNonAddress(bare);
            addr = java.net.InetAddress.getByName(bare).getAddress(); // an IPv6 literal: parsed, never looked up
            // The type from the bytes, not the spelling (R42): ::ffff:a.b.c.d is the IPv4 address a.b.c.d (the JDK
            // gives an Inet4Address, 4 bytes), sent as type 1 as Go's socks client does (ip.To4() != nil). Type 4
            // with 4 bytes was a malformed request: a proxy read 12 bytes past it and the dial timed out.
            type = (byte) (addr.length == 4 ? 1 : 4);
        } else if (HostLiteral.isDottedQuad(bare)) {
            // Four decimal octets without leading zeros, as Go's net.ParseIP reads an IPv4 address; anything else of
            // digits and dots (123, 010.0.0.1) is a name for the proxy to resolve, not an address the JDK's lenient
            // parser would invent (0.0.0.123) (R33).
            addr = java.net.InetAddress.getByName(bare).getAddress();
            type = 1;
        } else {
            addr = IDN.toASCII(bare).getBytes(StandardCharsets.US_ASCII); // the proxy resolves names (as Go does)
            type = 3;
            if (addr.length > 255) {
                throw new ProxyException(proxy, -1, who + ": host name longer than 255 bytes", null);
            }
        }
        int n = type == 3 ? 1 + addr.length : addr.length;
        byte[] msg = new byte[4 + n + 2];
        msg[0] = 5;
        msg[1] = 1;
        msg[3] = type;
        int at = 4;
        if (type == 3) {
            msg[at++] = (byte) addr.length;
        }
        System.arraycopy(addr, 0, msg, at, addr.length);
        at += addr.length;
        msg[at] = (byte) (port >> 8);
        msg[at + 1] = (byte) port;
        return msg;
    }

    /**
     * Reads exactly {@code n} bytes of the proxy's answer. A read that returns 0 bytes, which {@code InputStream.read}
     * must not do for a non-empty range (a {@code Dialer}'s socket may), is asked again, and after
     * {@link ConnInput#MAX_CONSECUTIVE_EMPTY_READS} in a row the handshake fails saying its stream made no progress, as
     * the connection's own input does (P80, R33); a count past the range, or below -1, fails it at once. The JDK's
     * {@code readNBytes} asked such a stream again without end: the dial spun until its timeout closed the socket, and
     * for ever with a stream that never looked at its socket again.
     */
    private static byte[] readN(InputStream in, int n, String who, URI proxy) throws IOException {
        byte[] b = new byte[n];
        for (int off = 0; off < n; ) {
            int r;
            try {
                r = ConnInput.readSome(in, b, off, n - off);
            } catch (StreamContractException e) {
                throw brokenStream(proxy, who, e);
            }
            if (r == -1) {
                throw new ProxyException(proxy, -1, who + " closed the connection in the middle of its answer", null);
            }
            off += r;
        }
        return b;
    }

    /** The setup failed because the socket to the proxy broke {@code InputStream.read}'s contract (P80, R33). */
    private static ProxyException brokenStream(URI proxy, String who, StreamContractException broken) {
        return new ProxyException(proxy, -1, who + " could not be read: " + broken.getMessage(), broken);
    }
}
