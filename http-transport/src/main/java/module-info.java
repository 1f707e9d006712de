/**
 * An HTTP/1.1 client whose transport is Go's persistConn design on gochan channels.
 *
 * <p>JDK Flight Recorder events {@code io.gochan.http.Connection} and {@code io.gochan.http.Request}
 * (disabled by default) are emitted when {@code jdk.jfr} is in the runtime and a recording enables
 * them; {@code jdk.jfr} is optional, as for {@code io.gochan}.
 */
module io.gochan.http {
    // Context is in the API (jdeps --check: .ci/jdeps.sh); select is used inside only.
    requires transitive io.gochan;
    requires io.gochan.select;
    // Optional (ADR 0011): the events are loaded only through the transport's JFR gate.
    requires static jdk.jfr;
    exports io.gochan.http;
}
