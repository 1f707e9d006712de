package io.gochan;

import java.util.Iterator;
import java.util.Objects;
import java.util.Spliterator;
import java.util.function.Consumer;

/**
 * The spliterator of a channel's {@link ReceiveChan#stream()} (rule CH6): each value is handed on as soon
 * as it is received, and it never splits. The JDK's iterator spliterator ({@code
 * Spliterators.spliteratorUnknownSize}) splits by receiving a batch of 1,024 values (then 2,048, ...) into an
 * array, so a parallel stream over a channel waited for a thousand values, or the close, before handing on
 * the first: a producer that waits for the consumer (a reply, a bounded pipeline) deadlocked it, and a
 * short-circuiting operation took a batch it never consumed. Splitting only the values already buffered
 * does not block, but the batch it forks to the pool is then held back whenever the splitting thread waits
 * for the next value and no other worker is free (a pool of one, a pool busy), the same deadlock. Go's
 * answer to parallel consumption is several receivers on one channel (fan-out), which stays available:
 * several goroutines each ranging over the channel.
 *
 * @param <T> the element type
 */
final class ChanSpliterator<T> implements Spliterator<T> {
    private final Iterator<T> values;

    ChanSpliterator(Iterator<T> values) {
        this.values = values;
    }

    @Override
    public boolean tryAdvance(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        if (!values.hasNext()) {
            return false;
        }
        action.accept(values.next());
        return true;
    }

    @Override
    public void forEachRemaining(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        while (values.hasNext()) {
            action.accept(values.next());
        }
    }

    /** Never splits: see the class comment. A parallel stream over a channel runs in the calling thread. */
    @Override
    public Spliterator<T> trySplit() {
        return null;
    }

    @Override
    public long estimateSize() {
        return Long.MAX_VALUE;
    }

    @Override
    public int characteristics() {
        return Spliterator.ORDERED | Spliterator.NONNULL;
    }
}
