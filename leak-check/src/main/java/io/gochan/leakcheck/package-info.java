/**
 * JUnit Jupiter support for gochan's tests: {@link NoGoroutineLeaks} fails a test or test class that leaves
 * goroutines, virtual threads or platform threads running, in the manner of Go's {@code goleak}; {@link Synctest}
 * runs a test in a bubble on a virtual clock, as Go's {@code testing/synctest} does; {@link LeakFinder} finds, without JUnit,
 * the goroutines that outlived a baseline. It uses the JUnit Jupiter of the tests that use it (5.13 or
 * newer, or 6).
 */
package io.gochan.leakcheck;
