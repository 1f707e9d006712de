package io.gochan.spi;

/**
 * The two position words of a {@link Ring}, each on a cache line of its own: a producer CASes
 * {@code sendPos} on every send and a consumer {@code recvPos} on every receive, and on one line
 * the two would invalidate each other's copy on every operation (false sharing). A subclass's fields
 * are laid out after its superclass's, so the padding classes keep them apart whatever order the
 * JVM gives fields within one class.
 */
@SuppressWarnings("unused")
final class RingPositions {
    private RingPositions() {}

    /** Padding before the send position (the object header's line is read by everyone). */
    abstract static class HeadPad {
        long h0, h1, h2, h3, h4, h5, h6, h7;
    }

    /** The send side: its position (with CLOSED and GATE) and its cached limit. */
    abstract static class Send extends HeadPad {
        volatile long sendPos;
        /**
         * A send's cached bound: a receive position seen earlier plus the capacity. Positions only grow,
         * so a stale bound is smaller than the true one (a send then re-reads recvPos), never larger.
         */
        volatile long sendLimit;
    }

    abstract static class SendPadded extends Send {
        long s0, s1, s2, s3, s4, s5, s6, s7;
    }

    /** The receive side: its position (with GATE) and its cached limit. */
    abstract static class Recv extends SendPadded {
        volatile long recvPos;
        /** A receive's cached bound: a send position seen earlier (stale means smaller, as sendLimit). */
        volatile long recvLimit;
    }

    abstract static class RecvPadded extends Recv {
        long r0, r1, r2, r3, r4, r5, r6, r7;
    }
}
