package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.Goroutines;

import java.lang.reflect.AnnotatedElement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link NoGoroutineLeaks}; register it with the annotation (or
 * {@code @ExtendWith}). Before each test it notes the live goroutines; after it, it waits for the new
 * ones to end within the grace period and fails the test with a report of those that did not.
 */
public final class GoroutineLeakExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GoroutineLeakExtension.class);

    private record Baseline(Set<Long> ids, boolean previousCapture) {}

    /** Created by JUnit Jupiter when a test class carries {@link NoGoroutineLeaks}. */
    public GoroutineLeakExtension() {}

    @Override
    public void beforeEach(ExtensionContext context) {
        NoGoroutineLeaks config = config(context);
        Set<Long> ids = new HashSet<>();
        for (Goroutine g : Goroutines.live()) {
            ids.add(g.id());
        }
        boolean previous = Goroutines.startSiteCapture();
        if (config.captureStartSites()) {
            Goroutines.setStartSiteCapture(true);
        }
        context.getStore(NS).put(context.getUniqueId(), new Baseline(ids, previous));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        NoGoroutineLeaks config = config(context);
        Baseline baseline = context.getStore(NS).remove(context.getUniqueId(), Baseline.class);
        if (baseline == null) {
            return;
        }
        Goroutines.setStartSiteCapture(baseline.previousCapture());
        List<Goroutine> leaked = LeakFinder.awaitQuiet(baseline.ids(), patterns(config.allow()),
                Duration.ofMillis(config.graceMillis()));
        if (!leaked.isEmpty()) {
            throw new AssertionError(LeakFinder.report(leaked, config.graceMillis()));
        }
    }

    private static List<Pattern> patterns(String[] allow) {
        List<Pattern> list = new ArrayList<>();
        for (String a : allow) {
            list.add(Pattern.compile(a));
        }
        return list;
    }

    private static NoGoroutineLeaks config(ExtensionContext context) {
        Optional<NoGoroutineLeaks> onMethod = context.getTestMethod().flatMap(m -> find(m));
        return onMethod.or(() -> context.getTestClass().flatMap(GoroutineLeakExtension::find))
                .orElse(Defaults.INSTANCE);
    }

    private static Optional<NoGoroutineLeaks> find(AnnotatedElement e) {
        return AnnotationSupport.findAnnotation(e, NoGoroutineLeaks.class);
    }

    /** Default settings when the extension is registered without the annotation. */
    @NoGoroutineLeaks
    private static final class Defaults {
        static final NoGoroutineLeaks INSTANCE = Defaults.class.getAnnotation(NoGoroutineLeaks.class);
    }
}
