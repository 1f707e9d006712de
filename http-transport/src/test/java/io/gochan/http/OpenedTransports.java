package io.gochan.http;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The probe classes' shared fixture ({@code @RegisterExtension}): the transports a test opened are closed after
 * it, and then no transport goroutine may be left. Registered on a field, it runs before a class-level
 * {@code @NoGoroutineLeaks}, whose check then sees the closes done.
 */
final class OpenedTransports implements AfterEachCallback {
    private final List<Transport> opened = new ArrayList<>();

    /** Builds {@code b}'s transport, closed after the test. */
    Transport open(Transport.Builder b) {
        Transport t = b.build();
        opened.add(t);
        return t;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        opened.forEach(Transport::close);
        opened.clear();
        Leaks.assertNoTransportGoroutines();
    }
}
