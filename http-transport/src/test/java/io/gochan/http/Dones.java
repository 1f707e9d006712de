package io.gochan.http;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A listener recording every {@code done()} of every request, by request identity (a success as a
 * {@code Throwable("ok")}), for tests of "exactly one done() per request" (E22).
 */
final class Dones implements RequestListener {
    final Map<HttpRequest, List<Throwable>> done = new ConcurrentHashMap<>();

    @Override
    public void done(HttpRequest request, Throwable error) {
        Throwable seen = error == null ? new Throwable("ok") : error;
        // compute, not computeIfAbsent(...).add: a test polling containsKey must never see the key with an empty
        // list (DroppedBodyProbeTest failed once so under load: "size 0").
        done.compute(request, (k, v) -> {
            List<Throwable> list = v != null ? v : new CopyOnWriteArrayList<>();
            list.add(seen);
            return list;
        });
    }
}
