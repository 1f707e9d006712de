package io.gochan.http.internal.conn;

import io.gochan.http.internal.Deadlines;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.http.Dialer;
import io.gochan.http.Resolver;
import io.gochan.http.internal.pool.DialPhase;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Go's default dialer (R1–R3): every resolved address in turn, each with a share of the dial
 * timeout ({@code partialDeadline}); for a dual-stack host the two families raced as Go's
 * {@code dialParallel} does (RFC 8305's connection attempt delay, Go's 300 ms by default).
 *
 * <p>The racing families run on their own goroutines ({@code http-dial-race}); the calling goroutine
 * waits for the first connection, interrupts the other family (a virtual thread's interrupt closes the
 * socket it connects on) and closes a connection that family may still make. An interrupt of the
 * caller (the transport closing) does the same to both and throws {@link InterruptedIOException}.
 */
public final class AddressDialer implements Dialer {
    /** Go's net.Dialer default FallbackDelay: 300 ms. */
    static final Duration DEFAULT_FALLBACK_DELAY = Duration.ofMillis(300);
    /** Go's minimum share of the timeout per address (partialDeadline's saneMinimum). */
    static final long MIN_SHARE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Resolver resolver;
    private final Duration fallbackDelay;

    /**
     * A dialer.
     *
     * @param resolver the name resolver
     * @param fallbackDelay head start of the first family; zero or negative: 300 ms
     */
    public AddressDialer(Resolver resolver, Duration fallbackDelay) {
        this.resolver = resolver;
        this.fallbackDelay = fallbackDelay == null || fallbackDelay.isZero() || fallbackDelay.isNegative()
                ? DEFAULT_FALLBACK_DELAY : fallbackDelay;
    }

    @Override
    public Socket dial(String host, int port, Duration timeout) throws IOException {
        // Saturating (E78): Duration.toNanos() threw ArithmeticException for a dial timeout of Long.MAX_VALUE seconds.
        long deadline = timeout == null || timeout.isZero() || timeout.isNegative() ? 0 : Deadlines.after(timeout);
        // Not interruptible (the JDK's resolver ignores interrupts): a closing transport does not wait for it, and
        // the dial opens nothing once it returns (E29).
        List<InetAddress> addresses = DialPhase.uninterruptible(() -> resolver.resolve(host));
        if (addresses == null || addresses.isEmpty()) {
            throw new UnknownHostException(host + ": the resolver returned no address");
        }
        if (addresses.stream().anyMatch(java.util.Objects::isNull)) { // not contains(null): List.of refuses it
            // A null InetAddress is the wildcard address to a socket, and a connect to it reaches this machine: a
            // broken resolver must not send the request to whatever listens here on its port (R31).
            throw new UnknownHostException(host + ": the resolver returned a null address among " + addresses.size());
        }
        addresses = addresses.stream().map(AddressDialer::unmapped).toList();
        List<InetAddress> primaries = new ArrayList<>();
        List<InetAddress> fallbacks = new ArrayList<>();
        boolean firstIsV6 = addresses.get(0) instanceof Inet6Address;
        for (InetAddress a : addresses) {
            ((a instanceof Inet6Address) == firstIsV6 ? primaries : fallbacks).add(a);
        }
        if (fallbacks.isEmpty()) {
            return dialSerial(host, primaries, port, deadline);
        }
        return dialParallel(host, primaries, fallbacks, port, deadline);
    }

    /**
     * {@code a}, or the IPv4 address it holds if it is an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}), as Go's
     * {@code To4()} makes it one (R9). The JDK's own parsing already gives an {@code Inet4Address} for one, but a
     * resolver can build an {@code Inet6Address} that holds it ({@code Inet6Address.getByAddress}): it was raced as
     * the IPv6 family against the host's IPv4 addresses, and named {@code [0:0:0:0:0:ffff:a00:1]} in errors.
     */
    static InetAddress unmapped(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 16 || b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
            return a;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return a;
            }
        }
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)); // no name: nothing is looked up
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are an IPv4 address", e);
        }
    }

    /** One family's addresses in turn; the first error if all fail (Go returns the first). */
    static Socket dialSerial(String host, List<InetAddress> addresses, int port, long deadline) throws IOException {
        IOException first = null;
        for (int i = 0; i < addresses.size(); i++) {
            if (Thread.currentThread().isInterrupted()) {
                throw interrupted(first);
            }
            int share;
            if (deadline == 0) {
                share = 0;
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    SocketTimeoutException e = new SocketTimeoutException("connect timed out");
                    if (first != null) {
                        e.addSuppressed(first);
                    }
                    throw e;
                }
                long part = left / (addresses.size() - i);
                if (part < MIN_SHARE_NANOS) {
                    part = Math.min(MIN_SHARE_NANOS, left);
                }
                share = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(part)));
            }
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(addresses.get(i), port), share);
                return s;
            } catch (RuntimeException | Error e) {
                SocketDialer.closeQuietly(s, e); // never left open, whatever ended the attempt (E86)
                throw e;
            } catch (IOException e) {
                SocketDialer.closeQuietly(s, e);
                if (e instanceof ConnectException) {
                    e = namingTheAddress((ConnectException) e, host, addresses.get(i), port);
                }
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(first);
        }
        throw first;
    }

    /**
     * A refused connection, of the same JDK type (a caller may catch it), with a message that names what was dialled
     * (R82), as Go's "dial tcp 127.0.0.1:8080: connect: connection refused": the JDK's own ("Connection refused")
     * named nothing, so a user could not tell which service, or which of a host's addresses, was down.
     */
    private static ConnectException namingTheAddress(ConnectException e, String host, InetAddress address, int port) {
        String ip = address.getHostAddress();
        String literal = address instanceof Inet6Address ? "[" + ip + "]" : ip;
        // An IP literal (an IPv6 one in any spelling, "::1") is named once; a name is named with the address tried.
        String what = host.equals(ip) || host.indexOf(':') >= 0 ? literal : host + " (" + literal + ")";
        ConnectException named = new ConnectException("connect to " + what + ":" + port + " failed: " + e.getMessage());
        named.initCause(e); // the JDK's refusal as the cause: what tells the transport this one is named (P71)
        return named;
    }

    private static InterruptedIOException interrupted(IOException cause) {
        InterruptedIOException e = new InterruptedIOException("dial interrupted");
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /** One family's outcome: its socket, or what ended it: an {@link IOException}, or anything unchecked (E86). */
    private record Result(boolean primary, Socket socket, Throwable error) {}

    private Socket dialParallel(String host, List<InetAddress> primaries, List<InetAddress> fallbacks, int port, long deadline)
            throws IOException {
        LinkedBlockingQueue<Result> results = new LinkedBlockingQueue<>();
        AtomicBoolean decided = new AtomicBoolean();
        Goroutine primary = race(host, true, primaries, port, deadline, results, decided);
        Goroutine fallback = null;
        long fallbackAt = Deadlines.after(fallbackDelay); // saturating, as the dial deadline (E78)
        Throwable primaryError = null;
        Throwable fallbackError = null;
        boolean interrupted = false;
        try {
            while (true) {
                Result r;
                if (fallback == null) {
                    r = results.poll(Math.max(0, fallbackAt - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (r == null) {
                        fallback = race(host, false, fallbacks, port, deadline, results, decided);
                        continue;
                    }
                } else {
                    r = results.take();
                }
                if (r.socket() != null) {
                    return r.socket();
                }
                if (r.primary()) {
                    primaryError = r.error();
                    if (fallback == null) { // the first family failed: the other starts at once
                        fallback = race(host, false, fallbacks, port, deadline, results, decided);
                    }
                } else {
                    fallbackError = r.error();
                }
                if (primaryError != null && fallbackError != null) {
                    if (fallbackError != primaryError) {
                        primaryError.addSuppressed(fallbackError);
                    }
                    throw rethrown(primaryError);
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
            throw interrupted(primaryError instanceof IOException io ? io : null);
        } finally {
            decided.set(true);
            interrupt(primary);
            interrupt(fallback);
            closeAll(results);
            if (interrupted) {
                // The transport is closing and waits for this dial: its racers end first (their connects fail at
                // once, interrupted), so nothing of the dial outlives close() (E29).
                awaitEnd(primary);
                awaitEnd(fallback);
                Thread.currentThread().interrupt(); // kept: the pool's dial goroutine answers it
            }
        }
    }

    /**
     * A family's failure thrown as it is: an {@link IOException}, or an unchecked failure of the same type the one
     * family of a single-stack host would have thrown (E86).
     */
    private static IOException rethrown(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return (IOException) failure;
    }

    /** Joins a racer that was interrupted (it ends at once); the caller's own interrupt is restored by the caller. */
    private static void awaitEnd(Goroutine g) {
        if (g == null) {
            return;
        }
        while (true) {
            try {
                g.join();
                return;
            } catch (InterruptedException e) {
                // the caller restores its interrupt after both joins
            }
        }
    }

    private static void interrupt(Goroutine g) {
        if (g != null) {
            g.interrupt();
        }
    }

    private static Goroutine race(String host, boolean primary, List<InetAddress> addresses, int port, long deadline,
            LinkedBlockingQueue<Result> results, AtomicBoolean decided) {
        return Go.go("http-dial-race " + (primary ? "primary " : "fallback ") + host + ":" + port, () -> {
            Result r;
            try {
                r = new Result(primary, dialSerial(host, addresses, port, deadline), null);
            } catch (IOException | RuntimeException | Error e) {
                // Every end is reported: a racer that died of an unchecked failure without a word left the dial
                // waiting for it for ever (no timeout bounds that wait), its request hung with its host's slot (E86).
                r = new Result(primary, null, e);
            }
            results.add(r);
            if (decided.get()) { // the caller has left: whatever it did not take is closed here
                closeAll(results);
            }
        });
    }

    /** Closes connections nobody will take; each queue element is taken by exactly one drainer. */
    private static void closeAll(LinkedBlockingQueue<Result> results) {
        Result r;
        while ((r = results.poll()) != null) {
            if (r.socket() != null) {
                try {
                    r.socket().close();
                } catch (IOException e) {
                    System.getLogger(AddressDialer.class.getName()).log(System.Logger.Level.DEBUG, "closing a losing connection", e);
                }
            }
        }
    }
}
