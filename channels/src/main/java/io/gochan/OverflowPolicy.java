package io.gochan;

/**
 * What a send on a buffered channel does when the buffer is full and no receiver waits (Kotlin's
 * {@code BufferOverflow}). Used with {@link Chan#make(int, OverflowPolicy)}; rules OV1–OV5.
 *
 * <p>Whatever the policy, a send first hands its value to a waiting receiver (Go's rendezvous, so a
 * waiting receiver never misses a value because of the policy), else puts it into the buffer if there
 * is room; only a full buffer brings the policy into play. A send on a closed channel throws
 * {@link ChannelClosedException} under every policy, and receivers drain the buffer after a close.
 */
public enum OverflowPolicy {
    /** Go's behaviour and the default: the send waits until there is room (or a receiver comes). */
    SUSPEND,
    /**
     * The send never waits: the oldest buffered value is dropped to make room, and the new value is
     * appended (the receiver sees the newest values; a conflated channel is capacity 1 with this policy).
     */
    DROP_OLDEST,
    /**
     * The send never waits: the value being sent is dropped, the buffer keeps the values it holds (the
     * receiver sees the oldest values).
     */
    DROP_LATEST
}
