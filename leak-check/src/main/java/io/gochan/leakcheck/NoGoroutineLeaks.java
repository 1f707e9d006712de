package io.gochan.leakcheck;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fails a test that leaves goroutines running (Go's goleak, for gochan): after each test method, every
 * goroutine started through {@link io.gochan.Go} during the test must have ended. Goroutines that are
 * still finishing get a grace period: the check waits for each of them to end (joining it, so it
 * returns as soon as they end, never sleeping in fixed steps) until the grace period is used up.
 *
 * <pre>{@code
 * @NoGoroutineLeaks
 * class MyServiceTest { ... }
 * }</pre>
 *
 * A failure lists each leaked goroutine: its name and id, what it is blocked on (for example
 * {@code receive from chan(cap=0, ...)}), its stack, and where it was started if
 * {@link #captureStartSites()} is on.
 *
 * <p>Goroutines that were already running when the test started are not counted, so long-lived
 * goroutines started in {@code @BeforeAll} or by other code are ignored; name them in
 * {@link #allow()} to ignore ones that start during the test too.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(GoroutineLeakExtension.class)
public @interface NoGoroutineLeaks {
    /**
     * {@return regular expressions; a goroutine whose name matches one of them is never reported}
     */
    String[] allow() default {};

    /** {@return how long to wait, in total, for goroutines that are still finishing} */
    long graceMillis() default 5_000;

    /**
     * {@return Record where each goroutine was started (costs a stack walk per start while the test
     * runs)}
     */
    boolean captureStartSites() default true;
}
