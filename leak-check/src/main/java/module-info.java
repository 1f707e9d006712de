/** Goroutine leak checking for JUnit Jupiter tests: {@link io.gochan.leakcheck.NoGoroutineLeaks}. */
module io.gochan.leakcheck {
    requires transitive io.gochan;
    requires transitive org.junit.jupiter.api;
    exports io.gochan.leakcheck;
}
