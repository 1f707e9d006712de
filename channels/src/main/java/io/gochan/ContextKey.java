package io.gochan;

import java.util.Objects;

/**
 * A typed key for values carried by a {@link Context} ({@link Context#withValue}). Keys compare by
 * identity, as Go advises with an unexported key type: two keys with the same name are different
 * keys, so one library's values cannot collide with another's. Keep a key in a {@code static final}
 * field; its type parameter makes {@code withValue} and {@code value} type-safe without casts.
 *
 * @param <T> the type of the values stored under this key
 */
public final class ContextKey<T> {
    private final String name;

    private ContextKey(String name) {
        this.name = name;
    }

    /**
     * A new key, distinct from every other.
     *
     * @param <T> the type of the values stored under this key
     * @param name a name for diagnostics ({@code toString}); not used for lookup
     * @return the new key
     * @throws NullPointerException if name is null
     */
    public static <T> ContextKey<T> of(String name) {
        return new ContextKey<>(Objects.requireNonNull(name, "name"));
    }

    /** {@return the name given at creation} */
    public String name() {
        return name;
    }

    @SuppressWarnings("unchecked")
    T cast(Object value) {
        return (T) value;
    }

    @Override
    public String toString() {
        return "ContextKey[" + name + "]";
    }
}
