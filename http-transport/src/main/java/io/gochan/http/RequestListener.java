package io.gochan.http;

/**
 * Per-request events, like Go's {@code httptrace.ClientTrace} and OkHttp's {@code EventListener}.
 * Every method has an empty default; override what you need. Callbacks run on transport threads
 * (the caller's thread, a connection's read or write loop); they must be quick and must not block. One that
 * blocks on a loop anyway does not hang its request: the request's {@link #done} waits for it 2 seconds at most,
 * then is left to be reported as that callback returns, still the request's last event (rule E67).
 * A {@link RuntimeException} thrown by one is logged and otherwise ignored (it never fails the request).
 * An {@link Error} (a failed assertion in a test's listener) is not swallowed: thrown on the caller's
 * thread it propagates to the caller, thrown on a loop it ends that connection and the request fails with
 * it as the cause unless it already has its response; either way the request first releases its
 * connection and closes its body stream (rule E20). A callback that leaves its thread's interrupt status set on a
 * connection's loop ends that loop: the connection is not reused and never handed to another request (rule E95). On the
 * read loop, the request it serves still gets its answer, its body read whole, before the loop ends (rule E99); on the
 * write loop, that request may fail as an interrupted loop's unless its whole request had gone out (rule E95).
 */
public interface RequestListener {
    /** A listener that does nothing. */
    RequestListener NONE = new RequestListener() {};

    /**
     * The transport starts looking for a connection for {@code request}.
     *
     * @param request the request
     * @param hostPort host:port of the connection
     */
    default void getConn(HttpRequest request, String hostPort) {}

    /**
     * A connection was obtained; {@code reused} is true if it came from the idle pool. Called as the pool hands the
     * connection over, before the request's context, deadline and interrupt are looked at again (as Go calls
     * {@code GotConn} before it checks the request's cancellation): a request that ended meanwhile, in this call
     * too, then gives the connection back unused and fails, sending nothing, and is not counted in
     * {@link TransportStats#reused()} (E90).
     *
     * @param request the request
     * @param reused true if the connection was reused from the pool
     */
    default void gotConn(HttpRequest request, boolean reused) {}

    /**
     * The request line and headers were written and flushed (E91). Before any body but one read from memory (one
     * whose stream is a {@link java.io.ByteArrayInputStream}, as {@link RequestBody#of(byte[], String)} opens), and
     * before an {@code Expect: 100-continue} wait, the head is flushed on its own and this is called before any byte
     * of the body is read, as Go's {@code WroteHeaders}, whatever the body's stream says it holds: a body that fails
     * half way, or stalls after its first bytes, still had this call. A body read from memory goes out with its head
     * in one write, and this follows it. It runs on the write loop and is not ordered with the answer: the server may
     * answer the flushed head before this call, and the caller may have the response then; a request whose
     * {@link #done} came first (its body read to its end meanwhile) never has it (rule E27). A caller that needs it
     * waits for it before reading the body to its end.
     *
     * @param request the request
     */
    default void wroteHeaders(HttpRequest request) {}

    /**
     * The whole request (headers and body) was written, or the write failed ({@code error} non-null). Like
     * {@link #wroteHeaders}, not ordered with the answer, and not reported once the request's {@link #done} was.
     *
     * @param request the request
     * @param error the failure, or null if there was none
     */
    default void wroteRequest(HttpRequest request, Throwable error) {}

    /**
     * The first byte of the response arrived.
     *
     * @param request the request
     */
    default void gotFirstResponseByte(HttpRequest request) {}

    /**
     * The request is over: its body was read to the end or closed, or it failed ({@code error} non-null).
     * Reported exactly once for every request {@code roundTrip} is given, also one it refuses before anything of it
     * happens (a head over {@code maxRequestHeaderBytes}, a closed transport: then with no other event before it),
     * after the request's connection is back in the pool or closed, and before the
     * caller sees the end ({@code roundTrip} returning a response without a body, or throwing; the read that
     * reports the body's end returning). It is the request's last event: an event of its connection's loops
     * that would come later (a write still failing after the request was cancelled) is not reported
     * (rules E22, E27, E61).
     *
     * @param request the request
     * @param error the failure, or null if there was none
     */
    default void done(HttpRequest request, Throwable error) {}
}
