/**
 * gochan's ground floor: {@link io.gochan.Chan}, goroutines on virtual threads, timers, a
 * cancellation context and a wait group. Depends on nothing but the JDK.
 *
 * <p>{@code io.gochan.spi} holds the waiter machinery that {@code select} is built on; it is exported
 * only to gochan's own modules.
 */
module io.gochan {
    requires transitive jdk.jfr;
    exports io.gochan;
    exports io.gochan.jfr;
    // Only select is built on the waiter machinery; the stress tests and benchmarks use it from the
    // class path, where qualified exports do not apply.
    exports io.gochan.spi to io.gochan.select;
}
