package io.gochan.http;

/**
 * A snapshot of a {@link Transport}'s connection counters, consistent with each other ({@code open} is
 * {@code idle + inUse}; rule E30). A connection that leaves the pool to be closed (idle timeout,
 * {@link Transport#closeIdleConnections()}, an idle limit) is in none of them from that moment. After
 * {@link Transport#close()} returns, {@code open}, {@code idle}, {@code inUse}, {@code dialing} and
 * {@code waiting} are zero (E29).
 *
 * @param open connections established and not yet closed or being closed (idle plus in use)
 * @param idle connections in the idle pool
 * @param inUse connections serving a request; a connection nobody uses (a dial whose request was served by another
 *     connection, or gave up) is counted dialing, then idle, never in use in between (E157)
 * @param dialing connections being dialled
 * @param waiting requests waiting for a connection because a per-host limit is reached
 * @param dialed connections opened since the transport was created
 * @param reused requests handed to a connection from the idle pool (or put back by another request) that was
 *     still open at that moment, exactly those for which a flight-recorder "reused" event is committed when a
 *     recording is on (E35); a pooled connection found closed serves nothing and is not counted, nor is one handed
 *     to a request that then ends (its context, deadline or interrupt, the transport's close) or whose
 *     {@code gotConn} listener throws an {@link Error} before it sends anything: it gives the connection back unused
 *     (E90)
 * @param retries retries of a request on a new connection after a reused one failed, each counted as it begins (with
 *     its {@code getConn} event): a retry refused before it asks for a connection (the transport closed, the request's
 *     context ended or its deadline passed, its thread interrupted, its body failing to open again) is not counted
 *     (P54)
 */
public record TransportStats(int open, int idle, int inUse, int dialing, int waiting, long dialed, long reused,
        long retries) {}
