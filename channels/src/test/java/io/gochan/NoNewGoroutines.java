package io.gochan;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Every goroutine a test started has ended when it returns (a generous bound, not a speed): the
 * channels module's own leak check, since leak-check depends on this module. Goroutines alive before
 * the test (another class's, still ending) are not its concern.
 */
final class NoNewGoroutines implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoNewGoroutines.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("before", new HashSet<>(Goroutines.live()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        Set<Goroutine> before = context.getStore(NS).get("before", Set.class);
        Threads.awaitTrue(() -> Goroutines.live().stream().allMatch(before::contains), "the test's goroutines to end");
    }
}
