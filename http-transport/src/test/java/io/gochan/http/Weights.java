package io.gochan.http;

import java.util.Random;
import java.util.function.ToIntFunction;

/** The random draw of the probes' faults and actions, each with its weight in a hundred. */
final class Weights {
    private Weights() {
    }

    /** One of {@code values}, each drawn with its {@code weight} in a hundred (the weights add up to 100). */
    static <E> E draw(E[] values, ToIntFunction<? super E> weight, Random rnd) {
        int x = rnd.nextInt(100);
        for (E e : values) {
            if ((x -= weight.applyAsInt(e)) < 0) {
                return e;
            }
        }
        throw new AssertionError("weights must add up to 100");
    }
}
