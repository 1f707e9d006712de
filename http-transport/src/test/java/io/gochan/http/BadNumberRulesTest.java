package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numbers out of range in the transport's builder: a negative limit or timeout whose meaning no javadoc gives
 * is refused at the setter with an {@link IllegalArgumentException} naming the setting and the value, not
 * kept to mean something at run time (a negative dial timeout, a negative pool limit) (R73).
 */
class BadNumberRulesTest {

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("maxIdleConns", (Consumer<Transport.Builder>) b -> b.maxIdleConns(-1), "-1"),
                Arguments.of("maxIdleConnsPerHost", (Consumer<Transport.Builder>) b -> b.maxIdleConnsPerHost(-1), "-1"),
                Arguments.of("maxConnsPerHost", (Consumer<Transport.Builder>) b -> b.maxConnsPerHost(Integer.MIN_VALUE),
                        String.valueOf(Integer.MIN_VALUE)),
                Arguments.of("idleConnTimeout", (Consumer<Transport.Builder>) b -> b.idleConnTimeout(Duration.ofSeconds(-1)),
                        "PT-1S"),
                Arguments.of("dialTimeout", (Consumer<Transport.Builder>) b -> b.dialTimeout(Duration.ofNanos(-1)), "PT-0.000000001S"),
                Arguments.of("tlsHandshakeTimeout",
                        (Consumer<Transport.Builder>) b -> b.tlsHandshakeTimeout(Duration.ofDays(-1)), "PT-24H"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void R73_aNegativeLimitOrTimeoutIsRefusedAtTheSetterNamingItAndTheValue(String setting, Consumer<Transport.Builder> set,
            String value) {
        Transport.Builder b = Transport.builder();
        assertThatThrownBy(() -> set.accept(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(setting).hasMessageContaining(value);
    }
}
