/** Goroutine leak checking for JUnit Jupiter tests: {@link io.gochan.leakcheck.NoGoroutineLeaks}. */
module io.gochan.leakcheck {
    requires transitive io.gochan;
    // The annotation and the extension are JUnit Jupiter API types: a user of one reads the other.
    requires transitive org.junit.jupiter.api;
    // AnnotationSupport, used directly (not reached through the Jupiter API's own requires).
    requires org.junit.platform.commons;
    // TestAbortedException (an aborted test's leak report replaces the abort, LK19), used directly.
    requires org.opentest4j;
    // HotSpotDiagnosticMXBean.dumpThreads: the only API that lists virtual threads; ManagementFactory
    // (java.management) is used directly too (jdeps --check: .ci/jdeps.sh).
    requires java.management;
    requires jdk.management;
    exports io.gochan.leakcheck;
}
